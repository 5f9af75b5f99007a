"""Test support: the whole system on free ports (stack) for end-to-end tests and bench/."""
