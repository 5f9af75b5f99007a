"""Choose the FallbackClassifier threshold by what each outcome costs the person writing.

Parses a labelled NLU set once with a trained model (the whole pipeline, safety net included),
then replays the FallbackClassifier rule (confidence below `threshold`, or the top two closer
than `ambiguity`) for a range of thresholds on the classifier's own ranking. Each message ends
as one of:

- right: the intended answer;
- wrong: another intent's answer (the person reads something unrelated and may leave);
- rephrase, hit: the fallback, but the right intent is among the "Menade du ...?" choices
  (one tap);
- rephrase, miss: the fallback and no right choice (the person has to write again).

Cost per message = wrong * W + rephrase-miss * 1 + rephrase-hit * H; a wrong answer costs W
rephrases (W = 1, 2, 3 printed) and a tap costs H = 0.3 of one. Messages the safety net
decided (a crisis or danger rule) are not affected by the threshold and count as they are.

    python -m bench.fallback_threshold --model models/X.tar.gz --data tests/data/nlu_blind_1.yml
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from bot.evaluation import load_examples

from bot.rasa_plugins.nlu.did_you_mean import choices_from_ranking

ROOT = Path(__file__).resolve().parent.parent
FALLBACK = "nlu_fallback"
SAFETY_FORCED = frozenset({"crisis_suicidal", "emergency_danger", "fear_retaliation"})
THRESHOLDS = (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9)
WRONG_COSTS = (1.0, 2.0, 3.0)
TAP_COST = 0.3


def parse_all(model: Path, texts: list[str]) -> list[dict[str, Any]]:
    """The full pipeline's parse of every text."""
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    logging.getLogger("rasa").setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))

    async def run() -> list[dict[str, Any]]:
        return [await agent.parse_message(t) for t in texts]

    return asyncio.run(run())


def decided_by_safety_net(parse: dict[str, Any]) -> bool:
    """A sure safety rule forced the intent, or the "ask" band was raised: no threshold
    changes what the person gets."""
    intent = parse.get("intent") or {}
    forced = bool(parse.get("safety_rule")) and intent.get("confidence") == 1.0 and (
        intent.get("name") in SAFETY_FORCED)
    return forced or (parse.get("safety") or {}).get("kind") in {"crisis", "danger"}


def outcome(parse: dict[str, Any], gold: str, threshold: float, ambiguity: float) -> str:
    """right / wrong / hit / miss for one message under one threshold."""
    intent = (parse.get("intent") or {}).get("name")
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK]
    if decided_by_safety_net(parse) or not ranking:
        return "right" if intent == gold else "wrong"
    top = ranking[0]
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    if top["confidence"] >= threshold and top["confidence"] - second >= ambiguity:
        return "right" if top["name"] == gold else "wrong"
    return "hit" if gold in choices_from_ranking(ranking) else "miss"


def table(parses: list[dict[str, Any]], gold: list[str], ambiguity: float) -> list[dict]:
    rows = []
    for threshold in THRESHOLDS:
        counts = {"right": 0, "wrong": 0, "hit": 0, "miss": 0}
        for parse, g in zip(parses, gold, strict=True):
            counts[outcome(parse, g, threshold, ambiguity)] += 1
        n = len(gold)
        row: dict[str, Any] = {"threshold": threshold, **counts}
        for w in WRONG_COSTS:
            row[f"cost_w{w:g}"] = round((counts["wrong"] * w + counts["miss"]
                                         + counts["hit"] * TAP_COST) / n, 4)
        rows.append(row)
    return rows


def print_table(rows: list[dict], n: int) -> None:
    heads = ["threshold", "right", "wrong", "hit", "miss"] + [f"cost_w{w:g}" for w in WRONG_COSTS]
    print(f"{n} messages; hit = fallback with the right intent among the choices; "
          f"cost per message = wrong*W + miss + hit*{TAP_COST}")
    print("".join(f"{h:>11}" for h in heads))
    for row in rows:
        print("".join(f"{row[h]:>11}" if not isinstance(row[h], float) or h == "threshold"
                      else f"{row[h]:>11.4f}" for h in heads))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fallback_threshold")
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "nlu_blind_1.yml")
    parser.add_argument("--ambiguity", type=float, default=0.08)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "fallback_threshold.json")
    args = parser.parse_args(argv)
    if "blind_2" in args.data.name:
        parser.error("nlu_blind_2 stays blind: measure it only with ./dev evaluate")
    examples = load_examples(args.data)
    parses = parse_all(args.model, [t for t, _ in examples])
    current = sum((p.get("intent") or {}).get("name") == g
                  for p, (_, g) in zip(parses, examples, strict=True))
    print(f"as deployed: {current}/{len(examples)} right")
    rows = table(parses, [g for _, g in examples], args.ambiguity)
    print_table(rows, len(examples))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"data": str(args.data), "model": str(args.model),
                                    "rows": rows}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
