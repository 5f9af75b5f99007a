"""Rasa input channels of the project (loaded by Rasa from credentials.yml)."""
