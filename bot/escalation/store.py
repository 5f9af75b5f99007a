"""Database operations of the escalation service (synchronous SQLAlchemy, run in threads).

Every function opens its own short transaction; the web handlers call them through
`Store.run` so that a slow database never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import protocol
from bot.db.engine import make_sessionmaker
from bot.db.models import (
    OPEN_STATUSES,
    CannedReply,
    Case,
    CaseEvent,
    Coach,
    CoachSession,
    epoch,
    utcnow,
)

T = TypeVar("T")
P = ParamSpec("P")

PRIORITY_BY_TRIGGER = {**dict.fromkeys(protocol.SAFETY_INTENTS, 1), protocol.THREAT_INTENT: 2}
TRIGGERS = ("request_human", "fallback", *protocol.SAFETY_INTENTS, protocol.THREAT_INTENT)
CRISIS_INTENTS = frozenset(protocol.SAFETY_INTENTS)
PRIORITY_LABELS = {1: "Akut", 2: "Hot/hämnd", 3: "Övrigt"}


def priority_for(trigger: str) -> int:
    """emergency_danger = crisis_suicidal (1) > fear_retaliation (2) > the rest (3)."""
    return PRIORITY_BY_TRIGGER.get(trigger, 3)


class NotFound(Exception):
    """Unknown id."""


class Conflict(Exception):
    """The case is not in a state that allows the action (e.g. already closed or claimed)."""


def _retried_on_conflict(operation: Callable[P, T]) -> Callable[P, T]:
    """Run a transaction that inserts a unique row again, up to three times in all, when a
    concurrent request inserted the same row first (IntegrityError): the next attempt finds
    and returns that row."""

    @functools.wraps(operation)
    def retried(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(3):
            try:
                return operation(*args, **kwargs)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    return retried


@dataclass(frozen=True)
class OpenResult:
    case: Case
    created: bool
    priority_raised: bool


@dataclass(frozen=True)
class UndeliveredResult:
    case: Case | None  # the case to warn on (None: the conversation has none to show it)
    changed: list[CaseEvent]  # coach messages newly marked as not delivered
    already: bool  # every named message was marked before (a repeated report)


@dataclass(frozen=True)
class MessageResult:
    case: Case
    event: CaseEvent
    priority_raised: bool
    duplicate: bool = False  # stored before (`event` is that copy): nothing changed


def relay_key(message_id: str | None, timestamp: float | None) -> str | None:
    """How a relayed user message is named in its case: Rasa's message id, else the time it
    was said (one conversation's messages never share a Rasa timestamp); None: no name."""
    if message_id:
        return "m:" + message_id
    if timestamp is not None:
        return "t:" + repr(float(timestamp))
    return None


def said_at(timestamp: float | None, now: datetime | None = None) -> datetime:
    """When a user message was said, as the case's time (naive UTC): Rasa's timestamp, so a
    message relayed late still sorts where it was said; never later than now (a clock ahead
    must not put it below what comes next), arrival time without a timestamp."""
    now = now or utcnow()
    if timestamp is None:
        return now
    return datetime.fromtimestamp(min(max(timestamp, 0.0), epoch(now)), timezone.utc).replace(
        tzinfo=None)


class Store:
    """All persistence for the service; one instance per application."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker = make_sessionmaker(engine)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking store method in a worker thread."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    # ---- coaches -------------------------------------------------------------------------

    def create_coach(self, username: str, password_hash: str, role: str) -> Coach:
        with self.sessions.begin() as s:
            coach = Coach(
                username=username,
                password_hash=password_hash,
                role=role,
                active=True,
                presence="offline",
                created_at=utcnow(),
            )
            s.add(coach)
        return coach

    def list_coaches(self) -> list[Coach]:
        with self.sessions() as s:
            return list(s.execute(select(Coach).order_by(Coach.username)).scalars())

    def coach_by_username(self, username: str) -> Coach | None:
        with self.sessions() as s:
            return s.execute(select(Coach).where(Coach.username == username)).scalar_one_or_none()

    def coach_names(self) -> dict[int, str]:
        with self.sessions() as s:
            return dict(s.execute(select(Coach.id, Coach.username)).all())

    def set_coach_active(self, username: str, active: bool) -> bool:
        with self.sessions.begin() as s:
            coach = s.execute(select(Coach).where(Coach.username == username)).scalar_one_or_none()
            if coach is None:
                return False
            coach.active = active
            if not active:
                coach.presence = "offline"
                s.execute(delete(CoachSession).where(CoachSession.coach_id == coach.id))
            return True

    def set_password_hash(self, coach_id: int, password_hash: str) -> None:
        """New password; every session of the coach ends at once (a stolen cookie or an
        open console with the old password must not outlive the change)."""
        with self.sessions.begin() as s:
            s.execute(update(Coach).where(Coach.id == coach_id)
                      .values(password_hash=password_hash, presence="offline"))
            s.execute(delete(CoachSession).where(CoachSession.coach_id == coach_id))

    def set_presence(self, coach_id: int, presence: str) -> None:
        with self.sessions.begin() as s:
            s.execute(
                update(Coach)
                .where(Coach.id == coach_id)
                .values(presence=presence, last_seen_at=utcnow())
            )

    def touch(self, coach_id: int) -> None:
        """Heartbeat: the coach's console is still open."""
        with self.sessions.begin() as s:
            s.execute(update(Coach).where(Coach.id == coach_id).values(last_seen_at=utcnow()))

    def coaches_online(self, ttl_seconds: float, now: datetime | None = None) -> int:
        """Active coaches who chose 'online' and whose console was seen within the TTL."""
        now = now or utcnow()
        with self.sessions() as s:
            return int(
                s.execute(
                    select(func.count(Coach.id)).where(
                        Coach.active.is_(True),
                        Coach.role.in_(("coach", "admin")),  # maintainers do not take cases
                        Coach.presence == "online",
                        Coach.last_seen_at >= now - timedelta(seconds=ttl_seconds),
                    )
                ).scalar_one()
            )

    # ---- sessions ------------------------------------------------------------------------

    def create_session(self, coach_id: int, token_hash: str, csrf: str, max_age: int) -> None:
        now = utcnow()
        with self.sessions.begin() as s:
            s.execute(delete(CoachSession).where(CoachSession.expires_at < now))
            s.add(
                CoachSession(
                    token_hash=token_hash,
                    coach_id=coach_id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + timedelta(seconds=max_age),
                )
            )
            s.execute(
                update(Coach)
                .where(Coach.id == coach_id)
                .values(presence="online", last_seen_at=now)
            )

    def load_session(self, token_hash: str) -> tuple[CoachSession, Coach] | None:
        with self.sessions() as s:
            row = s.execute(
                select(CoachSession, Coach)
                .join(Coach, Coach.id == CoachSession.coach_id)
                .where(CoachSession.token_hash == token_hash)
            ).first()
            if row is None:
                return None
            sess, coach = row
            if sess.expires_at < utcnow() or not coach.active:
                return None
            return sess, coach

    def delete_session(self, token_hash: str, coach_id: int) -> None:
        with self.sessions.begin() as s:
            s.execute(delete(CoachSession).where(CoachSession.token_hash == token_hash))
            remaining = s.execute(
                select(func.count())
                .select_from(CoachSession)
                .where(CoachSession.coach_id == coach_id)
            ).scalar_one()
            if not remaining:
                s.execute(update(Coach).where(Coach.id == coach_id).values(presence="offline"))

    # ---- cases ---------------------------------------------------------------------------

    @_retried_on_conflict
    def open_case(
        self,
        conversation_id: str,
        channel: str,
        language: str,
        trigger: str,
        intents_seen: list[str],
        summary: str,
        notified: bool = False,
        client: str | None = None,
    ) -> OpenResult:
        """Open a case, or return the open one for this conversation (raising its priority).

        `notified`: the user has already been told that no coach can answer now (the Rasa
        action does that when the service is not accepting), so the sweeper sends nothing.
        Applies only to a new case; an existing one keeps its state.
        """
        prio = priority_for(trigger)
        with self.sessions.begin() as s:
            existing = s.execute(
                select(Case).where(Case.open_key == conversation_id)
            ).scalar_one_or_none()
            if existing is not None:
                raised = prio < existing.priority
                merged = list(dict.fromkeys([*(existing.intents_seen or []), *intents_seen]))
                if merged != existing.intents_seen:
                    existing.intents_seen = merged
                if raised:
                    old = existing.priority
                    existing.priority = prio
                    s.add(
                        _status_event(
                            existing.id,
                            "priority_raised",
                            {"from": old, "to": prio, "trigger": trigger},
                        )
                    )
                return OpenResult(existing, created=False, priority_raised=raised)
            now = utcnow()
            case = Case(
                id=uuid.uuid4().hex,
                conversation_id=conversation_id,
                open_key=conversation_id,
                channel=channel,
                language=language,
                trigger=trigger,
                priority=prio,
                status="waiting",
                intents_seen=list(dict.fromkeys(intents_seen)),
                summary=summary,
                created_at=now,
                unavailable_notified_at=now if notified else None,
            )
            s.add(case)
            s.flush()
            s.add(
                _status_event(
                    case.id,
                    "opened",
                    {"trigger": trigger, "user_told_unavailable": notified,
                     **({"client": client} if client else {})},
                    now,
                )
            )
        return OpenResult(case, created=True, priority_raised=False)

    def cases_since(self, conversation_id: str, since: datetime) -> int:
        """How many cases this conversation has opened since `since`."""
        with self.sessions() as s:
            return int(s.execute(
                select(func.count(Case.id)).where(Case.conversation_id == conversation_id,
                                                  Case.created_at >= since)
            ).scalar_one())

    def open_cases_of_client(self, client: str) -> int:
        """Open cases whose request came from this client key (kept in the 'opened' event;
        the open cases are few, so they are filtered here rather than in JSON SQL)."""
        with self.sessions() as s:
            rows = s.execute(
                select(CaseEvent.data)
                .join(Case, Case.id == CaseEvent.case_id)
                .where(Case.status.in_(OPEN_STATUSES), CaseEvent.kind == "status",
                       CaseEvent.text == "opened")
            ).scalars()
            return sum(1 for data in rows
                       if isinstance(data, dict) and data.get("client") == client)

    def previous_case_end(self, case: Case) -> datetime | None:
        """When the conversation's previous case ended (closed or handed back before this
        one was opened), else None: what the user told that case is not this case's."""
        with self.sessions() as s:
            return s.execute(
                select(func.max(Case.closed_at)).where(
                    Case.conversation_id == case.conversation_id, Case.id != case.id,
                    Case.closed_at.is_not(None), Case.closed_at <= case.created_at)
            ).scalar_one_or_none()

    def open_case_for(self, conversation_id: str) -> Case | None:
        with self.sessions() as s:
            return s.execute(
                select(Case).where(Case.open_key == conversation_id)
            ).scalar_one_or_none()

    def get_case(self, case_id: str) -> Case:
        with self.sessions() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise NotFound(case_id)
            return case

    @_retried_on_conflict
    def add_user_message(
        self, conversation_id: str, text: str, intent: str | None, timestamp: float | None,
        button_title: str | None = None, message_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> MessageResult | None:
        """Store a user message on the open case; crisis intents raise priority to 1.

        The same message posted again (the broker's retry, the reconciliation with Rasa's
        tracker, another instance at the same moment) is found by its relay key and stored
        once: the result says `duplicate` and nothing changes, so a leave word or a priority
        raise acts once.
        """
        key = relay_key(message_id, timestamp)
        with self.sessions.begin() as s:
            case = s.execute(
                select(Case).where(Case.open_key == conversation_id)
            ).scalar_one_or_none()
            if case is None:
                return None
            if key is not None:
                stored = s.execute(
                    select(CaseEvent).where(CaseEvent.case_id == case.id,
                                            CaseEvent.relay_key == key)
                ).scalar_one_or_none()
                if stored is not None:
                    return MessageResult(case, stored, False, duplicate=True)
            raised = False
            if intent in CRISIS_INTENTS and case.priority > 1:
                s.add(
                    _status_event(
                        case.id,
                        "priority_raised",
                        {"from": case.priority, "to": 1, "intent": intent},
                    )
                )
                case.priority = 1
                raised = True
            ev = CaseEvent(
                case_id=case.id,
                kind="user",
                text=text,
                intent=intent,
                data={**({"timestamp": timestamp} if timestamp is not None else {}),
                      **({"button_title": button_title} if button_title else {}),
                      **(data or {})},
                created_at=said_at(timestamp),
                relay_key=key,
            )
            s.add(ev)
            s.flush()
        return MessageResult(case, ev, raised)

    def add_event(
        self,
        case_id: str,
        kind: str,
        text: str = "",
        coach_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> CaseEvent:
        with self.sessions.begin() as s:
            ev = CaseEvent(
                case_id=case_id,
                kind=kind,
                text=text,
                coach_id=coach_id,
                data=data or {},
                created_at=utcnow(),
            )
            s.add(ev)
            s.flush()
        return ev

    def mark_undelivered(self, conversation_id: str, message_ids: list[str],
                         status: str) -> UndeliveredResult:
        """Mark the conversation's coach messages with these ids as not delivered. The case
        to warn on is theirs; without ids (a bot message failed) the open case."""
        wanted = set(message_ids)
        changed: list[CaseEvent] = []
        matched = 0
        case: Case | None = None
        with self.sessions.begin() as s:
            if wanted:
                rows = s.execute(
                    select(CaseEvent, Case).join(Case, Case.id == CaseEvent.case_id)
                    .where(Case.conversation_id == conversation_id, CaseEvent.kind == "coach")
                ).all()
                for ev, owner in rows:
                    data = dict(ev.data or {})
                    if data.get("message_id") not in wanted:
                        continue
                    matched += 1
                    case = owner
                    if data.get("delivery") != "failed":
                        ev.data = {**data, "delivery": "failed", "delivery_status": status}
                        changed.append(ev)
            if case is None:
                case = s.execute(
                    select(Case).where(Case.open_key == conversation_id)
                ).scalar_one_or_none()
            s.flush()
        return UndeliveredResult(case, changed, bool(matched) and not changed)

    def events(self, case_id: str) -> list[CaseEvent]:
        """A case's events in the order they happened (a user message when it was said)."""
        with self.sessions() as s:
            return list(
                s.execute(
                    select(CaseEvent).where(CaseEvent.case_id == case_id)
                    .order_by(CaseEvent.created_at, CaseEvent.id)
                ).scalars()
            )

    def waiting_cases(self) -> list[Case]:
        """Open, unclaimed cases: most urgent first, then longest waiting."""
        with self.sessions() as s:
            return list(
                s.execute(
                    select(Case)
                    .where(Case.status == "waiting")
                    .order_by(Case.priority, Case.created_at, Case.id)
                ).scalars()
            )

    def open_case_stats(self) -> list[tuple[int, str, int, datetime | None]]:
        """(priority, status, how many, oldest created_at) of the open cases, for /metrics."""
        with self.sessions() as s:
            rows = s.execute(
                select(Case.priority, Case.status, func.count(Case.id), func.min(Case.created_at))
                .where(Case.status.in_(OPEN_STATUSES))
                .group_by(Case.priority, Case.status)
            ).all()
        return [(int(p), str(st), int(n), oldest) for p, st, n, oldest in rows]

    def claimed_cases(self, coach_id: int | None) -> list[Case]:
        """Claimed cases of one coach (None: of everybody, for admins)."""
        stmt = select(Case).where(Case.status == "claimed")
        if coach_id is not None:
            stmt = stmt.where(Case.claimed_by == coach_id)
        with self.sessions() as s:
            return list(s.execute(stmt.order_by(Case.priority, Case.created_at)).scalars())

    def queue_position(self, case: Case) -> int:
        """How many waiting cases will be served before this one."""
        with self.sessions() as s:
            return int(
                s.execute(
                    select(func.count(Case.id)).where(
                        Case.status == "waiting",
                        Case.id != case.id,
                        (Case.priority < case.priority)
                        | ((Case.priority == case.priority) & (Case.created_at <= case.created_at)),
                    )
                ).scalar_one()
            )

    def claim(self, case_id: str, coach_id: int) -> Case:
        """Atomically claim a waiting case: a conditional UPDATE, so exactly one coach wins."""
        now = utcnow()
        with self.sessions.begin() as s:
            _update_once(s, case_id, Case.status == "waiting", status="claimed",
                         claimed_by=coach_id, claimed_at=now)
            s.add(_status_event(case_id, "claimed", {}, now, coach_id=coach_id))
        return self.get_case(case_id)

    def finish(self, case_id: str, status: str, outcome: str | None, coach_id: int | None) -> Case:
        """Close or hand back an open case (conditional UPDATE: only once)."""
        now = utcnow()
        with self.sessions.begin() as s:
            _update_once(s, case_id, Case.status.in_(OPEN_STATUSES), status=status,
                         outcome=outcome, closed_at=now, open_key=None)
            s.add(_status_event(case_id, status, {"outcome": outcome}, now, coach_id=coach_id))
        return self.get_case(case_id)

    def close_handed_back(self, case_id: str, outcome: str, coach_id: int | None) -> Case:
        """Give a handed-back case its outcome (conditional UPDATE: only once), so the
        statistics count it. The bot already has the conversation: nothing else changes,
        and closed_at stays the moment the coach left."""
        with self.sessions.begin() as s:
            _update_once(s, case_id, Case.status == "handed_back", status="closed",
                         outcome=outcome)
            s.add(_status_event(case_id, "closed", {"outcome": outcome,
                                                    "after_hand_back": True},
                                coach_id=coach_id))
        return self.get_case(case_id)

    def transfer(self, case_id: str, holder_id: int | None, to_id: int, by_id: int) -> Case:
        """Move a claimed case to another coach (conditional UPDATE: the case must still be
        claimed, by `holder_id` unless None, an admin acting). The status event is the audit
        record: who moved it, from whom, to whom, when."""
        with self.sessions.begin() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise NotFound(case_id)
            previous = case.claimed_by
            held = Case.status == "claimed"
            if holder_id is not None:
                held = held & (Case.claimed_by == holder_id)
            _update_once(s, case_id, held, claimed_by=to_id)
            s.add(_status_event(case_id, "transferred", {"from": previous, "to": to_id},
                                coach_id=by_id))
        return self.get_case(case_id)

    def coaches_available(self, ttl_seconds: float) -> list[Coach]:
        """Coaches who could take a transferred case now: active, coach or admin, online and
        seen within the TTL (their console is open)."""
        now = utcnow()
        with self.sessions() as s:
            return list(s.execute(
                select(Coach).where(
                    Coach.active.is_(True), Coach.role.in_(("coach", "admin")),
                    Coach.presence == "online",
                    Coach.last_seen_at >= now - timedelta(seconds=ttl_seconds))
                .order_by(Coach.username)).scalars())

    def coach_by_id(self, coach_id: int) -> Coach | None:
        with self.sessions() as s:
            return s.get(Coach, coach_id)

    def user_activity(self, case_ids: list[str]) -> dict[str, tuple[int, datetime | None]]:
        """Per case: how many messages the young person wrote, and when the last one came
        (the console's unread counts and its "gone quiet" hint)."""
        if not case_ids:
            return {}
        with self.sessions() as s:
            rows = s.execute(
                select(CaseEvent.case_id, func.count(CaseEvent.id), func.max(CaseEvent.created_at))
                .where(CaseEvent.case_id.in_(case_ids), CaseEvent.kind == "user")
                .group_by(CaseEvent.case_id)).all()
        return {case_id: (int(count), last) for case_id, count, last in rows}

    def open_cases_with_activity(self) -> list[tuple[Case, datetime]]:
        """Open cases and when something last happened in each (its newest event, else its
        opening): the reconciliation with Rasa's tracker looks at the lively ones first."""
        last = (select(CaseEvent.case_id, func.max(CaseEvent.created_at).label("at"))
                .join(Case, Case.id == CaseEvent.case_id)
                .where(Case.status.in_(OPEN_STATUSES))
                .group_by(CaseEvent.case_id).subquery())
        with self.sessions() as s:
            rows = s.execute(
                select(Case, last.c.at).outerjoin(last, last.c.case_id == Case.id)
                .where(Case.status.in_(OPEN_STATUSES)).order_by(Case.created_at)
            ).all()
        return [(case, max(case.created_at, at or case.created_at)) for case, at in rows]

    def cases_without_notice(self) -> list[Case]:
        """Waiting cases whose user has not yet been told that no coach is available."""
        with self.sessions() as s:
            return list(
                s.execute(
                    select(Case)
                    .where(Case.status == "waiting", Case.unavailable_notified_at.is_(None))
                    .order_by(Case.priority, Case.created_at)
                ).scalars()
            )

    def mark_notified(self, case_id: str) -> bool:
        """Reserve the one 'no coach' message for this case; False if already reserved."""
        with self.sessions.begin() as s:
            result = s.execute(
                update(Case)
                .where(Case.id == case_id, Case.unavailable_notified_at.is_(None))
                .values(unavailable_notified_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    def unmark_notified(self, case_id: str) -> None:
        """Sending failed: allow the sweeper to try again later."""
        with self.sessions.begin() as s:
            s.execute(update(Case).where(Case.id == case_id).values(unavailable_notified_at=None))

    # ---- canned replies ------------------------------------------------------------------

    def canned_replies(self) -> list[CannedReply]:
        with self.sessions() as s:
            return list(
                s.execute(
                    select(CannedReply).order_by(CannedReply.position, CannedReply.id)
                ).scalars()
            )

    def save_canned(
        self,
        reply_id: int | None,
        title: str,
        text: str,
        language: str,
        position: int,
        coach_id: int,
    ) -> CannedReply:
        with self.sessions.begin() as s:
            if reply_id is None:
                reply = CannedReply()
                s.add(reply)
            else:
                found = s.get(CannedReply, reply_id)
                if found is None:
                    raise NotFound(str(reply_id))
                reply = found
            reply.title, reply.text, reply.language, reply.position = (
                title,
                text,
                language,
                position,
            )
            reply.updated_at, reply.updated_by = utcnow(), coach_id
        return reply

    def delete_canned(self, reply_id: int) -> None:
        with self.sessions.begin() as s:
            if s.execute(delete(CannedReply).where(CannedReply.id == reply_id)).rowcount != 1:
                raise NotFound(str(reply_id))


def _update_once(s: Session, case_id: str, condition: Any, **values: Any) -> None:
    """A conditional UPDATE of one case: exactly one caller wins; the others learn why
    (NotFound for an unknown id, Conflict with the case's status otherwise)."""
    result = s.execute(
        update(Case).where(Case.id == case_id, condition).values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        case = s.get(Case, case_id)
        if case is None:
            raise NotFound(case_id)
        raise Conflict(case.status)


def _status_event(
    case_id: str,
    what: str,
    data: dict[str, Any],
    when: datetime | None = None,
    coach_id: int | None = None,
) -> CaseEvent:
    return CaseEvent(
        case_id=case_id,
        kind="status",
        text=what,
        coach_id=coach_id,
        data=data,
        created_at=when or utcnow(),
    )


def session_scope(store: Store) -> Session:
    """A plain session for ad-hoc scripts and tests."""
    return store.sessions()
