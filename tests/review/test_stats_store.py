"""The statistics' queries (bot/escalation/review/stats_store.py) on SQLite and PostgreSQL:
the window, the event kinds, the case columns, and an unreadable tracker database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from bot.db.engine import make_engine, upgrade_database
from bot.db.models import Case
from bot.escalation.review import stats
from bot.escalation.review.stats_store import (
    TRACKER_EVENTS,
    CaseFigure,
    StatsStore,
    TrackerEvent,
    TrackerUnreadable,
)

SINCE = date(2025, 3, 1)


def _ts(day: int, hour: int = 12) -> float:
    return datetime(2025, 3, day, hour, tzinfo=timezone.utc).timestamp()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The project database migrated, with Rasa's `events` table beside it."""
    engine = make_engine(db_url)
    upgrade_database(engine)
    TRACKER_EVENTS.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _event(sender: str, kind: str, ts: float, intent: str | None = None,
           action: str | None = None, channel: str = "callback") -> dict[str, object]:
    return {"sender_id": sender, "type_name": kind, "timestamp": ts, "intent_name": intent,
            "action_name": action, "data": json.dumps({"input_channel": channel})}


def _case(case_id: str, created: datetime, claimed: datetime | None = None,
          outcome: str | None = None, trigger: str = "request_human") -> dict[str, object]:
    return {"id": case_id, "conversation_id": "conv-" + case_id, "channel": "callback",
            "language": "sv", "trigger": trigger, "priority": 3, "status": "waiting",
            "intents_seen": [], "summary": "", "created_at": created, "claimed_at": claimed,
            "outcome": outcome}


def test_tracker_events_in_the_window_only_user_and_action(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(TRACKER_EVENTS), [
            _event("s1", "user", _ts(1, 0) - 1, "greet"),  # the second before the window
            _event("s1", "user", _ts(1, 0), "greet"),  # midnight UTC: inside
            _event("s2", "action", _ts(2), action="utter_ask_rephrase"),
            _event("s2", "slot", _ts(2)),
            _event("s3", "user", _ts(3), "nlu_fallback", channel="rest"),
        ])
    events = list(StatsStore(engine, engine).tracker_events(SINCE))
    assert [(e.sender_id, e.type_name, e.intent_name, e.action_name) for e in events] == [
        ("s1", "user", "greet", None),
        ("s2", "action", None, "utter_ask_rephrase"),
        ("s3", "user", "nlu_fallback", None),
    ]
    assert events[0].timestamp == _ts(1, 0)
    assert json.loads(events[2].data or "{}") == {"input_channel": "rest"}


def test_cases_in_the_window_with_wait_and_outcome(engine: Engine) -> None:
    opened = datetime(2025, 3, 2, 10, 0)
    with engine.begin() as conn:
        conn.execute(insert(Case), [
            _case("old", datetime(2025, 2, 28, 23, 59)),
            _case("a", opened, datetime(2025, 3, 2, 10, 6), "information_given"),
            _case("b", datetime(2025, 3, 3, 9, 0), trigger="crisis_suicidal"),
        ])
    assert StatsStore(engine, None).cases(SINCE) == [
        CaseFigure(opened, "request_human", datetime(2025, 3, 2, 10, 6), "information_given"),
        CaseFigure(datetime(2025, 3, 3, 9, 0), "crisis_suicidal", None, None),
    ]


def test_without_a_tracker_database_there_are_no_events(engine: Engine) -> None:
    assert list(StatsStore(engine, None).tracker_events(SINCE)) == []


def test_an_unreadable_tracker_names_only_the_error_type(db_url: str, tmp_path: object) -> None:
    app = make_engine(db_url)
    missing = make_engine(f"sqlite:///{tmp_path}/no-tracker.db")  # no `events` table
    try:
        upgrade_database(app)
        with app.begin() as conn:
            conn.execute(insert(Case), [_case("c", datetime(2025, 3, 5, 8, 0))])
        store = StatsStore(app, missing)
        with pytest.raises(TrackerUnreadable, match=r"^OperationalError$"):
            list(store.tracker_events(SINCE))
        figures = stats.compute(store, days=10, today=date(2025, 3, 10))
        assert figures.tracker_error == "OperationalError" and figures.user_messages == 0
        assert figures.escalations == {("2025-03-05", "request_human"): 1}  # cases still shown
    finally:
        app.dispose()
        missing.dispose()


def test_compute_aggregates_what_the_store_returns() -> None:
    """The page side without a database: conversations per day and channel, fallbacks."""

    class Fixed:
        def tracker_events(self, since: date) -> Iterator[TrackerEvent]:
            for n in range(6):
                yield TrackerEvent(f"s{n}", "user", _ts(4), "nlu_fallback" if n == 0 else "greet",
                                   None, json.dumps({"input_channel": "callback"}))
            yield TrackerEvent("s0", "user", _ts(4), "greet", None, "not json")

        def cases(self, since: date) -> list[CaseFigure]:
            return []

    figures = stats.compute(Fixed(), days=10, today=date(2025, 3, 10))  # type: ignore[arg-type]
    assert figures.user_messages == 7 and figures.fallbacks == 1
    assert figures.conversations == {("2025-03-04", "callback"): 6, ("2025-03-04", "annan"): 1}
