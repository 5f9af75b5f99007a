"""SQLAlchemy models (2.0-style typed declarations on SQLAlchemy 1.4).

Timestamps are naive UTC datetimes: SQLite has no time zone type, and storing UTC everywhere
keeps ordering by waiting time identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, declarative_base

Base: Any = declarative_base()

# maintainer: reviews what the assistant missed and manages models; never sees cases
ROLES = ("coach", "admin", "maintainer")
PRESENCE = ("online", "away", "offline")
# waiting -> claimed -> closed | handed_back; "open" means waiting or claimed.
CASE_STATUSES = ("waiting", "claimed", "closed", "handed_back")
OPEN_STATUSES = ("waiting", "claimed")
OUTCOMES = (
    "referred_social_services",
    "wants_callback",
    "information_given",
    "no_contact",
    "other",
    "user_left",  # set by the service when the user types a leave word, not chosen by coaches
)
# what a coach can pick when closing a case
COACH_OUTCOMES = tuple(o for o in OUTCOMES if o != "user_left")
EVENT_KINDS = ("user", "coach", "system", "status")


def utcnow() -> datetime:
    """Current time as naive UTC (see module docstring)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def epoch(when: datetime) -> float:
    """A stored (naive UTC) time as Unix time, as Rasa's event timestamps are."""
    return when.replace(tzinfo=timezone.utc).timestamp()


class Coach(Base):
    """A human coach account; created by `python -m bot coach create`."""

    __tablename__ = "coaches"

    id: Mapped[int] = Column(Integer, primary_key=True)
    username: Mapped[str] = Column(String(64), nullable=False, unique=True)
    password_hash: Mapped[str] = Column(String(255), nullable=False)
    role: Mapped[str] = Column(String(16), nullable=False, default="coach")
    active: Mapped[bool] = Column(Boolean, nullable=False, default=True)
    presence: Mapped[str] = Column(String(16), nullable=False, default="offline")
    last_seen_at: Mapped[datetime | None] = Column(DateTime, nullable=True)
    created_at: Mapped[datetime] = Column(DateTime, nullable=False, default=utcnow)


class CoachSession(Base):
    """A login session; only a hash of the cookie token is stored, so a DB leak is not a login."""

    __tablename__ = "coach_sessions"

    token_hash: Mapped[str] = Column(String(64), primary_key=True)
    coach_id: Mapped[int] = Column(
        Integer, ForeignKey("coaches.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token: Mapped[str] = Column(String(64), nullable=False)
    created_at: Mapped[datetime] = Column(DateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = Column(DateTime, nullable=False)


class Case(Base):
    """An escalation of one conversation to a human coach."""

    __tablename__ = "cases"

    id: Mapped[str] = Column(String(32), primary_key=True)
    conversation_id: Mapped[str] = Column(String(200), nullable=False, index=True)
    # equals conversation_id while the case is open, NULL afterwards: a unique column that
    # makes "one open case per conversation" hold even under concurrent requests.
    open_key: Mapped[str | None] = Column(String(200), nullable=True, unique=True)
    channel: Mapped[str] = Column(String(64), nullable=False)
    language: Mapped[str] = Column(String(8), nullable=False)
    trigger: Mapped[str] = Column(String(32), nullable=False)
    priority: Mapped[int] = Column(Integer, nullable=False)
    status: Mapped[str] = Column(String(16), nullable=False, default="waiting")
    intents_seen: Mapped[list[str]] = Column(JSON, nullable=False, default=list)
    summary: Mapped[str] = Column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = Column(DateTime, nullable=False, default=utcnow)
    claimed_at: Mapped[datetime | None] = Column(DateTime, nullable=True)
    claimed_by: Mapped[int | None] = Column(
        Integer, ForeignKey("coaches.id", ondelete="SET NULL"), nullable=True
    )
    closed_at: Mapped[datetime | None] = Column(DateTime, nullable=True)
    outcome: Mapped[str | None] = Column(String(32), nullable=True)
    # set once when the "no coach right now" message was sent, so it is sent exactly once
    unavailable_notified_at: Mapped[datetime | None] = Column(DateTime, nullable=True)

    __table_args__ = (
        Index("ix_cases_status_priority_created", "status", "priority", "created_at"),
    )


class CaseEvent(Base):
    """Something that happened in a case: a message (user/coach/system) or a status change."""

    __tablename__ = "case_events"

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = Column(
        String(32), ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = Column(String(16), nullable=False)
    text: Mapped[str] = Column(Text, nullable=False, default="")
    intent: Mapped[str | None] = Column(String(64), nullable=True)
    coach_id: Mapped[int | None] = Column(
        Integer, ForeignKey("coaches.id", ondelete="SET NULL"), nullable=True
    )
    data: Mapped[dict[str, Any]] = Column(JSON, nullable=False, default=dict)
    # a user message: when it was said (Rasa's timestamp), so a late relay sorts in place
    created_at: Mapped[datetime] = Column(DateTime, nullable=False, default=utcnow)
    # a relayed user message's name (Rasa's message id, else its time): stored once per case
    relay_key: Mapped[str | None] = Column(String(128), nullable=True)

    __table_args__ = (
        Index("ux_case_events_case_relay_key", "case_id", "relay_key", unique=True),
    )


class CannedReply(Base):
    """A ready-made reply coaches can insert; edited by admins."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = Column(Integer, primary_key=True)
    title: Mapped[str] = Column(String(100), nullable=False)
    text: Mapped[str] = Column(Text, nullable=False)
    language: Mapped[str] = Column(String(8), nullable=False, default="sv")
    position: Mapped[int] = Column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = Column(DateTime, nullable=False, default=utcnow)
    updated_by: Mapped[int | None] = Column(
        Integer, ForeignKey("coaches.id", ondelete="SET NULL"), nullable=True
    )


REVIEW_SOURCES = ("low_confidence", "fallback", "rephrase", "flagged")
REVIEW_STATUSES = ("open", "assigned", "new_intent", "dismissed")


class ReviewItem(Base):
    """A user message the assistant did not understand well, waiting for a maintainer.

    Only the scrubbed text is stored, never the raw text and never the conversation or sender
    id, and only the day it was received: an inbox row cannot be traced back to a person.
    `text_key` (a hash of the normalised scrubbed text) lets the same message seen twice be
    one row with a count, instead of a pile of duplicates.
    """

    __tablename__ = "review_items"

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = Column(Text, nullable=False)
    text_key: Mapped[str] = Column(String(64), nullable=False)
    source: Mapped[str] = Column(String(16), nullable=False)
    predicted_intent: Mapped[str | None] = Column(String(64), nullable=True)
    confidence: Mapped[float | None] = Column(Float, nullable=True)
    language: Mapped[str | None] = Column(String(8), nullable=True)
    received_on: Mapped[Any] = Column(Date, nullable=False)
    seen_count: Mapped[int] = Column(Integer, nullable=False, default=1, server_default="1")
    status: Mapped[str] = Column(String(16), nullable=False, default="open")
    resolved_intent: Mapped[str | None] = Column(String(64), nullable=True)
    resolved_by: Mapped[int | None] = Column(
        Integer, ForeignKey("coaches.id", ondelete="SET NULL"), nullable=True
    )
    resolved_at: Mapped[datetime | None] = Column(DateTime, nullable=True)

    __table_args__ = (
        Index("ix_review_items_status_key", "status", "text_key"),
    )
