"""Model operations for maintainers: retrain, evaluate against the live model, gate, ship.

CLI entry points (each `main(argv) -> int`): retrain.main, evaluate.main, gate.main,
ship.main, ship.rollback_main.
"""
