"""Retention: delete what we promised to delete, on a schedule and on request.

- Rasa's tracker store (the conversation text, pseudonymous sender id): a conversation is
  deleted RETENTION_DAYS (default 30) after its last event, unless it has an open coach case.
- Coach cases and their events: deleted RETENTION_DAYS after the case was closed or handed
  back. Open cases are kept until a coach closes them (no case is lost).
- `forget`: one conversation, on request, everywhere (tracker events and cases), at once.

    python -m bot retention [--days 30] [--dry-run]
    python -m bot forget <conversation_id>
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, delete, func, select

from bot.db.engine import make_engine, upgrade_database
from bot.db.models import OPEN_STATUSES, Case

DEFAULT_DAYS = 30
_metadata = MetaData()
# the columns of Rasa's SQLTrackerStore table that retention needs
RASA_EVENTS = Table(
    "events", _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("timestamp", Float),
)


@dataclass(frozen=True)
class Databases:
    """Where the data lives: Rasa's tracker store and the project's database."""

    tracker_url: str
    app_url: str

    @classmethod
    def from_env(cls) -> Databases:
        return cls(
            tracker_url=os.environ.get("RASA_TRACKER_DB_URL", "sqlite:///var/rasa_tracker.db"),
            app_url=os.environ.get("DATABASE_URL", "sqlite:///var/app.db"),
        )


def purge(dbs: Databases, days: int = DEFAULT_DAYS, now: datetime | None = None,
          dry_run: bool = False) -> dict[str, int]:
    """Delete conversations and closed cases older than `days`; returns counts."""
    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(days=days)
    app = make_engine(dbs.app_url)
    upgrade_database(app)
    naive_cutoff = cutoff.replace(tzinfo=None)
    with app.begin() as conn:
        open_conversations = set(conn.execute(
            select(Case.conversation_id).where(Case.status.in_(OPEN_STATUSES))).scalars())
        old_cases = select(Case.id).where(Case.status.notin_(OPEN_STATUSES),
                                          Case.closed_at < naive_cutoff)
        case_ids = list(conn.execute(old_cases).scalars())
        if case_ids and not dry_run:
            conn.execute(delete(Case).where(Case.id.in_(case_ids)))
    app.dispose()
    tracker = make_engine(dbs.tracker_url)
    deleted_events = 0
    with tracker.begin() as conn:
        if not tracker.dialect.has_table(conn, "events"):
            stale: list[str] = []
        else:
            last = (select(RASA_EVENTS.c.sender_id)
                    .group_by(RASA_EVENTS.c.sender_id)
                    .having(func.max(RASA_EVENTS.c.timestamp) < cutoff.timestamp()))
            stale = [s for s in conn.execute(last).scalars() if s not in open_conversations]
            if stale and not dry_run:
                deleted_events = conn.execute(
                    delete(RASA_EVENTS).where(RASA_EVENTS.c.sender_id.in_(stale))).rowcount
    tracker.dispose()
    return {"conversations": len(stale), "tracker_events": deleted_events,
            "cases": len(case_ids)}


def forget(dbs: Databases, conversation_id: str) -> dict[str, int]:
    """Delete one conversation everywhere, open case or not (the person asked)."""
    app = make_engine(dbs.app_url)
    upgrade_database(app)
    with app.begin() as conn:
        cases = conn.execute(delete(Case).where(Case.conversation_id == conversation_id)).rowcount
    app.dispose()
    tracker = make_engine(dbs.tracker_url)
    with tracker.begin() as conn:
        events = 0
        if tracker.dialect.has_table(conn, "events"):
            events = conn.execute(
                delete(RASA_EVENTS).where(RASA_EVENTS.c.sender_id == conversation_id)).rowcount
    tracker.dispose()
    return {"tracker_events": events, "cases": cases}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot retention")
    parser.add_argument("--days", type=int,
                        default=int(os.environ.get("RETENTION_DAYS", DEFAULT_DAYS)))
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    counts = purge(Databases.from_env(), args.days, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb}: {counts['conversations']} conversations ({counts['tracker_events']} events),"
          f" {counts['cases']} closed cases older than {args.days} days")
    return 0


def forget_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot forget")
    parser.add_argument("conversation_id")
    args = parser.parse_args(argv)
    counts = forget(Databases.from_env(), args.conversation_id)
    print(f"deleted {counts['tracker_events']} tracker events and {counts['cases']} cases")
    return 0
