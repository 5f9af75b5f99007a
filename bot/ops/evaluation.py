"""Evaluate intent classification on the held-out set (never used for training).

Runs the full trained NLU pipeline (including the safety net, as deployed) over
tests/data/nlu_holdout.yml and prints per-intent precision, recall and F1, macro-F1, the
misclassified messages, and writes a confusion-matrix image and a JSON report.

    python -m bot evaluate [--model models/x.tar.gz] [--data tests/data/nlu_holdout.yml]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import protocol
from bot.settings import ROOT, set_env_default

HOLDOUT = ROOT / "tests" / "data" / "nlu_holdout.yml"
RESULTS = ROOT / "results"


@dataclass
class Report:
    """Outcome of one evaluation run."""

    macro_f1: float
    accuracy: float
    per_intent: dict[str, dict[str, float]]
    errors: list[dict[str, Any]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "macro_f1": self.macro_f1,
            "accuracy": self.accuracy,
            "per_intent": self.per_intent,
            "errors": self.errors,
        }


def load_examples(path: Path = HOLDOUT) -> list[tuple[str, str]]:
    """(text, intent) pairs from a Rasa NLU YAML file."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(ex.get("text"), ex.get("intent")) for ex in data.intent_examples]


SAFETY_INTENTS = frozenset(protocol.SAFETY_INTENTS)


def raises_safety(parse: dict[str, Any]) -> bool:
    """Does this parse start the safety dialogue: a safety intent, or the safety net's "ask"
    band for crisis or danger (answered with a direct question that carries the numbers)?"""
    if (parse.get("intent") or {}).get("name") in SAFETY_INTENTS:
        return True
    signal = parse.get("safety") or {}
    return signal.get("kind") in {"crisis", "danger"}


async def predict(agent: Any, texts: list[str]) -> list[dict[str, Any]]:
    """Parse every text with a loaded Rasa Agent."""
    return [await agent.parse_message(text) for text in texts]


def score(examples: list[tuple[str, str]], parses: list[dict[str, Any]]) -> Report:
    """Per-intent precision/recall/F1 and macro-F1 over the gold labels."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    gold = [intent for _, intent in examples]
    pred = [(p.get("intent") or {}).get("name") or "None" for p in parses]
    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, pred, labels=labels, zero_division=0
    )
    per_intent = {
        label: {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "f1": round(float(f), 4),
            "support": int(s),
        }
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }
    errors = [
        {
            "text": text,
            "gold": g,
            "predicted": p,
            "confidence": round(float((parse.get("intent") or {}).get("confidence") or 0), 3),
        }
        for (text, g), p, parse in zip(examples, pred, parses, strict=True)
        if g != p
    ]
    return Report(
        macro_f1=round(float(f1.mean()), 4),
        accuracy=round(float(accuracy_score(gold, pred)), 4),
        per_intent=per_intent,
        errors=errors,
        labels=labels,
    )


def confusion_image(examples: list[tuple[str, str]], parses: list[dict[str, Any]],
                    path: Path) -> Path:
    """Write a confusion-matrix PNG (rows: gold intent, columns: predicted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    gold = [intent for _, intent in examples]
    pred = [(p.get("intent") or {}).get("name") or "None" for p in parses]
    labels = sorted(set(gold) | set(pred))
    matrix = confusion_matrix(gold, pred, labels=labels)
    fig, ax = plt.subplots(figsize=(14, 12))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                color = "white" if matrix[i, j] > matrix.max() / 2 else "black"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=6,
                        color=color)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold (held-out)")
    ax.set_title("Intent confusion matrix, held-out set")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def print_report(report: Report) -> None:
    print(f"{'intent':<26}{'prec':>7}{'rec':>7}{'f1':>7}{'n':>5}")
    for label, m in report.per_intent.items():
        print(f"{label:<26}{m['precision']:>7.2f}{m['recall']:>7.2f}{m['f1']:>7.2f}"
              f"{m['support']:>5}")
    print(f"\nmacro-F1 {report.macro_f1:.4f}   accuracy {report.accuracy:.4f}   "
          f"errors {len(report.errors)}")


def evaluate_model(model: Path, data: Path = HOLDOUT, out_dir: Path = RESULTS) -> Report:
    """Load the model, evaluate, write results/ files, return the report."""
    set_env_default("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    logging.getLogger("rasa").setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)  # one debug line per parsed message otherwise

    examples = load_examples(data)
    agent = Agent.load(str(model))
    parses = asyncio.run(predict(agent, [t for t, _ in examples]))
    report = score(examples, parses)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "nlu_report.json").write_text(
        json.dumps(report.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    confusion_image(examples, parses, out_dir / "intent_confusion_matrix.png")
    return report


def main(argv: list[str]) -> int:
    from bot.ops.training import train

    parser = argparse.ArgumentParser(prog="python -m bot evaluate")
    parser.add_argument("--model", type=Path, help="model file (default: train/reuse current)")
    parser.add_argument("--data", type=Path, default=HOLDOUT)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--min-macro-f1", type=float, default=0.90)
    args = parser.parse_args(argv)
    model = args.model or train(quiet=True)
    report = evaluate_model(model, args.data, args.out)
    print_report(report)
    if report.errors:
        print("\nmisclassified:")
        for e in report.errors:
            print(f"  [{e['gold']} -> {e['predicted']} {e['confidence']:.2f}] {e['text']}")
    print(f"\nwrote {args.out / 'nlu_report.json'} and {args.out / 'intent_confusion_matrix.png'}")
    if report.macro_f1 < args.min_macro_f1:
        print(f"FAIL: macro-F1 {report.macro_f1:.4f} < {args.min_macro_f1}")
        return 1
    return 0
