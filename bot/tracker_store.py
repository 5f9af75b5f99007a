"""Rasa's SQL tracker store, made cheap enough for many conversations (issue 6, speed).

Rasa 3.6's `SQLTrackerStore` costs more per message than the NLU model (bench/speed.py,
py-spy): every query and commit runs on the server's one event loop, so while SQLite or
PostgreSQL flushes a commit to disk no other conversation moves; each query is composed anew
through the ORM; and reading a conversation resolves every stored event's class by walking
the whole Event class tree. This subclass keeps Rasa's tables, query semantics and
durability (every commit reaches the disk before the answer is sent) and

- runs the database work in worker threads, where waiting for the disk or the network
  overlaps with other conversations' work;
- uses Core statements built once (compiled once by SQLAlchemy) and a cached class lookup;
- with an event broker configured (ours relays user messages to coaches), counts the stored
  events once per save, where Rasa re-reads and replays the whole session to find the new
  events, then counts them again to insert them.

Measured on one conversation store (8 events per message, SQLite): 8.8 -> 2.1 ms of CPU and
30 -> 6 ms of wall time per message. Used by endpoints.yml and endpoints.prod.yml as
`type: bot.tracker_store.SQLTrackerStore`, with the same keys as Rasa's `type: SQL`. On
SQLite it turns on WAL, so readers (the coach console, retention) never block the writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import threading
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore as RasaSQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from sqlalchemy import event as sa_event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool


class SQLTrackerStore(RasaSQLTrackerStore):
    """Same tables and semantics as Rasa's SQL tracker store; blocking work in threads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._write_lock: threading.Lock | contextlib.nullcontext[None] = contextlib.nullcontext()
        if self.engine.dialect.name == "sqlite":
            # SQLite has one writer at a time, and a writer that finds the file locked sleeps
            # with growing back-off (up to 100 ms); queueing writers on a lock here instead
            # hands the file over the moment it is free
            self._write_lock = threading.Lock()
            # Rasa's engine opens a new SQLite connection per query (NullPool); a small pool
            # shared by the worker threads saves that, and WAL lets readers run beside writes
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=QueuePool, pool_size=8,
                                        connect_args={"check_same_thread": False})
            sa_event.listen(self.engine, "connect", _sqlite_wal)
            self.sessionmaker = sessionmaker(bind=self.engine)

    @functools.cached_property
    def _statements(self) -> dict[str, Any]:
        """Rasa's queries (`_event_query`, `_additional_events`) as Core statements, built once.

        Same filter (the latest session: events at or after the newest SessionStarted, or all
        when there is none) and order; SQLAlchemy compiles each once and caches it, where the
        ORM query Rasa builds per call spends more time composing SQL than running it.
        """
        table = self.SQLEvent.__table__
        sender = sa.bindparam("sender")
        session_start = (sa.select(sa.func.max(table.c.timestamp))
                         .where(table.c.sender_id == sender,
                                table.c.type_name == SessionStarted.type_name)
                         .scalar_subquery())
        latest = sa.or_(table.c.timestamp >= session_start, session_start.is_(None))
        return {
            "latest": sa.select(table.c.data).where(table.c.sender_id == sender, latest)
            .order_by(table.c.id),
            "all": sa.select(table.c.data).where(table.c.sender_id == sender)
            .order_by(table.c.id),
            "count": sa.select(sa.func.count()).select_from(table)
            .where(table.c.sender_id == sender, latest),
            "insert": table.insert(),
            "keys": sa.select(table.c.sender_id).distinct(),
        }

    async def _retrieve(self, sender_id: str,
                        fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        return await asyncio.to_thread(self._retrieve_blocking, sender_id,
                                       fetch_events_from_all_sessions)

    def _retrieve_blocking(self, sender_id: str,
                           all_sessions: bool) -> DialogueStateTracker | None:
        statement = self._statements["all" if all_sessions else "latest"]
        with self.engine.connect() as conn:
            rows = conn.execute(statement, {"sender": sender_id}).all()
        if not self.domain or not rows:
            return None
        events = _deserialise([json.loads(data) for (data,) in rows])
        return DialogueStateTracker.from_events(sender_id, events, self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Publish the new events to the broker (as Rasa does, before storing), then store."""
        stored = await asyncio.to_thread(self._stored_count, tracker.sender_id)
        new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
        if not new_events:
            return
        serialised = [event.as_dict() for event in new_events]
        if self.event_broker is not None:
            for data in serialised:
                self.event_broker.publish({"sender_id": tracker.sender_id, **data})
        await asyncio.to_thread(self._insert, tracker.sender_id, new_events, serialised)

    def _stored_count(self, sender_id: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(self._statements["count"], {"sender": sender_id}).scalar_one())

    def _insert(self, sender_id: str, events: list[Event],
                serialised: list[dict[str, Any]]) -> None:
        rows = [{
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        } for event, data in zip(events, serialised, strict=True)]
        with self._write_lock, self.engine.begin() as conn:
            conn.execute(self._statements["insert"], rows)

    async def keys(self) -> list[str]:
        return await asyncio.to_thread(self._keys_blocking)

    def _keys_blocking(self) -> list[str]:
        with self.engine.connect() as conn:
            return [sender for (sender,) in conn.execute(self._statements["keys"])]


@functools.lru_cache(maxsize=1)
def _event_classes() -> dict[str, type[Event]]:
    """type name -> event class, first match wins as in `Event.resolve_by_type`."""
    classes: dict[str, type[Event]] = {}
    for cls in all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def _deserialise(dumped: list[dict[str, Any]]) -> list[Event]:
    """`rasa.shared.core.events.deserialise_events`, without re-walking the class tree.

    Rasa resolves each stored event's class by walking every Event subclass (with an
    `inspect.isabstract` per class): about half of the time spent reading a conversation.
    Unknown names still go through Rasa's own resolution (and its errors).
    """
    events = []
    for data in dumped:
        name = data.get("event")
        if name is None:
            continue
        cls = _event_classes().get(name)
        event = cls._from_parameters(data) if cls else Event.from_parameters(data)
        if event is not None:
            events.append(event)
    return events


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    """WAL: the writer does not block readers; FULL keeps one fsync per commit (durable)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
