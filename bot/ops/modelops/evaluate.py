"""Evaluate a candidate on the held-out set and compare it with the live model.

Reuses bot.ops.evaluation (per-intent P/R/F1, macro-F1, confusion-matrix PNG, misclassified
messages) and adds the side-by-side with the model in models/live.json (or --live).

    python -m bot evaluate --compare-live [--model M] [--live L]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.ops import evaluation
from bot.ops.modelops import live


def latest_model() -> Path:
    """The newest model file in models/ (what retrain produced last)."""
    models = sorted((live.ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise FileNotFoundError("no model in models/; run python -m bot retrain")
    return models[-1]


def compare(candidate: evaluation.Report, current: evaluation.Report) -> list[str]:
    """Lines of a per-intent F1 comparison, changed intents first."""
    lines = [f"{'intent':<26}{'live f1':>9}{'new f1':>9}{'diff':>8}"]
    rows = []
    for label in sorted(set(candidate.per_intent) | set(current.per_intent)):
        old = current.per_intent.get(label, {}).get("f1", 0.0)
        new = candidate.per_intent.get(label, {}).get("f1", 0.0)
        rows.append((abs(new - old) < 1e-9, label, old, new))
    for _, label, old, new in sorted(rows):
        lines.append(f"{label:<26}{old:>9.2f}{new:>9.2f}{new - old:>+8.2f}")
    lines.append(f"\nmacro-F1 live {current.macro_f1:.4f}  new {candidate.macro_f1:.4f}  "
                 f"diff {candidate.macro_f1 - current.macro_f1:+.4f}")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot evaluate --compare-live")
    parser.add_argument("--model", type=Path, help="candidate (default: newest in models/)")
    parser.add_argument("--live", type=Path, help="live model (default: models/live.json)")
    parser.add_argument("--compare-live", action="store_true")
    parser.add_argument("--data", type=Path, default=evaluation.HOLDOUT)
    parser.add_argument("--out", type=Path, default=evaluation.RESULTS)
    args = parser.parse_args(argv)
    candidate = args.model or latest_model()
    report = evaluation.evaluate_model(candidate, args.data, args.out)
    print(f"candidate {candidate}")
    evaluation.print_report(report)
    if report.errors:
        print("\nmisclassified held-out messages:")
        for e in report.errors:
            print(f"  [{e['gold']} -> {e['predicted']} {e['confidence']:.2f}] {e['text']}")
    print(f"\nconfusion matrix: {args.out / 'intent_confusion_matrix.png'}")
    if args.compare_live:
        current = args.live or live.current()
        if current is None:
            print("\nno live model recorded (models/live.json); nothing to compare with")
        elif current.resolve() == candidate.resolve():
            print("\nthe candidate is the live model")
        else:
            live_report = evaluation.evaluate_model(current, args.data, args.out / "live")
            print(f"\ncompared with live {current}:")
            print("\n".join(compare(report, live_report)))
    return 0
