"""Shared request helpers: JSON errors, body parsing, serialisation, access checks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.db.models import Case, CaseEvent, epoch
from bot.escalation import keys, labels
from bot.escalation.store import PRIORITY_LABELS


class DomainError(Exception):
    """Something a case action refuses, said for the coach; the error middleware (and the
    console socket) map each kind to its HTTP status, so the case actions know no HTTP."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class InvalidInput(DomainError):
    """The request's content is wrong (400)."""


class NotAllowed(DomainError):
    """This coach may not do this to this case (403)."""


class UnknownCase(DomainError):
    """No such case (404)."""


class CaseConflict(DomainError):
    """The case's state does not allow it (409)."""


class RasaDown(DomainError):
    """The chatbot did not take it; nothing was changed (502)."""


class TooManyCases(DomainError):
    """Over the limit of cases per conversation or client (429)."""


ERROR_STATUS: dict[type[DomainError], int] = {InvalidInput: 400, NotAllowed: 403,
                                               UnknownCase: 404, CaseConflict: 409,
                                               TooManyCases: 429, RasaDown: 502}


class ApiError(DomainError):
    """An error the web layer raises with its HTTP status (parsing, auth, limits)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code, message)
        self.status = status


def status_of(exc: DomainError) -> int:
    """The HTTP status of a domain error: one table for the middleware and the socket."""
    if isinstance(exc, ApiError):
        return exc.status
    return next((s for kind, s in ERROR_STATUS.items() if isinstance(exc, kind)), 400)


@dataclass(frozen=True)
class CoachInfo:
    """The logged-in coach, as attached to the request by the auth middleware."""

    id: int
    username: str
    role: str
    presence: str
    csrf: str
    session_hash: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_maintainer(self) -> bool:
        return self.role == "maintainer"

    @property
    def can_review(self) -> bool:
        """Review inbox and models: maintainers, and admins (who may do everything)."""
        return self.role in ("maintainer", "admin")

    @property
    def can_coach(self) -> bool:
        """Cases and the queue: coaches and admins; a maintainer never reads conversations."""
        return self.role in ("coach", "admin")


def is_api_path(path: str) -> bool:
    return path.startswith(("/api/", "/internal/", "/ws/"))


def text_ok(value: str) -> bool:
    """Storable in every database: no NUL (PostgreSQL rejects it), no lone surrogates."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object, or a clear 4xx (never a 500) for anything else."""
    max_size = request.app[keys.SETTINGS].client_max_size
    if request.content_length is not None and request.content_length > max_size:
        raise ApiError(413, "too_large", f"Body larger than {max_size} bytes")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise ApiError(413, "too_large", f"Body larger than {max_size} bytes") from exc
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ApiError(400, "invalid_json", "Body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "Body must be a JSON object")
    return data


def field_str(
    data: dict[str, Any],
    name: str,
    *,
    max_len: int,
    required: bool = True,
    allow_empty: bool = False,
) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ApiError(400, "invalid_field", f"'{name}' must be a string")
    if not text_ok(value):
        raise ApiError(400, "invalid_field", f"'{name}' contains invalid characters")
    if not allow_empty and not value.strip():
        raise ApiError(400, "invalid_field", f"'{name}' must not be empty")
    if len(value) > max_len:
        raise ApiError(400, "invalid_field", f"'{name}' is longer than {max_len} characters")
    return value


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat(timespec="seconds") + "Z"


def case_for_coach(case: Case, now: datetime, names: dict[int, str]) -> dict[str, Any]:
    """What the console shows about a case."""
    return {
        "case_id": case.id,
        "conversation_id": case.conversation_id,
        "channel": case.channel,
        "language": case.language,
        "trigger": case.trigger,
        "trigger_label": labels.trigger_label(case.trigger),
        "channel_label": labels.channel_label(case.channel, case.conversation_id),
        "language_label": labels.LANGUAGE_LABELS.get(case.language, case.language),
        "intents_label": [labels.intent_label(i) for i in case.intents_seen or []],
        "priority": case.priority,
        "priority_label": PRIORITY_LABELS.get(case.priority, str(case.priority)),
        "status": case.status,
        "intents_seen": list(case.intents_seen or []),
        "summary": case.summary,
        "created_at": iso(case.created_at),
        "waiting_seconds": max(0, int((now - case.created_at).total_seconds())),
        "claimed_by": names.get(case.claimed_by) if case.claimed_by else None,
        "claimed_at": iso(case.claimed_at),
        "closed_at": iso(case.closed_at),
        "outcome": case.outcome,
        "unavailable_notified": case.unavailable_notified_at is not None,
    }


def event_json(ev: CaseEvent, names: dict[int, str]) -> dict[str, Any]:
    data = ev.data or {}
    text = ev.text
    if ev.kind == "user":  # a button press shows as the button's words, not "/affirm"
        title = data.get("button_title")
        text = labels.user_text_label(ev.text, title if isinstance(title, str) else None)
    return {
        "id": ev.id,
        "kind": ev.kind,
        "text": text,
        "intent": ev.intent,
        "coach": names.get(ev.coach_id) if ev.coach_id else None,
        "data": data,
        "created_at": iso(ev.created_at),
        # to the microsecond: the console places each event by it (a late relay in place)
        "at": epoch(ev.created_at),
    }


# what a maintainer account may reach (require_coach sends it here from everything else):
# the review inbox and the anonymous statistics, never a conversation
MAINTAINER_PATHS = ("/review", "/logout", "/api/review", "/admin/stats")


def can_read(coach: CoachInfo, case: Case) -> bool:
    """Who may read a case: a waiting one every coach (to decide whether to take it); a
    claimed, closed or handed-back one only the coach who claimed it and admins. A case
    closed before anyone claimed it is for admins only: no coach talked to that user."""
    if coach.is_admin:
        return True
    if case.status == "waiting":
        return True
    return case.claimed_by is not None and case.claimed_by == coach.id


def holds(coach: CoachInfo, case: Case) -> bool:
    """The coach working on the case (or an admin): notes, transfer and export are theirs,
    never those of a coach who may only look at a waiting case."""
    return coach.is_admin or (case.claimed_by is not None and case.claimed_by == coach.id)


def require_coach(request: web.Request) -> CoachInfo:
    """The logged-in coach; 401 for API/WebSocket, redirect to the login page for pages."""
    coach: CoachInfo | None = request.get("coach")
    if coach is None:
        if is_api_path(request.path):
            raise ApiError(401, "unauthorized", "Logga in som coach")
        target = request.path_qs if request.method == "GET" else "/queue"
        raise web.HTTPFound("/login?" + urlencode({"next": target}))
    if not coach.can_coach and not request.path.startswith(MAINTAINER_PATHS):
        # a maintainer works on scrubbed review items, never on live conversations
        if request.method == "GET" and not is_api_path(request.path):
            raise web.HTTPFound("/review")
        raise ApiError(403, "forbidden", "Endast coacher")
    return coach


def require_maintainer(request: web.Request) -> CoachInfo:
    """Review inbox and programme figures: maintainers and admins, never a coach account."""
    coach = require_coach(request)
    if not coach.can_review:
        raise ApiError(403, "forbidden", "Endast förvaltare och administratörer")
    return coach


def require_admin(request: web.Request) -> CoachInfo:
    coach = require_coach(request)
    if not coach.is_admin:
        raise ApiError(403, "forbidden", "Endast administratörer")
    return coach
