"""Retention deletes what the assistant promises to delete, and nothing that must stay.

Uses Rasa's real SQLTrackerStore to write conversations (so the table is Rasa's own) and
the project's real database, on SQLite and, when TEST_DATABASE_URL is set, PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db.engine import make_engine, make_sessionmaker, upgrade_database
from bot.db.models import Case, utcnow
from bot.ops.retention import Databases, forget, purge
from tests.conftest import fresh_postgres_database

DAY = 86_400.0


def _tracker_store(url: str) -> SQLTrackerStore:
    parsed = make_url(url)
    return SQLTrackerStore(
        Domain.empty(), dialect=parsed.get_backend_name(), host=parsed.host,
        port=parsed.port, db=parsed.database, username=parsed.username,
        password=parsed.password,
    )


def _save(store: SQLTrackerStore, sender: str, age_days: float) -> None:
    tracker = DialogueStateTracker(sender, [])
    tracker.update(UserUttered("hej", timestamp=time.time() - age_days * DAY))
    asyncio.run(store.save(tracker))


@pytest.fixture(params=["sqlite", "postgresql"])
def dbs(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield Databases(f"sqlite:///{tmp_path}/tracker.db", f"sqlite:///{tmp_path}/app.db")
        return
    # PostgreSQL: a fresh database per test keeps Rasa's and our tables apart
    with fresh_postgres_database("retention") as url:
        yield Databases(url.render_as_string(hide_password=False),
                        url.render_as_string(hide_password=False))

def _case(dbs: Databases, conversation: str, status: str, closed_days_ago: float | None) -> None:
    engine = make_engine(dbs.app_url)
    upgrade_database(engine)
    closed = None
    if closed_days_ago is not None:
        from datetime import timedelta

        closed = utcnow() - timedelta(days=closed_days_ago)
    with make_sessionmaker(engine).begin() as session:
        session.add(Case(id=uuid.uuid4().hex, conversation_id=conversation, channel="rest",
                         language="sv", trigger="request_human", priority=3, status=status,
                         open_key=conversation if status in ("waiting", "claimed") else None,
                         intents_seen=[], summary="", closed_at=closed))
    engine.dispose()


def _senders(dbs: Databases) -> set[str]:
    engine = make_engine(dbs.tracker_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT DISTINCT sender_id FROM events")).scalars()
        return set(rows)


def _cases(dbs: Databases) -> set[str]:
    engine = make_engine(dbs.app_url)
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT conversation_id FROM cases")).scalars())


def test_retention_deletes_old_conversations_and_closed_cases_only(dbs: Databases) -> None:
    store = _tracker_store(dbs.tracker_url)
    _save(store, "old", 40)
    _save(store, "recent", 5)
    _save(store, "old-but-open-case", 40)
    _case(dbs, "old-but-open-case", "waiting", None)
    _case(dbs, "closed-long-ago", "closed", 31)
    _case(dbs, "closed-recently", "closed", 2)
    counts = purge(dbs, days=30)
    assert counts["conversations"] == 1 and counts["cases"] == 1
    assert _senders(dbs) == {"recent", "old-but-open-case"}
    assert _cases(dbs) == {"old-but-open-case", "closed-recently"}


def test_dry_run_deletes_nothing(dbs: Databases) -> None:
    _save(_tracker_store(dbs.tracker_url), "old", 40)
    assert purge(dbs, days=30, dry_run=True)["conversations"] == 1
    assert _senders(dbs) == {"old"}


def test_forget_deletes_one_conversation_everywhere_now(dbs: Databases) -> None:
    store = _tracker_store(dbs.tracker_url)
    _save(store, "me", 0)
    _save(store, "someone-else", 0)
    _case(dbs, "me", "claimed", None)
    counts = forget(dbs, "me")
    assert counts["cases"] == 1 and counts["tracker_events"] >= 1
    assert _senders(dbs) == {"someone-else"}
    assert "me" not in _cases(dbs)
