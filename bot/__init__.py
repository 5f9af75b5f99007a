"""Sluta skjut Norrköping assistant: the project's own services, channels and tools.

Nothing here does work at import time; entry points live in ``bot.__main__``.
"""
