"""What the Rasa server loads (config.yml, endpoints*.yml, credentials.yml): NLU components,
the safety policy, channels, tracker and lock store, the relay event broker. Nothing here
imports actions/ or another service's package (tests/test_process_boundaries.py)."""
