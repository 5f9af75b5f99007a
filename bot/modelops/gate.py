"""The ship gate: a model that is worse than the live one, or misses a crisis, does not ship.

Refuses (exit 1, with the reasons) when
- macro-F1 on the held-out set is lower than the live model's by more than --margin, or
- the full pipeline (classifier + safety net, as deployed) gives any crisis_suicidal or
  emergency_danger example of the held-out set, tests/data/safety_phrases.yml or
  safety_phrases_2.yml an intent other than crisis_suicidal / emergency_danger.
A crisis message answered with the emergency text (or the other way round) still carries 112,
so either safety intent counts as caught, as in tests/test_nlu_model.py.

    python -m bot gate --candidate M [--live L] [--margin 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import evaluation
from bot.modelops import live

SAFETY_INTENTS = frozenset({"crisis_suicidal", "emergency_danger"})
SAFETY_CORPORA = ("safety_phrases.yml", "safety_phrases_2.yml")
DATA = live.ROOT / "tests" / "data"


@dataclass
class Verdict:
    passed: bool
    reasons: list[str] = field(default_factory=list)
    candidate_f1: float = 0.0
    live_f1: float | None = None
    safety_checked: int = 0
    missed: list[str] = field(default_factory=list)


def safety_texts(holdout: list[tuple[str, str]], data_dir: Path = DATA) -> list[str]:
    texts = [t for t, intent in holdout if intent in SAFETY_INTENTS]
    for name in SAFETY_CORPORA:
        corpus = yaml.safe_load((data_dir / name).read_text(encoding="utf-8"))
        texts += corpus["crisis"] + corpus["emergency"] + [m["text"] for m in corpus["mixed"]]
    return list(dict.fromkeys(texts))


def decide(candidate_f1: float, live_f1: float | None, missed: list[str], margin: float,
           checked: int) -> Verdict:
    """The rule itself, without models: easy to test and to read."""
    reasons = []
    if live_f1 is not None and candidate_f1 < live_f1 - margin:
        reasons.append(f"macro-F1 {candidate_f1:.4f} is more than {margin:.3f} below the live "
                       f"model's {live_f1:.4f}")
    if missed:
        reasons.append(f"misses {len(missed)} of {checked} crisis/emergency messages: "
                       + "; ".join(repr(t) for t in missed[:10]))
    return Verdict(not reasons, reasons, candidate_f1, live_f1, checked, missed)


def _load(model: Path) -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from rasa.core.agent import Agent

    return Agent.load(str(model))


def run_gate(candidate: Path, live_model: Path | None, margin: float = 0.02,
             holdout: Path = evaluation.HOLDOUT) -> Verdict:
    examples = evaluation.load_examples(holdout)
    agent = _load(candidate)
    parses = asyncio.run(evaluation.predict(agent, [t for t, _ in examples]))
    report = evaluation.score(examples, parses)
    texts = safety_texts(examples)
    safety_parses = asyncio.run(evaluation.predict(agent, texts))
    missed = [t for t, p in zip(texts, safety_parses, strict=True)
              if (p.get("intent") or {}).get("name") not in SAFETY_INTENTS]
    live_f1 = None
    if live_model is not None:
        if live_model.resolve() == candidate.resolve():
            live_f1 = report.macro_f1
        else:
            live_agent = _load(live_model)
            live_parses = asyncio.run(evaluation.predict(live_agent, [t for t, _ in examples]))
            live_f1 = evaluation.score(examples, live_parses).macro_f1
    return decide(report.macro_f1, live_f1, missed, margin, len(texts))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot gate")
    parser.add_argument("--candidate", type=Path, required=True)
    parser.add_argument("--live", type=Path, help="default: the model in models/live.json")
    parser.add_argument("--margin", type=float, default=0.02)
    parser.add_argument("--data", type=Path, default=evaluation.HOLDOUT)
    args = parser.parse_args(argv)
    live_model = args.live or live.current()
    if live_model is not None and not live_model.exists():
        print(f"warning: live model {live_model} is missing; comparing with nothing")
        live_model = None
    verdict = run_gate(args.candidate, live_model, args.margin, args.data)
    live_text = "none recorded" if verdict.live_f1 is None else f"{verdict.live_f1:.4f}"
    print(f"gate: candidate macro-F1 {verdict.candidate_f1:.4f}, live {live_text}, "
          f"margin {args.margin}; safety messages caught "
          f"{verdict.safety_checked - len(verdict.missed)}/{verdict.safety_checked}")
    if verdict.passed:
        print("PASS: the candidate may ship")
        return 0
    for reason in verdict.reasons:
        print(f"FAIL: {reason}")
    return 1
