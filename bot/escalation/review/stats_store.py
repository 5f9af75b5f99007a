"""The statistics' database reads (SQLAlchemy 2.0 style), apart from the page code.

Two sources: Rasa's SQL tracker store (table `events`, one row per tracker event; Rasa owns
that schema, so it is declared here read-only, with only the columns the figures use) and the
project database's `cases`. The reads return plain rows and never a text: `stats` aggregates
them and renders the page, the CSV and the charts without knowing SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import NamedTuple

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.db.models import Case

# Rasa 3.6's SQLTrackerStore table (rasa/core/tracker_store.py); never created or written here
TRACKER_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
COUNTED_EVENTS = ("user", "action")


class TrackerEvent(NamedTuple):
    """A user message or an action run, as the figures need it."""

    sender_id: str
    type_name: str
    timestamp: float
    intent_name: str | None
    action_name: str | None
    data: str | None


class CaseFigure(NamedTuple):
    """What the figures read of a case: when, why, when claimed, how it ended."""

    created_at: datetime
    trigger: str
    claimed_at: datetime | None
    outcome: str | None


class TrackerUnreadable(Exception):
    """The tracker database could not be read; the message is the error's type name only
    (the page shows it, and a driver's message could quote a row)."""


class StatsStore:
    """Reads for the statistics page; `tracker` is None when no tracker store is configured."""

    def __init__(self, app: Engine, tracker: Engine | None) -> None:
        self.app = app
        self.tracker = tracker

    def tracker_events(self, since: date) -> Iterator[TrackerEvent]:
        """User and action events from `since` (UTC midnight) on, streamed in id order.

        Raises TrackerUnreadable, also part-way through (the caller keeps nothing of a
        half-read source).
        """
        if self.tracker is None:
            return
        start = datetime(since.year, since.month, since.day, tzinfo=timezone.utc).timestamp()
        events = TRACKER_EVENTS.c
        query = (
            select(events.sender_id, events.type_name, events.timestamp, events.intent_name,
                   events.action_name, events.data)
            .where(events.timestamp >= start, events.type_name.in_(COUNTED_EVENTS))
            .order_by(events.id)
        )
        try:
            with self.tracker.connect() as conn:
                for row in conn.execute(query):
                    yield TrackerEvent(str(row.sender_id), str(row.type_name),
                                       float(row.timestamp), row.intent_name, row.action_name,
                                       row.data)
        except SQLAlchemyError as exc:
            raise TrackerUnreadable(type(exc).__name__) from exc

    def cases(self, since: date) -> list[CaseFigure]:
        """Every case opened from `since` (naive UTC midnight, as the table stores it) on."""
        start = datetime(since.year, since.month, since.day)
        query = (
            select(Case.created_at, Case.trigger, Case.claimed_at, Case.outcome)
            .where(Case.created_at >= start)
            .order_by(Case.created_at)
        )
        with self.app.connect() as conn:
            return [CaseFigure(*row) for row in conn.execute(query)]
