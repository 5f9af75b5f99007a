"""Retention: delete what we promised to delete, on a schedule and on request.

- Rasa's tracker store (the conversation text, pseudonymous sender id): a conversation is
  deleted RETENTION_DAYS (default 30) after its last event, unless it has an open coach case.
- Coach cases and their events: deleted RETENTION_DAYS after the case was closed or handed
  back. Open cases are kept until a coach closes them (no case is lost).
- Review inbox items (scrubbed text, no sender): deleted RETENTION_DAYS after they arrived,
  open or resolved.
- Case requests still in the action server's retry queue (var/pending_cases.db): deleted
  RETENTION_DAYS after they were queued.
- SMS vault (encrypted numbers): numbers inactive for GATEWAY_SMS_NUMBER_TTL_HOURS, and the
  number of every conversation deleted here.
- `forget`: one conversation, on request, everywhere at once: tracker events, cases and
  their messages, queued case requests, the review items filed from its messages, its SMS
  number.

A deleted row must not stay readable on disk: every SQLite connection of the project runs
with `secure_delete` (freed space is overwritten with zeros) and after deleting, the WAL is
checkpointed and truncated, so the old pages leave the -wal file too. On PostgreSQL the rows
are gone from every table; dead row versions stay in the data files until autovacuum reuses
the space (PostgreSQL has no secure delete: that needs disk encryption).

    python -m bot retention [--days 30] [--dry-run]
    python -m bot forget <conversation_id>
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    select,
)
from sqlalchemy.engine import Engine, make_url

from bot.clients.escalation import PendingCases
from bot.db.engine import checkpoint_sqlite, make_engine, upgrade_database
from bot.db.models import OPEN_STATUSES, Case, CaseEvent, ReviewItem
from bot.settings import load

DEFAULT_DAYS = 30
DEFAULT_SMS_TTL_HOURS = 96.0
_metadata = MetaData()
# the columns of Rasa's SQLTrackerStore table that retention needs
RASA_EVENTS = Table(
    "events", _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("data", Text),
)


@dataclass(frozen=True)
class Databases:
    """Where the data lives: Rasa's tracker store, the project's database, the SMS vault."""

    tracker_url: str
    app_url: str
    vault_url: str | None = None
    sms_ttl_hours: float = DEFAULT_SMS_TTL_HOURS
    unchecked: list[str] = field(default_factory=list, compare=False)

    @classmethod
    def from_env(cls) -> Databases:
        s = load()
        return cls(tracker_url=s.rasa_tracker_db_url, app_url=s.database_url,
                   vault_url=s.gateway_vault_url, sms_ttl_hours=s.gateway_sms_number_ttl_hours)


def _exists(url: str) -> bool:
    """A SQLite file that is not there holds nothing to delete (and is not created here)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return True
    return bool(parsed.database) and Path(parsed.database).exists()


def _finish(engine: Engine, dbs: Databases) -> None:
    """Push deleted pages out of the WAL file; note a database whose readers blocked it."""
    if not checkpoint_sqlite(engine):
        dbs.unchecked.append(str(engine.url.database))
    engine.dispose()


def _user_texts(rows: list[Any]) -> list[str]:
    texts = []
    for row in rows:
        try:
            data = json.loads(row) if isinstance(row, str) else {}
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("text"), str):
            texts.append(data["text"])
    return texts


def _review_keys(texts: list[str]) -> set[str]:
    from bot.escalation.review.store import raw_text_key  # loads the scrubber only when needed

    return {raw_text_key(t) for t in texts if t.strip()}


def _vault_delete(dbs: Databases, senders: list[str], now: float | None,
                  dry_run: bool = False) -> int:
    """Delete the SMS numbers of `senders` and, with `now`, those past their TTL."""
    if not dbs.vault_url or not _exists(dbs.vault_url):
        return 0
    from bot.gateway import vault

    engine = vault.make_vault_engine(dbs.vault_url)
    removed = 0
    with engine.begin() as conn:
        if not engine.dialect.has_table(conn, vault.contacts.name):
            engine.dispose()
            return 0
        contacts = vault.contacts.c
        clauses = [contacts.sender_id.in_(senders)] if senders else []
        if now is not None:
            clauses.append(contacts.last_active < now - dbs.sms_ttl_hours * 3600)
        for clause in clauses:
            if dry_run:
                removed += len(conn.execute(select(contacts.sender_id).where(clause)).all())
            else:
                removed += int(conn.execute(delete(vault.contacts).where(clause)).rowcount or 0)
        if now is not None and not dry_run and engine.dialect.has_table(
                conn, vault.seen_messages.name):
            conn.execute(delete(vault.seen_messages).where(
                vault.seen_messages.c.seen_at < now - vault.SEEN_TTL_SECONDS))
        if not dry_run and engine.dialect.has_table(conn, vault.sent_messages.name):
            sent = vault.sent_messages.c
            conn.execute(delete(vault.sent_messages).where(sent.sender_id.in_(senders)))
            if now is not None:
                conn.execute(delete(vault.sent_messages).where(
                    sent.sent_at < now - vault.SENT_TTL_SECONDS))
    _finish(engine, dbs)
    return removed


