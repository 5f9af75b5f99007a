"""Gate rule, live.json history and ship/rollback against a stand-in Rasa (no model)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.ops.modelops import gate, live, ship


def test_gate_passes_equal_or_slightly_worse() -> None:
    assert gate.decide(0.95, 0.96, [], 0.02, 10).passed
    assert gate.decide(0.95, None, [], 0.02, 10).passed


def test_gate_refuses_a_worse_model_and_says_why() -> None:
    verdict = gate.decide(0.90, 0.95, [], 0.02, 10)
    assert not verdict.passed and "below the live model" in verdict.reasons[0]


def test_gate_refuses_any_missed_crisis() -> None:
    verdict = gate.decide(0.99, 0.95, ["vill dö"], 0.02, 10)
    assert not verdict.passed and "misses 1 of 10" in verdict.reasons[0]


def test_safety_texts_are_the_holdout_safety_examples() -> None:
    texts = gate.safety_texts([("jag vill dö nu", "crisis_suicidal"), ("hej", "greet")])
    assert texts == ["jag vill dö nu"]


def _score(name: str, perfect: bool, missed: set[str], alarms: int) -> gate.CorpusScore:
    return gate.CorpusScore(name, perfect, frozenset(missed), alarms)


def test_gate_refuses_a_miss_in_a_perfect_corpus_even_without_a_live_model() -> None:
    reasons = gate.corpus_reasons([_score("phrases_1", True, {"|vill dö"}, 0)], None)
    assert reasons and "phrases_1" in reasons[0]
    assert not gate.decide(0.99, None, [], 0.02, 10, reasons).passed


def test_gate_refuses_new_misses_and_more_false_alarms_than_live() -> None:
    live_scores = [_score("blind_4", False, {"|a", "|b"}, 3)]
    assert gate.corpus_reasons([_score("blind_4", False, {"|a", "|b"}, 3)], live_scores) == []
    assert gate.corpus_reasons([_score("blind_4", False, {"|a"}, 1)], live_scores) == []
    swapped = gate.corpus_reasons([_score("blind_4", False, {"|a", "|c"}, 3)], live_scores)
    assert len(swapped) == 1 and "|c" in swapped[0]  # as many misses, but a new one
    more = gate.corpus_reasons([_score("blind_4", False, {"|a"}, 4)], live_scores)
    assert "false alarms" in more[0]


@pytest.fixture
def live_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "live.json"
    monkeypatch.setenv("MODELOPS_LIVE_FILE", str(path))
    return path


async def test_ship_and_rollback_keep_history(aiohttp_server: Any, tmp_path: Path,
                                              live_file: Path) -> None:
    state: dict[str, Any] = {"model": "", "puts": []}

    async def put_model(request: web.Request) -> web.Response:
        assert request.query["token"] == "t"
        state["model"] = (await request.json())["model_file"]
        state["puts"].append(state["model"])
        return web.Response(status=204)

    async def status(request: web.Request) -> web.Response:
        return web.json_response({"model_file": state["model"]})

    app = web.Application()
    app.router.add_put("/model", put_model)
    app.router.add_get("/status", status)
    server = await aiohttp_server(app)
    url = str(server.make_url("")).rstrip("/")
    a, b = tmp_path / "model-a.tar.gz", tmp_path / "model-b.tar.gz"
    a.write_bytes(b"a")
    b.write_bytes(b"b")
    await asyncio.to_thread(ship.ship, a, url, "t")
    await asyncio.to_thread(ship.ship, b, url, "t")
    assert live.current() == b.resolve() and live.previous() == a.resolve()
    await asyncio.to_thread(ship.ship, live.previous(), url, "t", "rollback")
    assert live.current() == a.resolve()
    assert [e.action for e in live.history()] == ["ship", "ship", "rollback"]
    assert state["puts"] == [str(a.resolve()), str(b.resolve()), str(a.resolve())]
    with pytest.raises(FileNotFoundError):
        ship.ship(tmp_path / "missing.tar.gz", url, "t")
