"""Database operations of the review inbox (synchronous, run in threads like the case store).

Only scrubbed text reaches these functions' callers' tables: `add_item` scrubs again anyway,
because a second pass is cheap and the table must never hold personal data.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from bot.db.models import ReviewItem, utcnow
from bot.privacy import scrub

MAX_TEXT = 500
# the intent of these came from a person (a coach's flag, the writer's own "Menade du" choice)
LABELLED_SOURCES = frozenset({"flagged", "user_choice"})


def normalise(text: str) -> str:
    """Lower case, NFC, collapsed spaces, no trailing punctuation: the duplicate key."""
    text = unicodedata.normalize("NFC", text).lower().strip()
    text = re.sub(r"\s+", " ", text)
    return text.strip(" .!?,")


def text_key(text: str) -> str:
    return hashlib.sha256(normalise(text).encode()).hexdigest()


def clean_text(text: str) -> str:
    """What the inbox stores for a raw message: scrubbed and capped."""
    return scrub(text.strip())[:MAX_TEXT]


def raw_text_key(text: str) -> str:
    """The key the inbox would file a raw message under (forget finds its items with it)."""
    return text_key(clean_text(text))


@dataclass(frozen=True)
class ReviewRow:
    """What the inbox shows (a plain copy: no lazy loading outside the session)."""

    id: int
    text: str
    source: str
    predicted_intent: str | None
    confidence: float | None
    language: str | None
    received_on: date
    seen_count: int
    status: str
    resolved_intent: str | None


def _row(item: ReviewItem) -> ReviewRow:
    return ReviewRow(item.id, item.text, item.source, item.predicted_intent, item.confidence,
                     item.language, item.received_on, item.seen_count, item.status,
                     item.resolved_intent)


class ReviewStore:
    """Review-inbox persistence on the project database."""

    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def add_item(self, text: str, source: str, predicted_intent: str | None,
                 confidence: float | None, language: str | None,
                 received_on: date | None = None) -> tuple[int, bool]:
        """Store a scrubbed message; an identical open one only gets its count raised.

        Returns (id, created).
        """
        clean = clean_text(text)
        key = text_key(clean)
        with self.sessions.begin() as s:
            existing = s.execute(
                select(ReviewItem).where(ReviewItem.status == "open",
                                         ReviewItem.text_key == key)
            ).scalars().first()
            if existing is not None:
                existing.seen_count += 1
                if source in LABELLED_SOURCES:  # a person's judgement outranks a threshold
                    existing.source = source
                    existing.predicted_intent = predicted_intent
                    existing.confidence = confidence
                return existing.id, False
            item = ReviewItem(
                text=clean, text_key=key, source=source, predicted_intent=predicted_intent,
                confidence=confidence, language=language,
                received_on=received_on or utcnow().date(), seen_count=1, status="open",
            )
            s.add(item)
            s.flush()
            return item.id, True

    def open_items(self, limit: int = 2000) -> list[ReviewRow]:
        with self.sessions() as s:
            items = s.execute(
                select(ReviewItem).where(ReviewItem.status == "open")
                .order_by(ReviewItem.received_on.desc(), ReviewItem.id.desc()).limit(limit)
            ).scalars()
            return [_row(i) for i in items]

    def items(self, ids: list[int]) -> list[ReviewRow]:
        with self.sessions() as s:
            rows = s.execute(select(ReviewItem).where(ReviewItem.id.in_(ids))).scalars()
            return [_row(i) for i in rows]

    def resolve(self, ids: list[int], status: str, intent: str | None, coach_id: int) -> int:
        """Close open items (assigned, new_intent or dismissed); returns how many changed."""
        with self.sessions.begin() as s:
            result = s.execute(
                update(ReviewItem)
                .where(ReviewItem.id.in_(ids), ReviewItem.status == "open")
                .values(status=status, resolved_intent=intent, resolved_by=coach_id,
                        resolved_at=utcnow())
            )
            return int(result.rowcount or 0)

    def counts(self) -> dict[str, int]:
        from sqlalchemy import func

        with self.sessions() as s:
            return dict(s.execute(
                select(ReviewItem.status, func.count()).group_by(ReviewItem.status)
            ).all())
