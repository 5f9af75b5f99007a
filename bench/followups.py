"""Measure follow-ups in context: is a short message after an answer answered on topic?

Replays each conversation of tests/data/followups.yml through a trained model (a loaded Rasa
Agent, real policies, a fresh conversation each) and checks, turn by turn, that the expected
answer is among the bot's actions of that turn. Prints one line per conversation and the
share of follow-up turns (every turn after the first) answered as expected.

    python -m bench.followups --model models/X.tar.gz
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
FOLLOWUPS = ROOT / "tests" / "data" / "followups.yml"


@dataclass(frozen=True)
class TurnResult:
    """One user turn: what was expected and which actions the assistant ran."""

    conversation: str
    index: int
    text: str
    expect: str
    actions: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.expect in self.actions


def load_conversations(path: Path = FOLLOWUPS) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]


async def _actions_of_turn(agent: Any, sender: str, text: str) -> tuple[str, ...]:
    """The actions the assistant ran in answer to one message (action_listen excluded)."""
    await agent.handle_text(text, sender_id=sender)
    tracker = await agent.tracker_store.retrieve(sender)
    events = list(tracker.events)
    last_user = max(i for i, e in enumerate(events) if e.type_name == "user")
    return tuple(e.action_name for e in events[last_user + 1:]
                 if e.type_name == "action" and e.action_name != "action_listen")


async def replay(agent: Any, conversations: list[dict[str, Any]]) -> list[TurnResult]:
    results = []
    for conv in conversations:
        sender = f"followup-{uuid.uuid4().hex}"
        for i, turn in enumerate(conv["turns"]):
            actions = await _actions_of_turn(agent, sender, turn["text"])
            results.append(TurnResult(conv["name"], i, turn["text"], turn["expect"], actions))
    return results


def followup_share(results: list[TurnResult]) -> tuple[int, int]:
    """(answered as expected, all) over the follow-up turns (not the opening messages)."""
    follow = [r for r in results if r.index > 0]
    return sum(r.ok for r in follow), len(follow)


def main(argv: list[str] | None = None) -> int:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    parser = argparse.ArgumentParser(prog="python -m bench.followups")
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=FOLLOWUPS)
    args = parser.parse_args(argv)
    logging.getLogger("rasa").setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(args.model))
    results = asyncio.run(replay(agent, load_conversations(args.data)))
    for r in results:
        mark = "ok  " if r.ok else "MISS"
        print(f"{mark} {r.conversation} #{r.index}: {r.text!r} -> {', '.join(r.actions)}"
              f" (expected {r.expect})")
    ok, total = followup_share(results)
    openings = sum(r.ok for r in results if r.index == 0)
    print(f"\nfollow-ups answered in context: {ok}/{total}; opening messages right: "
          f"{openings}/{len(results) - total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
