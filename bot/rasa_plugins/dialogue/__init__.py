"""Dialogue code loaded by the Rasa server: the safety policy (see safety_policy.py)."""
