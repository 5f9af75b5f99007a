"""bot.rasa_plugins.tracker_store.SQLTrackerStore keeps Rasa's semantics while working off the
event loop.

Real databases (SQLite; PostgreSQL when TEST_DATABASE_URL is set), real Rasa trackers and
events, and Rasa's own SQLTrackerStore reading back what ours wrote (same tables, so the
retention job, the coach console and a later switch back to `type: SQL` all keep working).

Outages: PostgreSQL is reached through a TCP proxy the test cuts (refused and reset
connections, the server stays up); SQLite's engine is switched to refuse. The turns go
through Rasa's own FailSafeTrackerStore, as in `rasa run`, so its fallback really answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.core.tracker_store import SQLTrackerStore as RasaSQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text
from sqlalchemy.exc import DataError, OperationalError

from bot.rasa_plugins import tracker_store
from bot.rasa_plugins.tracker_store import SQLTrackerStore
from tests.conftest import fresh_postgres_database

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


def _store_kwargs(url: Any) -> dict[str, Any]:
    return {"dialect": "postgresql", "host": url.host, "port": url.port or 5432,
            "db": url.database, "username": url.username, "password": url.password}


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Keyword arguments for a tracker store on a fresh database."""
    if request.param == "sqlite":
        yield {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
        return
    with fresh_postgres_database("trackerstore") as url:
        yield _store_kwargs(url)


@pytest.fixture
def postgres_db() -> Iterator[dict[str, Any]]:
    """Keyword arguments for a tracker store on a fresh PostgreSQL database."""
    with fresh_postgres_database("trackerstore") as url:
        yield _store_kwargs(url)


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


# ---- database outages: nothing lost ---------------------------------------------------------


class CuttableProxy:
    """A TCP proxy in front of the test PostgreSQL that the test can cut and restore.

    Cutting it closes the listening socket (new connections are refused) and aborts every
    open connection, as a crashed server or a lost network does; the real server stays up.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server: asyncio.AbstractServer | None = None
        self.transports: set[asyncio.BaseTransport] = set()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def up(self) -> None:
        async def listen() -> None:
            self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port,
                                                     reuse_address=True)
        self._call(listen())

    def down(self) -> None:
        async def cut() -> None:
            assert self.server is not None
            self.server.close()
            await self.server.wait_closed()
            for transport in list(self.transports):
                transport.abort()
            self.transports.clear()
        self._call(cut())

    def close(self) -> None:
        async def finish() -> None:
            """The connection handlers end here, not half-run when the loop is dropped."""
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            self.down()
        with contextlib.suppress(Exception):
            self._call(finish())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.transports |= {writer.transport, up_writer.transport}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


class SwitchedEngine:
    """SQLite cannot be taken away from a root test process: its engine refuses instead."""

    def __init__(self, engine: Any, switch: dict[str, bool]) -> None:
        self._engine = engine
        self.switch = switch

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def _check(self) -> None:
        if self.switch["down"]:
            raise OperationalError("connect", None, sqlite3.OperationalError(
                "unable to open database file"))

    def connect(self) -> Any:
        self._check()
        return self._engine.connect()

    def begin(self) -> Any:
        self._check()
        return self._engine.begin()


@dataclass
class Outage:
    """A tracker store on a fresh database whose outage the test controls."""

    store: SQLTrackerStore
    db: dict[str, Any]  # keyword arguments to reach the database directly (not cut)
    down: Callable[[], None]
    up: Callable[[], None]
    another: Callable[[], SQLTrackerStore]  # a second instance's store, cut with the first


@pytest.fixture(params=["sqlite", "postgresql"])
def outage(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           ) -> Iterator[Outage]:
    monkeypatch.setattr(tracker_store, "FLUSH_INTERVAL", 0.05)
    if request.param == "sqlite":
        db = {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
        switch = {"down": False}

        def switched() -> SQLTrackerStore:
            store = SQLTrackerStore(DOMAIN, **db)
            store.engine = SwitchedEngine(store.engine, switch)  # type: ignore[assignment]
            return store

        yield Outage(switched(), db, lambda: switch.update(down=True),
                     lambda: switch.update(down=False), switched)
        return
    db = request.getfixturevalue("postgres_db")
    proxy = CuttableProxy(db["host"], db["port"])
    proxy.up()
    stores: list[SQLTrackerStore] = []

    def proxied() -> SQLTrackerStore:
        stores.append(SQLTrackerStore(DOMAIN, **{**db, "host": "127.0.0.1",
                                                 "port": proxy.port}))
        return stores[-1]

    try:
        yield Outage(proxied(), db, proxy.down, proxy.up, proxied)
    finally:
        for store in stores:
            store.engine.dispose()
        proxy.close()


async def _rasa_turn(store: Any, sender: str, text_: str) -> DialogueStateTracker:
    """One user message the way Rasa's MessageProcessor handles it, through `store`
    (Rasa's FailSafeTrackerStore): get or create the tracker, start a session on an empty
    one, log the message and the bot's answer, save."""
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    if not tracker.applied_events():
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(text_, {"name": "greet", "confidence": 0.9}))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(BotUttered(f"svar på {text_}"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    return tracker


def _user_texts(tracker: DialogueStateTracker | None) -> list[str]:
    assert tracker is not None
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


async def _spool_written(store: SQLTrackerStore, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while store._spool:
        assert time.monotonic() < deadline, f"spool not written: {store._spool}"
        await asyncio.sleep(0.05)


def test_outage_turns_are_stored_once_in_order(outage: Outage,
                                               caplog: pytest.LogCaptureFixture) -> None:
    """Before, during and after an outage, through Rasa's FailSafe store: every message is
    in the database once and in order, the conversation keeps its session and its pause, and
    a conversation begun during the outage is written by the background flusher."""
    broker = RecordingBroker()
    outage.store.event_broker = broker
    failsafe = FailSafeTrackerStore(outage.store)

    async def scenario() -> DialogueStateTracker:
        await _rasa_turn(failsafe, "anna", "före 1")
        paused = await _rasa_turn(failsafe, "anna", "före 2")
        paused.update(ConversationPaused())  # a coach took over
        paused.update(SlotSet("language", "en"))
        await failsafe.save(paused)
        outage.down()
        for i in (1, 2):
            during = await _rasa_turn(failsafe, "anna", f"under {i}")
            assert not during.is_paused()  # Rasa answered from a fresh tracker
        await _rasa_turn(failsafe, "ny", "ny under")
        assert outage.store._spooled > 0
        outage.up()
        after = await _rasa_turn(failsafe, "anna", "efter 1")
        await _spool_written(outage.store)  # "ny" is written by the background flusher
        return after

    with caplog.at_level(logging.WARNING, logger="bot.rasa_plugins.tracker_store"):
        after = asyncio.run(scenario())
    texts = ["före 1", "före 2", "under 1", "under 2", "efter 1"]
    # the turn after the outage continued the stored conversation, outage turns included
    assert _user_texts(after) == texts
    assert after.is_paused() and after.get_slot("language") == "en"
    for store in (outage.store, RasaSQLTrackerStore(DOMAIN, **outage.db)):
        full = asyncio.run(store.retrieve_full_tracker("anna"))
        assert _user_texts(full) == texts
        assert full is not None
        assert sum(isinstance(e, SessionStarted) for e in full.events) == 1
        latest = asyncio.run(store.retrieve("anna"))
        assert _user_texts(latest) == texts and latest is not None and latest.is_paused()
        new = asyncio.run(store.retrieve_full_tracker("ny"))
        assert _user_texts(new) == ["ny under"]
        assert new is not None and isinstance(new.events[1], SessionStarted)
    # every message published once (the outage turns by Rasa's fallback store)
    published = [e["text"] for e in broker.published if e["event"] == "user"]
    assert sorted(published) == sorted([*texts, "ny under"])
    assert any("keeping conversation events in memory" in r.message for r in caplog.records)
    assert any("answers again" in r.message for r in caplog.records)


def test_database_back_in_the_middle_of_a_turn(outage: Outage) -> None:
    """Retrieve failed (the turn runs on Rasa's fresh tracker), the save finds the database
    back: the turn is stored as part of the conversation, without a second session start."""
    failsafe = FailSafeTrackerStore(outage.store)

    async def scenario() -> None:
        await _rasa_turn(failsafe, "bo", "ett")
        outage.down()
        tracker = await failsafe.get_or_create_tracker("bo", append_action_listen=False)
        outage.up()
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered("två"))
        await failsafe.save(tracker)
        tracker.update(BotUttered("svar"))
        await failsafe.save(tracker)  # the same tracker again: only the new event
        await _rasa_turn(failsafe, "bo", "tre")

    asyncio.run(scenario())
    full = asyncio.run(RasaSQLTrackerStore(DOMAIN, **outage.db).retrieve_full_tracker("bo"))
    assert _user_texts(full) == ["ett", "två", "tre"]
    assert full is not None
    assert sum(isinstance(e, SessionStarted) for e in full.events) == 1
    assert [e.text for e in full.events if isinstance(e, BotUttered)] == [
        "svar på ett", "svar", "svar på tre"]


def test_database_gone_in_the_middle_of_a_turn(outage: Outage) -> None:
    """Read before the outage, saved during it: the turn's new events are kept (the tracker
    is the one this store handed out, so it knows which are new) and stored afterwards."""
    failsafe = FailSafeTrackerStore(outage.store)

    async def scenario() -> None:
        await _rasa_turn(failsafe, "cy", "ett")
        tracker = await failsafe.retrieve("cy")
        assert tracker is not None
        outage.down()
        tracker.update(UserUttered("två"))
        await failsafe.save(tracker)  # FailSafe logs the error and uses its fallback
        tracker.update(BotUttered("svar"))
        await failsafe.save(tracker)
        outage.up()
        await _rasa_turn(failsafe, "cy", "tre")

    asyncio.run(scenario())
    full = asyncio.run(RasaSQLTrackerStore(DOMAIN, **outage.db).retrieve_full_tracker("cy"))
    assert _user_texts(full) == ["ett", "två", "tre"]
    assert full is not None
    assert [e.text for e in full.events if isinstance(e, BotUttered)] == [
        "svar på ett", "svar", "svar på tre"]


def test_flushes_racing_write_nothing_twice(outage: Outage) -> None:
    """The background flusher and reads of the same conversations, all at once after the
    outage: every spooled event is written exactly once."""
    failsafe = FailSafeTrackerStore(outage.store)
    senders = [f"r{i}" for i in range(8)]

    async def scenario() -> None:
        for sender in senders:
            await _rasa_turn(failsafe, sender, f"{sender} före")
        outage.down()
        for turn in range(3):
            await asyncio.gather(*(_rasa_turn(failsafe, s, f"{s} under {turn}")
                                   for s in senders))
        outage.up()
        await asyncio.gather(*(failsafe.retrieve(s) for s in senders for _ in range(3)),
                             asyncio.sleep(0.2))
        await _spool_written(outage.store)

    asyncio.run(scenario())
    rasa = RasaSQLTrackerStore(DOMAIN, **outage.db)
    for sender in senders:
        full = asyncio.run(rasa.retrieve_full_tracker(sender))
        assert _user_texts(full) == [f"{sender} före"] + [f"{sender} under {t}"
                                                           for t in range(3)]


def test_spool_is_bounded(outage: Outage, monkeypatch: pytest.MonkeyPatch,
                          caplog: pytest.LogCaptureFixture) -> None:
    """A long outage keeps the newest events up to the bound and says what it dropped."""
    monkeypatch.setattr(tracker_store, "MAX_SPOOLED_EVENTS", 20)
    failsafe = FailSafeTrackerStore(outage.store)

    async def scenario() -> None:
        await _rasa_turn(failsafe, "lång", "före")
        outage.down()
        for i in range(10):  # 7 events a turn (the first with its session start)
            await _rasa_turn(failsafe, "lång", f"under {i}")
            assert outage.store._spooled <= 20
        outage.up()
        await _spool_written(outage.store)

    with caplog.at_level(logging.ERROR, logger="bot.rasa_plugins.tracker_store"):
        asyncio.run(scenario())
    assert any("dropped the oldest" in r.message for r in caplog.records)
    full = asyncio.run(RasaSQLTrackerStore(DOMAIN, **outage.db).retrieve_full_tracker("lång"))
    texts = _user_texts(full)
    assert texts[0] == "före" and texts[-3:] == ["under 7", "under 8", "under 9"]
    assert len(texts) == len(set(texts))


def test_two_instances_outage_turns_stored_in_the_order_said(
        outage: Outage, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two Rasa instances took turns of one conversation during the outage (a load balancer
    does not stick): whichever writes its spool last, the turns are stored as they were said,
    also around a turn another instance stored after the outage."""
    monkeypatch.setattr(tracker_store, "FLUSH_INTERVAL", 3600)  # only reads write spools
    first, second = outage.store, outage.another()
    a, b = FailSafeTrackerStore(first), FailSafeTrackerStore(second)

    async def scenario() -> None:
        await _rasa_turn(a, "två", "0")
        outage.down()
        await _rasa_turn(a, "två", "1")
        await _rasa_turn(b, "två", "2")
        await _rasa_turn(a, "två", "3")
        await _rasa_turn(b, "två", "4")
        outage.up()
        after = await _rasa_turn(a, "två", "5")  # first's spool only: 1, 3, then 5
        assert _user_texts(after) == ["0", "1", "3", "5"]
        await b.retrieve("två")  # second's spool goes between
        assert not first._spool and not second._spool
        await _rasa_turn(b, "två", "6")

    asyncio.run(scenario())
    for store in (RasaSQLTrackerStore(DOMAIN, **outage.db), first):
        full = asyncio.run(store.retrieve_full_tracker("två"))
        assert _user_texts(full) == [str(i) for i in range(7)]
        assert full is not None
        assert [e.text for e in full.events if isinstance(e, BotUttered)] == [
            f"svar på {i}" for i in range(7)]
        assert sum(isinstance(e, SessionStarted) for e in full.events) == 1


def test_spooled_events_the_database_refuses_are_dropped(
        outage: Outage, caplog: pytest.LogCaptureFixture) -> None:
    """A spooled row the database refuses (not an outage) would block the conversation's
    reads forever: it is dropped with an ERROR and the conversation goes on."""
    failsafe = FailSafeTrackerStore(outage.store)
    store = outage.store
    write = store._write

    def refusing(sender_id: str, rows: list[Any], spooled: bool = False) -> None:
        if spooled:
            raise DataError("INSERT", None, ValueError("value too long"))
        write(sender_id, rows, spooled)

    async def scenario() -> DialogueStateTracker:
        await _rasa_turn(failsafe, "dd", "ett")
        outage.down()
        await _rasa_turn(failsafe, "dd", "två")
        outage.up()
        store._write = refusing  # type: ignore[method-assign]
        return await _rasa_turn(failsafe, "dd", "tre")

    with caplog.at_level(logging.ERROR, logger="bot.rasa_plugins.tracker_store"):
        after = asyncio.run(scenario())
    assert _user_texts(after) == ["ett", "tre"] and not store._spool
    assert any("refuses" in r.message for r in caplog.records)