def purge(dbs: Databases, days: int = DEFAULT_DAYS, now: datetime | None = None,
          dry_run: bool = False) -> dict[str, int]:
    """Delete everything past retention (see the module docstring); returns counts."""
    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(days=days)
    naive_cutoff = cutoff.replace(tzinfo=None)
    app = make_engine(dbs.app_url)
    upgrade_database(app)
    with app.begin() as conn:
        open_conversations = set(conn.execute(
            select(Case.conversation_id).where(Case.status.in_(OPEN_STATUSES))).scalars())
        old_cases = select(Case.id).where(Case.status.notin_(OPEN_STATUSES),
                                          Case.closed_at < naive_cutoff)
        case_ids = list(conn.execute(old_cases).scalars())
        review_ids = list(conn.execute(select(ReviewItem.id).where(
            ReviewItem.received_on < cutoff.date())).scalars())
        if not dry_run:
            if case_ids:
                conn.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(case_ids)))
                conn.execute(delete(Case).where(Case.id.in_(case_ids)))
            if review_ids:
                conn.execute(delete(ReviewItem).where(ReviewItem.id.in_(review_ids)))
    _finish(app, dbs)
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
    _finish(tracker, dbs)
    numbers = _vault_delete(dbs, stale, now.timestamp(), dry_run)
    pending = PendingCases().purge((now - timedelta(days=days)).timestamp(), dry_run)
    return {"conversations": len(stale), "tracker_events": deleted_events,
            "cases": len(case_ids), "review_items": len(review_ids),
            "outbox": pending, "sms_numbers": numbers}


def forget(dbs: Databases, conversation_id: str) -> dict[str, int]:
    """Delete one conversation everywhere, open case or not (the person asked)."""
    tracker = make_engine(dbs.tracker_url)
    with tracker.begin() as conn:
        events, texts = 0, []
        if tracker.dialect.has_table(conn, "events"):
            texts = _user_texts(list(conn.execute(
                select(RASA_EVENTS.c.data).where(RASA_EVENTS.c.sender_id == conversation_id,
                                                 RASA_EVENTS.c.type_name == "user")).scalars()))
            events = conn.execute(
                delete(RASA_EVENTS).where(RASA_EVENTS.c.sender_id == conversation_id)).rowcount
    _finish(tracker, dbs)
    app = make_engine(dbs.app_url)
    upgrade_database(app)
    with app.begin() as conn:
        case_ids = list(conn.execute(select(Case.id).where(
            Case.conversation_id == conversation_id)).scalars())
        if case_ids:
            texts += list(conn.execute(select(CaseEvent.text).where(
                CaseEvent.case_id.in_(case_ids), CaseEvent.kind == "user")).scalars())
            conn.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(case_ids)))
            conn.execute(delete(Case).where(Case.id.in_(case_ids)))
        keys = _review_keys(texts)
        reviews = int(conn.execute(delete(ReviewItem).where(
            ReviewItem.text_key.in_(keys))).rowcount or 0) if keys else 0
    _finish(app, dbs)
    numbers = _vault_delete(dbs, [conversation_id], None)
    pending = PendingCases().forget(conversation_id)  # the action server's retry queue
    return {"tracker_events": events, "cases": len(case_ids),
            "outbox": pending,
            "review_items": reviews, "sms_numbers": numbers}


def _warn_unchecked(dbs: Databases) -> None:
    if dbs.unchecked:
        print("warning: deleted, but the WAL of " + ", ".join(dbs.unchecked) + " could not be "
              "truncated (a reader held it): run the command again", file=sys.stderr)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot retention")
    parser.add_argument("--days", type=int,
                        default=load().retention_days)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    dbs = Databases.from_env()
    started = time.monotonic()
    counts = purge(dbs, args.days, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb}: {counts['conversations']} conversations ({counts['tracker_events']} events),"
          f" {counts['cases']} closed cases, {counts['review_items']} review items,"
          f" {counts['outbox']} queued case requests older than {args.days} days;"
          f" {counts['sms_numbers']} SMS numbers ({time.monotonic() - started:.1f} s)")
    _warn_unchecked(dbs)
    return 1 if dbs.unchecked else 0


def forget_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot forget")
    parser.add_argument("conversation_id")
    args = parser.parse_args(argv)
    dbs = Databases.from_env()
    counts = forget(dbs, args.conversation_id)
    print(f"deleted {counts['tracker_events']} tracker events, {counts['cases']} cases,"
          f" {counts['outbox']} queued case requests, {counts['review_items']} review items,"
          f" {counts['sms_numbers']} SMS numbers")
    _warn_unchecked(dbs)
    return 1 if dbs.unchecked else 0
