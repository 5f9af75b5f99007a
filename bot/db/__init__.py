"""Project database: SQLAlchemy models, engine/session helpers and Alembic migrations.

Kept separate from the escalation service so that other parts of the project can store data in
the same database without importing the web service.
"""

from bot.db.engine import make_engine, make_sessionmaker, upgrade_database
from bot.db.models import (
    Base,
    CannedReply,
    Case,
    CaseEvent,
    Coach,
    CoachSession,
    ReviewItem,
    utcnow,
)

__all__ = [
    "Base",
    "CannedReply",
    "Case",
    "CaseEvent",
    "Coach",
    "CoachSession",
    "ReviewItem",
    "make_engine",
    "make_sessionmaker",
    "upgrade_database",
    "utcnow",
]
