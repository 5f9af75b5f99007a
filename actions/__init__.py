"""Custom actions run by the Rasa action server (`rasa run actions --actions actions`).

Actions stay thin: they call the project's services in `bot/` over HTTP and turn the
answer into Rasa events. Safety answers never depend on them (they are plain responses).
"""
