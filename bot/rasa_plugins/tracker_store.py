"""Rasa's SQL tracker store, made cheap enough for many conversations, and
losing no turn while the database is down.

Rasa 3.6's `SQLTrackerStore` costs more per message than the NLU model (bench/speed.py,
py-spy): every query and commit runs on the server's one event loop, so while SQLite or
PostgreSQL flushes a commit to disk no other conversation moves; each query is composed anew
through the ORM; and reading a conversation resolves every stored event's class by walking
the whole Event class tree. This subclass keeps Rasa's tables, query semantics and
durability (every commit reaches the disk before the answer is sent) and

- runs the database work in worker threads, where waiting for the disk or the network
  overlaps with other conversations' work;
- uses Core statements built once (compiled once by SQLAlchemy) and a cached class lookup;
- knows which events of a tracker are new without asking the database: it remembers how
  many events each tracker it handed out (or saved) had. Rasa counts the stored events of
  the session on every save instead: a query per message, impossible during an outage, and
  wrong once rows were added since the tracker was read (a spool written meanwhile). A
  tracker it never saw (e.g. Rasa's "replace events" API) is still counted as Rasa does;
- publishes the new events to the event broker (ours relays user messages to coaches)
  after storing them, where Rasa publishes first: a consumer never gets an event the
  database lacks, and a failed save is published once, by Rasa's fallback store.

**Database outages.** Rasa wraps every tracker store in `FailSafeTrackerStore`: when a read
fails the turn starts on a fresh, empty tracker; when a save fails the turn goes to an
in-memory store nobody reads again, so it would be missing from the stored transcript. This
store keeps the events it could not store in a spool per conversation, in order (then
raises, so the fallback answers as before), and writes them

- before it reads that conversation again (if that fails, the read fails and the fallback
  keeps answering), so the next turn continues from the complete stored transcript;
- from a background task every `FLUSH_INTERVAL` seconds while anything is spooled, so the
  other instances soon see them.

A spool is merged turn by turn, by time, with the turns stored for the conversation since
its first one (another instance's outage turns, or a turn it answered after the outage):
the transcript keeps the order in which the turns were said. A turn that started on the
fallback's fresh tracker carries its own `action_session_start` / `session_started`; they
are not stored for a conversation the database already has, so the outage turns continue its
session (a conversation paused for a coach stays paused, its slots keep their values). A
per-conversation lock orders saves and spool writes (a PostgreSQL advisory lock orders two
instances' spool writes), and rows leave the spool only once committed: nothing is written
twice. At most `MAX_SPOOLED_EVENTS` events are kept (about 1,000 turns); beyond that the
oldest are dropped with an ERROR log. Limits: the spool is in memory, so a Rasa process
killed during the outage loses the turns it spooled; a commit whose acknowledgement is lost
with the connection is written again (one duplicated turn); and the outage turns themselves
were answered without the conversation's context (Rasa's fallback).

Measured on one conversation store (8 events per message, SQLite): 8.8 -> 2.1 ms of CPU and
30 -> 6 ms of wall time per message. Used by endpoints.yml and endpoints.prod.yml as
`type: bot.rasa_plugins.tracker_store.SQLTrackerStore`, with the same keys as Rasa's `type: SQL`. On
SQLite it turns on WAL, so readers (the coach console, retention) never block the writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import itertools
import json
import logging
import threading
import weakref
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore as RasaSQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from sqlalchemy import event as sa_event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot.db.engine import private_sqlite_file, sqlite_privacy_pragmas

log = logging.getLogger(__name__)

MAX_SPOOLED_EVENTS = 10_000  # ~1,000 turns, some tens of MB at most
FLUSH_INTERVAL = 1.0  # seconds between attempts to write the spool while the database is down
MAX_ORIGINS = 10_000  # remembered "the next new tracker of X is fresh" marks

# a tracker we handed out or saved: its events up to `stored` are stored or spooled
RETRIEVED, FRESH, FALLBACK = "retrieved", "fresh", "fallback"


def is_outage(error: BaseException) -> bool:
    """The database did not answer (down, restarting, unreachable), as opposed to refusing
    the data: only then is keeping the events for later worth it."""
    if isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError,
                          ConnectionError, TimeoutError)):
        return True
    return isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated


@dataclass
class _Known:
    """A tracker object this store handed out or saved, and how many of its events are safe."""

    ref: weakref.ref[DialogueStateTracker]
    kind: str
    stored: int
    session_prefix: int = -1  # FALLBACK: events up to this index are its own session start
    group: int = -1  # FALLBACK: tells its session-start rows from another tracker's


@dataclass
class _Row:
    """An event as an `events` row; `prefix`: the group of a fallback tracker's session start
    (stored only for a conversation the database does not have yet), or None."""

    values: dict[str, Any]
    prefix: int | None
    seq: int


class SQLTrackerStore(RasaSQLTrackerStore):
    """Same tables and semantics as Rasa's SQL tracker store; blocking work in threads; the
    events of a database outage kept and stored when it answers again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("dialect") == "sqlite" and kwargs.get("db"):
            private_sqlite_file(str(kwargs["db"]))  # owner-only before Rasa creates it
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
        # all of this is touched on the event loop only (worker threads get copies)
        self._known: dict[int, _Known] = {}
        self._origins: OrderedDict[str, str] = OrderedDict()  # sender -> FRESH | FALLBACK
        self._spool: dict[str, list[_Row]] = {}
        self._spooled = 0
        self._seq = itertools.count()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())
        self._flusher: asyncio.Task[None] | None = None

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
            "exists": sa.select(table.c.id).where(table.c.sender_id == sender).limit(1),
            "insert": table.insert(),
            "keys": sa.select(table.c.sender_id).distinct(),
        }

    # ---- reading --------------------------------------------------------------------------

    async def _retrieve(self, sender_id: str,
                        fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        """Read a conversation, after storing what was spooled for it (or fail, see save)."""
        try:
            if sender_id in self._spool:
                async with self._lock(sender_id):
                    await self._flush(sender_id)
            tracker = await asyncio.to_thread(self._retrieve_blocking, sender_id,
                                              fetch_events_from_all_sessions)
        except Exception as error:
            if is_outage(error):
                # Rasa's FailSafe store answers None: the turn starts on a fresh tracker
                self._mark_origin(sender_id, FALLBACK)
            raise
        if tracker is None:
            self._mark_origin(sender_id, FRESH)
        else:
            self._origins.pop(sender_id, None)
            self._remember(tracker, RETRIEVED, len(tracker.events))
        return tracker

    def _retrieve_blocking(self, sender_id: str,
                           all_sessions: bool) -> DialogueStateTracker | None:
        statement = self._statements["all" if all_sessions else "latest"]
        with self.engine.connect() as conn:
            rows = conn.execute(statement, {"sender": sender_id}).all()
        if not self.domain or not rows:
            return None
        events = _deserialise([json.loads(data) for (data,) in rows])
        return DialogueStateTracker.from_events(sender_id, events, self.domain.slots)

    # ---- writing --------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events, then publish them to the broker.

        When the database does not answer, the new events are spooled and the error raised,
        so Rasa's FailSafe store saves (and publishes) the turn in its fallback as before.
        """
        sender = tracker.sender_id
        async with self._lock(sender):
            known = self._known_for(tracker)
            rows: list[_Row] | None = None
            try:
                await self._flush(sender)
                if known is None:
                    # a tracker from elsewhere: as Rasa, the stored events are the old ones
                    start = await asyncio.to_thread(self._stored_count, sender)
                else:
                    start = known.stored
                    if known.kind == FALLBACK and start >= len(tracker.events):
                        # nothing new, but Rasa's fallback must still see the outage: it
                        # diffs against the tracker it saved last, which is a previous turn's
                        await asyncio.to_thread(self._stored_count, sender)
                new_events = list(itertools.islice(tracker.events, start, len(tracker.events)))
                if not new_events:
                    return
                serialised = [event.as_dict() for event in new_events]
                rows = self._rows(sender, new_events, serialised, start, known)
                await asyncio.to_thread(self._write, sender, rows)
            except Exception as error:
                if not is_outage(error):
                    raise
                if rows is None:
                    if known is None:
                        log.warning("Database unreachable; cannot tell which events of a "
                                    "tracker for %s are new, not keeping them", sender)
                        raise
                    rows = self._rows(sender, list(itertools.islice(
                        tracker.events, known.stored, len(tracker.events))), None,
                        known.stored, known)
                self._spool_rows(sender, rows)
                self._remember(tracker, known.kind if known else RETRIEVED,
                               len(tracker.events), known)
                raise
            self._remember(tracker, known.kind if known else RETRIEVED, len(tracker.events),
                           known)
        if self.event_broker is not None:
            for data in serialised:
                self.event_broker.publish({"sender_id": sender, **data})

    def _stored_count(self, sender_id: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(self._statements["count"], {"sender": sender_id}).scalar_one())

    def _rows(self, sender_id: str, events: list[Event],
              serialised: list[dict[str, Any]] | None, start: int,
              known: _Known | None) -> list[_Row]:
        """`events` rows for the events from index `start` of a tracker."""
        serialised = serialised or [event.as_dict() for event in events]
        prefix_end, group = (known.session_prefix, known.group) if known else (-1, -1)
        return [_Row({
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }, group if start + i <= prefix_end else None, next(self._seq))
            for i, (event, data) in enumerate(zip(events, serialised, strict=True))]

    def _write(self, sender_id: str, rows: list[_Row], spooled: bool = False) -> None:
        """Insert rows in one transaction; a fallback turn's session start only for a
        conversation the database does not have yet (else it would cut the session).

        Spooled rows are merged, turn by turn in the order the turns were said, with what
        was stored for the conversation since their first turn (another instance's turns
        of the outage, or its first turns after it): rows are read in id order.
        """
        with self._write_lock, self.engine.begin() as conn:
            if spooled and conn.dialect.name == "postgresql":
                # two instances writing their spools of one conversation: one after the other
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
                    zlib.crc32(sender_id.encode()) - 2**31)))
            values = [row.values for row in rows]
            if any(row.prefix is not None for row in rows):
                stored = conn.execute(self._statements["exists"],
                                      {"sender": sender_id}).first() is not None
                keep: dict[int, bool] = {}
                values = []
                for row in rows:
                    if row.prefix is not None and not keep.setdefault(row.prefix, not stored):
                        continue
                    values.append(row.values)
                    stored = True
            if spooled and values:
                values = self._merge_later(conn, sender_id, values)
            if values:
                conn.execute(self._statements["insert"], values)

    def _merge_later(self, conn: sa.engine.Connection, sender_id: str,
                     values: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`values` merged with the conversation's rows newer than their first; those rows
        are deleted here, to be inserted again with the merge."""
        first = values[0]["timestamp"]
        if first is None:
            return values
        table = self.SQLEvent.__table__
        later = conn.execute(sa.select(table).where(
            table.c.sender_id == sender_id, table.c.timestamp > first)
            .order_by(table.c.id)).mappings().all()
        if not later:
            return values
        conn.execute(table.delete().where(table.c.id.in_([row["id"] for row in later])))
        theirs = [{k: v for k, v in row.items() if k != "id"} for row in later]
        return list(itertools.chain.from_iterable(heapq.merge(
            _turns(theirs), _turns(values), key=lambda turn: turn[0]["timestamp"] or 0.0)))

    async def keys(self) -> list[str]:
        return await asyncio.to_thread(self._keys_blocking)

    def _keys_blocking(self) -> list[str]:
        with self.engine.connect() as conn:
            return [sender for (sender,) in conn.execute(self._statements["keys"])]

    # ---- which events are new -------------------------------------------------------------

    def _remember(self, tracker: DialogueStateTracker, kind: str, stored: int,
                  known: _Known | None = None) -> None:
        """Note that `tracker`'s first `stored` events are in the database (or the spool)."""
        if known is not None and known.ref() is tracker:
            known.stored = stored
            return
        key = id(tracker)
        known_map = self._known

        def forget(ref: weakref.ref[DialogueStateTracker]) -> None:
            entry = known_map.get(key)
            if entry is not None and entry.ref is ref:
                del known_map[key]

        entry = _Known(weakref.ref(tracker, forget), kind, stored)
        if kind == FALLBACK:
            entry.session_prefix, entry.group = _session_prefix_end(tracker), next(self._seq)
        self._known[key] = entry

    def _known_for(self, tracker: DialogueStateTracker) -> _Known | None:
        """What we know of this tracker object; a new one after a failed (FALLBACK) or empty
        (FRESH) retrieve of its conversation is Rasa's fresh tracker: all its events are new."""
        entry = self._known.get(id(tracker))
        if entry is not None and entry.ref() is tracker:
            if entry.kind == FALLBACK and entry.session_prefix < 0:
                entry.session_prefix = _session_prefix_end(tracker)
            return entry
        origin = self._origins.pop(tracker.sender_id, None)
        if origin is None:
            return None
        self._remember(tracker, origin, 0)
        return self._known[id(tracker)]

    def _mark_origin(self, sender_id: str, origin: str) -> None:
        self._origins[sender_id] = origin
        self._origins.move_to_end(sender_id)
        while len(self._origins) > MAX_ORIGINS:
            self._origins.popitem(last=False)

    # ---- the outage spool -----------------------------------------------------------------

    def _lock(self, sender_id: str) -> asyncio.Lock:
        """One conversation's saves and spool writes, one at a time (weakly held: no leak)."""
        lock = self._locks.get(sender_id)
        if lock is None:
            lock = self._locks[sender_id] = asyncio.Lock()
        return lock

    def _spool_rows(self, sender_id: str, rows: list[_Row]) -> None:
        if not rows:
            return
        if not self._spooled:
            log.warning("Tracker database unreachable: keeping conversation events in memory "
                        "until it answers (up to %d)", MAX_SPOOLED_EVENTS)
        self._spool.setdefault(sender_id, []).extend(rows)
        self._spooled += len(rows)
        if self._spooled > MAX_SPOOLED_EVENTS:
            self._drop_oldest(self._spooled - MAX_SPOOLED_EVENTS)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())

    def _drop_oldest(self, count: int) -> None:
        dropped: dict[str, int] = {}
        for _ in range(count):
            sender = min(self._spool, key=lambda s: self._spool[s][0].seq)
            rows = self._spool[sender]
            rows.pop(0)
            if not rows:
                del self._spool[sender]
            dropped[sender] = dropped.get(sender, 0) + 1
        self._spooled -= count
        log.error("Tracker database unreachable and %d events spooled: dropped the oldest %s "
                  "(they will be missing from those transcripts)", MAX_SPOOLED_EVENTS, dropped)

    async def _flush(self, sender_id: str) -> None:
        """Store the sender's spool (caller holds its lock); raises while the database is
        down. Data the database refuses would never store and is dropped with an ERROR."""
        rows = list(self._spool.get(sender_id, ()))
        if not rows:
            return
        try:
            await asyncio.to_thread(self._write, sender_id, rows, True)
        except Exception as error:
            if is_outage(error):
                raise
            # the error's text can quote the statement's parameters (the messages): type only
            log.error("Dropping %d spooled events of %s that the database refuses: %s",
                      len(rows), sender_id, type(error).__name__)
        self._discard(sender_id, rows)

    def _discard(self, sender_id: str, rows: list[_Row]) -> None:
        """Remove written rows from the spool (by identity: some may have been dropped)."""
        done = {id(row) for row in rows}
        left = [row for row in self._spool.get(sender_id, ()) if id(row) not in done]
        removed = len(self._spool.get(sender_id, ())) - len(left)
        self._spooled -= removed
        if left:
            self._spool[sender_id] = left
        else:
            self._spool.pop(sender_id, None)

    async def _flush_loop(self) -> None:
        """Write every spool as soon as the database answers, then stop."""
        written: set[str] = set()
        while self._spool:
            await asyncio.sleep(FLUSH_INTERVAL)
            for sender in list(self._spool):
                try:
                    async with self._lock(sender):
                        await self._flush(sender)
                except Exception as error:
                    if not is_outage(error):
                        log.error("Writing the spooled events of %s failed: %s", sender,
                                  type(error).__name__)
                    break  # still down: try again in FLUSH_INTERVAL
                written.add(sender)
        log.warning("Tracker database answers again: every spooled event is stored (%d "
                    "conversations written from here)", len(written))


def _turns(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows cut before each user message: a turn keeps its events together when merged."""
    turns: list[list[dict[str, Any]]] = []
    for row in rows:
        if not turns or row["type_name"] == "user":
            turns.append([])
        turns[-1].append(row)
    return turns


def _session_prefix_end(tracker: DialogueStateTracker) -> int:
    """Index of the last event of the tracker's own session start (`action_session_start`,
    `session_started`, carried-over slots, `action_listen`), or -1 if it has none yet."""
    start = next((i for i, event in enumerate(tracker.events)
                  if isinstance(event, SessionStarted)), None)
    if start is None:
        return -1
    for i, event in enumerate(itertools.islice(tracker.events, start + 1, None), start + 1):
        if isinstance(event, ActionExecuted):
            return i if event.action_name == ACTION_LISTEN_NAME else i - 1
        if event.type_name != "slot":
            return i - 1
    return len(tracker.events) - 1


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
    sqlite_privacy_pragmas(dbapi_connection)
