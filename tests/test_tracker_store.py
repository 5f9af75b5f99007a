"""bot.tracker_store.SQLTrackerStore keeps Rasa's semantics while working off the event loop.

Real databases (SQLite; PostgreSQL when TEST_DATABASE_URL is set), real Rasa trackers and
events, and Rasa's own SQLTrackerStore reading back what ours wrote (same tables, so the
retention job, the coach console and a later switch back to `type: SQL` all keep working).
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore as RasaSQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db.engine import make_engine
from bot.tracker_store import SQLTrackerStore

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet]
slots:
  language:
    type: text
    mappings: [{type: custom}]
""")


class RecordingBroker(EventBroker):
    """Keeps what was published, with the thread it was published from."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []
        self.threads: set[int] = set()

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)
        self.threads.add(threading.get_ident())


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Keyword arguments for a tracker store on a fresh database."""
    if request.param == "sqlite":
        yield {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
        return
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL not set")
    name = "trackerstore_" + uuid.uuid4().hex[:8]
    admin = make_engine(url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    parsed = make_url(url)
    try:
        yield {"dialect": "postgresql", "host": parsed.host, "port": parsed.port, "db": name,
               "username": parsed.username, "password": parsed.password}
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _turn(tracker: DialogueStateTracker, text_: str, answer: str) -> None:
    tracker.update(UserUttered(text_, {"name": "greet", "confidence": 0.9}))
    tracker.update(SlotSet("language", "sv"))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(BotUttered(answer))
    tracker.update(ActionExecuted("action_listen"))


def test_round_trip_and_rasa_reads_the_same_rows(db: dict[str, Any]) -> None:
    broker = RecordingBroker()
    ours = SQLTrackerStore(DOMAIN, event_broker=broker, **db)
    tracker = DialogueStateTracker("user-1", DOMAIN.slots)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    _turn(tracker, "hej", "Hej!")

    async def scenario() -> DialogueStateTracker | None:
        await ours.save(tracker)
        again = await ours.retrieve("user-1")
        assert again is not None
        _turn(again, "tack", "Varsågod")  # the next message, on the retrieved tracker
        await ours.save(again)
        await ours.save(again)  # nothing new: nothing stored or published twice
        return await ours.retrieve("user-1")

    final = asyncio.run(scenario())
    assert final is not None
    texts = [e.text for e in final.events if isinstance(e, (UserUttered, BotUttered))]
    assert texts == ["hej", "Hej!", "tack", "Varsågod"]
    assert final.get_slot("language") == "sv"
    # each event published exactly once, in order, with the sender id
    everything = asyncio.run(ours.retrieve_full_tracker("user-1"))
    assert everything is not None and everything.events[0] == ActionExecuted(
        "action_session_start")
    assert [e["event"] for e in broker.published] == [e.type_name for e in everything.events]
    assert {e["sender_id"] for e in broker.published} == {"user-1"}
    assert broker.threads == {threading.get_ident()}  # the broker stays on the event loop
    rasa_view = asyncio.run(RasaSQLTrackerStore(DOMAIN, **db).retrieve("user-1"))
    assert rasa_view is not None
    assert [e.as_dict() for e in rasa_view.events] == [e.as_dict() for e in final.events]
    assert asyncio.run(ours.keys()) == ["user-1"]


def test_new_session_only_returns_events_after_it(db: dict[str, Any]) -> None:
    """Rasa's session semantics: retrieve() gives the latest session, the full one all."""
    ours = SQLTrackerStore(DOMAIN, **db)
    tracker = DialogueStateTracker("user-2", DOMAIN.slots)
    tracker.update(SessionStarted(timestamp=1.0))
    tracker.update(UserUttered("gammalt", timestamp=2.0))
    asyncio.run(ours.save(tracker))
    newer = asyncio.run(ours.retrieve("user-2"))
    assert newer is not None
    newer.update(SessionStarted(timestamp=3.0))
    newer.update(UserUttered("nytt", timestamp=4.0))
    asyncio.run(ours.save(newer))
    latest = asyncio.run(ours.retrieve("user-2"))
    full = asyncio.run(ours.retrieve_full_tracker("user-2"))
    assert latest is not None and full is not None
    assert [e.text for e in latest.events if isinstance(e, UserUttered)] == ["nytt"]
    assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["gammalt", "nytt"]


def test_concurrent_conversations_lose_nothing(db: dict[str, Any]) -> None:
    """Many conversations saving at once (threads under the hood): every event once."""
    ours = SQLTrackerStore(DOMAIN, **db)
    senders = [f"c{i}" for i in range(20)]

    async def conversation(sender: str) -> None:
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        for turn in range(3):
            _turn(tracker, f"{sender} fråga {turn}", f"{sender} svar {turn}")
            await ours.save(tracker)
            retrieved = await ours.retrieve(sender)
            assert retrieved is not None
            tracker = retrieved

    async def everyone() -> None:
        await asyncio.gather(*(conversation(s) for s in senders))

    asyncio.run(everyone())
    for sender in senders:
        got = asyncio.run(ours.retrieve(sender))
        assert got is not None
        assert [e.text for e in got.events if isinstance(e, UserUttered)] == [
            f"{sender} fråga {t}" for t in range(3)]


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    asyncio.run(store.save(DialogueStateTracker("x", DOMAIN.slots)))
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
