"""Follow-ups in context (tests/data/followups.yml) through the real trained assistant."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bench.followups import followup_share, load_conversations, replay

pytestmark = pytest.mark.model

# measured with bench/followups.py (docs/nlu.md): the share the model must keep. Trainings of
# the same data give 6 or 7 of 10 (7 in CI on 2026-11-30; 6 for e9a1e2ee388c and b3666e2990c2,
# trained on 2026-12-01 from main 39949ae and round 9); the model before this work: 3 of 10
MIN_FOLLOWUP_SHARE = 0.6


def test_follow_ups_are_answered_in_the_context_of_the_previous_topic(agent: Any) -> None:
    results = asyncio.run(replay(agent, load_conversations()))
    openings = [r for r in results if r.index == 0]
    assert all(r.ok for r in openings), [(r.text, r.actions) for r in openings if not r.ok]
    ok, total = followup_share(results)
    missed = [(r.text, r.actions) for r in results if r.index > 0 and not r.ok]
    assert ok / total >= MIN_FOLLOWUP_SHARE, missed


def test_the_worried_sisters_anonymous_call_is_answered(agent: Any) -> None:
    [sister] = [c for c in load_conversations() if "sister" in c["name"]]
    results = asyncio.run(replay(agent, [sister]))
    assert all(r.ok for r in results), [(r.text, r.actions) for r in results]
