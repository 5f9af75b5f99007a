"""Outbox: case requests queued while the service is down appear once it is back."""

from __future__ import annotations

import json
import logging
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from escalation_helpers import Env, FakeRasa, case_payload, login, make_settings, wait_for

from bot.db.engine import make_engine
from bot.escalation import keys, outbox, texts
from bot.escalation.app import create_app
from bot.escalation.outbox import drain_once, enqueue
from bot.escalation.store import Store
from bot.runtimes import SERVICES, interpreter

ROOT = Path(__file__).resolve().parents[2]


def _pending(db_url: str) -> list[Any]:
    engine = make_engine(db_url)
    try:
        return Store(engine).outbox_pending()
    finally:
        engine.dispose()


async def _start(
    db_url: str, fake_rasa: tuple[FakeRasa, str], aiohttp_server: Any, aiohttp_client: Any
) -> Env:
    fake, rasa_url = fake_rasa
    app = create_app(make_settings(db_url, rasa_url))
    server = await aiohttp_server(app)

    async def make_client() -> Any:
        return await aiohttp_client(server)

    return Env(app=app, server=server, rasa=fake, make_client=make_client, clock={"now": None})


async def test_enqueued_while_down_appears_when_service_starts(
    db_url: str,
    fake_rasa: tuple[FakeRasa, str],
    aiohttp_server: Any,
    aiohttp_client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    outbox._migrated.discard(db_url)
    # the service is not running; the database does not even have tables yet
    enqueue(db_url, case_payload("conv-o1", trigger="crisis_suicidal"))
    enqueue(db_url, case_payload("conv-o1"))  # the action retried: still one case
    enqueue(db_url, case_payload("conv-bad", language="de"))  # malformed: dropped
    enqueue(db_url, {"conversation_id": ["x"]})
    assert len(_pending(db_url)) == 4

    caplog.set_level(logging.INFO, logger="bot.escalation.outbox")
    env = await _start(db_url, fake_rasa, aiohttp_server, aiohttp_client)  # drains at start
    await wait_for(lambda: not _pending(db_url))
    case = await env.store.run(env.store.open_case_for, "conv-o1")
    assert case is not None and case.status == "waiting" and case.priority == 1
    assert await env.store.run(env.store.open_case_for, "conv-bad") is None
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 2 and all(r.levelno == logging.WARNING for r in dropped)
    assert "language" in dropped[0].getMessage()
    assert await drain_once(env.app) == 0  # nothing left to retry

    # no coach online: nothing sent to the user (utter_escalation_failed already was)
    assert env.rasa.calls == []
    assert case.unavailable_notified_at is not None
    events = await env.store.run(env.store.events, case.id)
    notes = [e.text for e in events if e.kind == "system"]
    assert texts.FROM_OUTBOX in notes and texts.USER_TOLD_UNAVAILABLE in notes

    # the coach sees it in the queue like any other case
    await env.create_coach("anna")
    coach = await env.make_client()
    await login(coach, "anna")
    queue = await (await coach.get("/api/queue")).json()
    assert [c["conversation_id"] for c in queue["waiting"]] == ["conv-o1"]
    assert queue["waiting"][0]["trigger"] == "crisis_suicidal"


async def test_drained_while_accepting_sends_nothing_and_is_idempotent(env: Env) -> None:
    await env.create_coach("anna")
    coach = await env.make_client()
    await login(coach, "anna")
    client = await env.make_client()
    existing = await env.open_case(client, "conv-o2")  # the first POST did arrive after all
    rasa_calls = len(env.rasa.calls)
    enqueue(env.app[keys.SETTINGS].database_url, case_payload("conv-o2"))
    enqueue(env.app[keys.SETTINGS].database_url, case_payload("conv-o3", language="en"))
    assert await drain_once(env.app) == 2
    assert len(env.rasa.calls) == rasa_calls  # nothing sent to either user
    case2 = await env.store.run(env.store.open_case_for, "conv-o2")
    assert case2.id == existing["case_id"]
    case3 = await env.store.run(env.store.open_case_for, "conv-o3")
    assert case3.language == "en"
    # accepting: not marked notified, so the one timeout notice still applies later
    assert case3.unavailable_notified_at is None
    assert await drain_once(env.app) == 0


async def test_enqueue_from_another_process_while_running(env: Env) -> None:
    """The action server is another process: enqueue there, the running service drains it."""
    db_url = env.app[keys.SETTINGS].database_url
    code = (
        "import sys, json; from bot.escalation.outbox import enqueue; "
        "enqueue(sys.argv[1], json.loads(sys.argv[2])); "
        "print('aiohttp' in sys.modules)"  # the action server need not load the web service
    )
    done = subprocess.run(
        [interpreter(SERVICES), "-c", code, db_url, json.dumps(case_payload("conv-proc"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert await drain_once(env.app) == 1
    assert await env.store.run(env.store.open_case_for, "conv-proc") is not None


def test_enqueue_rejects_what_is_not_a_json_object(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    with pytest.raises(TypeError):
        enqueue(url, ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        enqueue(url, {"when": datetime.now(timezone.utc)})


async def test_database_error_keeps_entry_for_next_pass(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_url = env.app[keys.SETTINGS].database_url
    enqueue(db_url, case_payload("conv-o4"))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(env.store, "open_case", broken)
    assert await drain_once(env.app) == 0
    [entry] = _pending(db_url)
    assert entry.attempts == 1 and "hiccup" in (entry.last_error or "")
    monkeypatch.undo()
    assert await drain_once(env.app) == 1
    assert not _pending(db_url)
