"""Coach console: login/logout, pages, the coach JSON API and the live WebSockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from bot.db.models import COACH_OUTCOMES, utcnow
from bot.escalation import keys, security
from bot.escalation.common import (
    ApiError,
    CoachInfo,
    DomainError,
    can_read,
    case_for_coach,
    event_json,
    holds,
    iso,
    read_json_object,
    require_admin,
    require_coach,
    text_ok,
)
from bot.escalation.hub import CLOSE_FORBIDDEN, FINISHED, Ending, Guard
from bot.escalation.login import DEVICE_COOKIE, DEVICE_MAX_AGE
from bot.escalation.store import NotFound
from bot.ratelimit import client_address

log = logging.getLogger(__name__)

OUTCOME_LABELS = {
    "referred_social_services": "Hänvisad till socialtjänsten",
    "wants_callback": "Vill bli uppringd",
    "information_given": "Information given",
    "no_contact": "Ingen kontakt",
    "other": "Annat",
    "user_left": "Användaren lämnade chatten",
}
STATUS_LABELS = {
    "waiting": "Väntar",
    "claimed": "Pågår",
    "closed": "Avslutat",
    "handed_back": "Tillbaka hos boten",
}


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    env = request.app[keys.TEMPLATES]
    coach: CoachInfo | None = request.get("coach")
    html = env.get_template(template).render(
        coach=coach,
        csrf=coach.csrf if coach else "",
        path=request.path,
        outcome_labels=OUTCOME_LABELS,
        status_labels=STATUS_LABELS,
        **context,
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


# ---- login / logout -----------------------------------------------------------------------


_UNSAFE_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect after login would help phishing.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    "/\t/evil.example" becomes "//evil.example" (another host): any control character,
    space or backslash, a second leading slash, or a scheme or host makes it "/queue".
    """
    if not target or _UNSAFE_NEXT.search(target) or not target.startswith("/"):
        return "/queue"
    parts = urlsplit(target)
    if target.startswith("//") or parts.scheme or parts.netloc:
        return "/queue"
    return target


async def login_page(request: web.Request) -> web.Response:
    if request.get("coach") is not None:
        raise web.HTTPFound("/queue")
    token = security.new_token()
    resp = render(
        request,
        "login.html",
        login_csrf=token,
        next=_safe_next(request.query.get("next")),
        error=None,
    )
    security.set_cookie(
        resp,
        security.LOGIN_CSRF_COOKIE,
        token,
        secure=request.app[keys.SETTINGS].cookie_secure,
        max_age=3600,
    )
    return resp


async def login(request: web.Request) -> web.Response:
    """POST /login (form). The CSRF middleware has already checked the double-submit token;
    what the attempt comes to (delayed, wrong, right) is decided in bot/escalation/login.py."""
    form = await request.post()
    username = str(form.get("username", "")).strip()[:64]
    if not text_ok(username):
        username = ""
    password = str(form.get("password", ""))[:1024]
    next_url = _safe_next(str(form.get("next", "")))
    app, store, settings = request.app, request.app[keys.STORE], request.app[keys.SETTINGS]

    def fail(message: str, status: int) -> web.Response:
        token = security.new_token()
        resp = render(
            request, "login.html", status=status, login_csrf=token, next=next_url, error=message
        )
        security.set_cookie(
            resp, security.LOGIN_CSRF_COOKIE, token, secure=settings.cookie_secure, max_age=3600
        )
        return resp

    account = await store.run(store.coach_by_username, username) if username else None
    result = await app[keys.THROTTLE].attempt(
        client_address(request.remote, request.headers), username, password, account,
        request.cookies.get(DEVICE_COOKIE))
    if result.wait:
        resp = fail("För många misslyckade försök. Vänta "
                    f"{result.wait} sekunder och försök igen.", 429)
        resp.headers["Retry-After"] = str(result.wait)
        return resp
    coach = result.coach
    if coach is None:
        return fail("Fel användarnamn eller lösenord.", 401)
    token, csrf = security.new_token(), security.new_token()
    await store.run(
        store.create_session,
        coach.id,
        security.token_hash(token),
        csrf,
        settings.session_max_age_seconds,
    )
    resp = web.HTTPFound(next_url)
    security.set_cookie(
        resp,
        security.SESSION_COOKIE,
        security.cookie_value(settings.session_secret, token),
        secure=settings.cookie_secure,
        max_age=settings.session_max_age_seconds,
    )
    if result.device_cookie:  # remember this browser: its coach is not delayed by others' guesses
        security.set_cookie(resp, DEVICE_COOKIE, result.device_cookie,
                            secure=settings.cookie_secure, max_age=DEVICE_MAX_AGE)
    resp.del_cookie(security.LOGIN_CSRF_COOKIE, path="/")
    await app[keys.HUB].queue_changed()
    raise resp


async def logout(request: web.Request) -> web.Response:
    coach = require_coach(request)
    store = request.app[keys.STORE]
    await store.run(store.delete_session, coach.session_hash, coach.id)
    resp = web.HTTPFound("/login")
    resp.del_cookie(security.SESSION_COOKIE, path="/")
    raise resp


# ---- pages --------------------------------------------------------------------------------


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound("/queue")


async def _queue_data(request: web.Request, coach: CoachInfo) -> dict[str, Any]:
    store, settings = request.app[keys.STORE], request.app[keys.SETTINGS]
    waiting = await store.run(store.waiting_cases)
    claimed = await store.run(store.claimed_cases, None if coach.is_admin else coach.id)
    names = await store.run(store.coach_names)
    online = await store.run(store.coaches_online, settings.presence_ttl_seconds)
    now = utcnow()
    activity = await store.run(store.user_activity, [c.id for c in claimed])
    mine = []
    for c in claimed:
        count, last = activity.get(c.id, (0, None))
        mine.append({**case_for_coach(c, now, names), "user_messages": count,
                     "last_user_at": iso(last), "mine": c.claimed_by == coach.id})
    return {
        "waiting": [case_for_coach(c, now, names) for c in waiting],
        "claimed": mine,
        "coaches_online": online,
        "in_hours": request.app[keys.CASES].open_now(),
        "me": {"username": coach.username, "role": coach.role, "presence": coach.presence},
    }


async def queue_page(request: web.Request) -> web.Response:
    coach = require_coach(request)
    return render(request, "queue.html", **(await _queue_data(request, coach)))


async def case_page(request: web.Request) -> web.Response:
    coach = require_coach(request)
    case = await request.app[keys.CASES].load_case(request.match_info["case_id"])
    if not can_read(coach, case):
        raise ApiError(403, "forbidden", "Ärendet har en annan coach.")
    store = request.app[keys.STORE]
    names = await store.run(store.coach_names)
    return render(
        request,
        "case.html",
        panes=[_pane(case, coach, names)],
        outcomes=COACH_OUTCOMES,
        quiet_seconds=request.app[keys.SETTINGS].user_quiet_seconds,
    )


def _pane(case: Any, coach: CoachInfo, names: dict[int, str]) -> dict[str, Any]:
    """One case as a chat pane (the case page has one, the desk one per held case)."""
    return {
        "case": case_for_coach(case, utcnow(), names),
        "can_send": case.status == "claimed" and case.claimed_by == coach.id,
        "can_finish": case.status in ("waiting", "claimed", "handed_back") and holds(coach, case),
        "holds": holds(coach, case) and case.status != "waiting",
    }


async def desk_page(request: web.Request) -> web.Response:
    """Several chats at once: every case this coach holds, side by side."""
    coach = require_coach(request)
    store = request.app[keys.STORE]
    names = await store.run(store.coach_names)
    held = await store.run(store.claimed_cases, coach.id)
    return render(
        request,
        "desk.html",
        panes=[_pane(c, coach, names) for c in held],
        outcomes=COACH_OUTCOMES,
        quiet_seconds=request.app[keys.SETTINGS].user_quiet_seconds,
    )


async def canned_page(request: web.Request) -> web.Response:
    require_admin(request)
    store = request.app[keys.STORE]
    return render(request, "canned.html", replies=await store.run(store.canned_replies))


def _canned_form(form: Any) -> tuple[str, str, str, int]:
    title = str(form.get("title", "")).strip()
    text = str(form.get("text", "")).strip()
    if not (text_ok(title) and text_ok(text)):
        raise ApiError(400, "invalid_field", "Ogiltiga tecken i texten.")
    language = str(form.get("language", "sv"))
    try:
        position = int(str(form.get("position", "0")) or 0)
    except ValueError as exc:
        raise ApiError(400, "invalid_field", "Ordning måste vara ett heltal") from exc
    if (
        not title
        or not text
        or len(title) > 100
        or len(text) > 4000
        or language not in ("sv", "en")
    ):
        raise ApiError(
            400, "invalid_field", "Fyll i rubrik (högst 100 tecken) och text (högst 4000)."
        )
    return title, text, language, position


async def canned_save(request: web.Request) -> web.Response:
    coach = require_admin(request)
    form = await request.post()
    title, text, language, position = _canned_form(form)
    raw_id = request.match_info.get("reply_id")
    store = request.app[keys.STORE]
    try:
        await store.run(
            store.save_canned,
            int(raw_id) if raw_id else None,
            title,
            text,
            language,
            position,
            coach.id,
        )
    except NotFound as exc:
        raise ApiError(404, "not_found", "Okänt standardsvar") from exc
    raise web.HTTPFound("/admin/canned")


async def canned_delete(request: web.Request) -> web.Response:
    require_admin(request)
    store = request.app[keys.STORE]
    try:
        await store.run(store.delete_canned, int(request.match_info["reply_id"]))
    except NotFound as exc:
        raise ApiError(404, "not_found", "Okänt standardsvar") from exc
    raise web.HTTPFound("/admin/canned")


# ---- coach JSON API -----------------------------------------------------------------------


async def api_queue(request: web.Request) -> web.Response:
    coach = require_coach(request)
    return web.json_response(await _queue_data(request, coach))


async def _readable_case(request: web.Request) -> tuple[CoachInfo, Any]:
    coach = require_coach(request)
    case = await request.app[keys.CASES].load_case(request.match_info["case_id"])
    if not can_read(coach, case):
        raise ApiError(403, "forbidden", "Ärendet har en annan coach")
    return coach, case


async def api_case(request: web.Request) -> web.Response:
    _, case = await _readable_case(request)
    store = request.app[keys.STORE]
    names = await store.run(store.coach_names)
    events = await store.run(store.events, case.id)
    return web.json_response(
        {
            "case": case_for_coach(case, utcnow(), names),
            "events": [event_json(e, names) for e in events],
        }
    )


async def api_transcript(request: web.Request) -> web.Response:
    _, case = await _readable_case(request)
    transcript = await request.app[keys.CASES].case_transcript(case)
    store = request.app[keys.STORE]
    failed = {ev.data.get("message_id") for ev in await store.run(store.events, case.id)
              if ev.kind == "coach" and (ev.data or {}).get("delivery") == "failed"}
    for entry in transcript:  # an SMS the provider reported as not delivered
        if entry.get("message_id") in failed:
            entry["delivery"] = "failed"
    return web.json_response({"case_id": case.id, "transcript": transcript})


async def api_claim(request: web.Request) -> web.Response:
    coach = require_coach(request)
    case = await request.app[keys.CASES].claim(coach, request.match_info["case_id"])
    names = await request.app[keys.STORE].run(request.app[keys.STORE].coach_names)
    return web.json_response({"case": case_for_coach(case, utcnow(), names)})


async def api_message(request: web.Request) -> web.Response:
    coach = require_coach(request)
    data = await read_json_object(request)
    event = await request.app[keys.CASES].send_coach_message(
        coach, request.match_info["case_id"], data.get("text")
    )
    return web.json_response({"event": event}, status=201)


async def api_handback(request: web.Request) -> web.Response:
    coach = require_coach(request)
    case = await request.app[keys.CASES].finish(coach, request.match_info["case_id"], close=False)
    return web.json_response({"case_id": case.id, "status": case.status})


async def api_close(request: web.Request) -> web.Response:
    coach = require_coach(request)
    data = await read_json_object(request)
    case = await request.app[keys.CASES].finish(
        coach, request.match_info["case_id"], close=True, outcome=data.get("outcome")
    )
    return web.json_response({"case_id": case.id, "status": case.status, "outcome": case.outcome})


async def api_presence(request: web.Request) -> web.Response:
    coach = require_coach(request)
    data = await read_json_object(request)
    status = data.get("status")
    if status not in ("online", "away"):
        raise ApiError(400, "invalid_field", "'status' must be 'online' or 'away'")
    store = request.app[keys.STORE]
    await store.run(store.set_presence, coach.id, status)
    await request.app[keys.HUB].queue_changed()
    if status == "away":
        request.app[keys.SWEEP_WAKE].set()
    return web.json_response({"status": status})


def default_canned() -> list[dict[str, Any]]:
    """The ready-made replies of the content file (utter_coach_canned_*), in both languages:
    sensible defaults whose facts come from the facts section, never from code."""
    from bot import content

    loaded = content.load()
    out = []
    for name, item in loaded.responses.items():
        if not name.startswith("utter_coach_canned_"):
            continue
        for lang in content.LANGUAGES:
            title = item.get("title") or {}
            text = loaded.render(str(item[lang]), lang)  # one parse of the file, not twelve
            out.append({"id": f"{name}:{lang}", "title": str(title.get(lang) or name),
                        "text": text, "language": lang,
                        "source": "content"})
    return out


async def api_canned(request: web.Request) -> web.Response:
    """Admins' own replies first, then the content file's defaults."""
    require_coach(request)
    store = request.app[keys.STORE]
    replies = await store.run(store.canned_replies)
    own = [{"id": r.id, "title": r.title, "text": r.text, "language": r.language,
            "source": "admin"} for r in replies]
    return web.json_response({"replies": own + await asyncio.to_thread(default_canned)})


async def api_note(request: web.Request) -> web.Response:
    coach = require_coach(request)
    data = await read_json_object(request)
    event = await request.app[keys.CASES].add_note(
        coach, request.match_info["case_id"], data.get("text"))
    return web.json_response({"event": event}, status=201)


async def api_transfer(request: web.Request) -> web.Response:
    coach = require_coach(request)
    data = await read_json_object(request)
    case = await request.app[keys.CASES].transfer(
        coach, request.match_info["case_id"], data.get("to"))
    names = await request.app[keys.STORE].run(request.app[keys.STORE].coach_names)
    return web.json_response({"case": case_for_coach(case, utcnow(), names)})


async def api_colleagues(request: web.Request) -> web.Response:
    """Who a case can be handed to now: other coaches who are online."""
    coach = require_coach(request)
    store, settings = request.app[keys.STORE], request.app[keys.SETTINGS]
    available = await store.run(store.coaches_available, settings.presence_ttl_seconds)
    return web.json_response({"colleagues": [c.username for c in available
                                             if c.id != coach.id]})


async def api_export(request: web.Request) -> web.Response:
    """POST (a form with the CSRF token, as it is recorded on the case): the scrubbed case
    as a text file to save in the case file."""
    coach = require_coach(request)
    filename, body = await request.app[keys.CASES].export_text(
        coach, request.match_info["case_id"])
    return web.Response(text=body, content_type="text/plain", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


# ---- WebSockets ---------------------------------------------------------------------------


def _check_ws_request(request: web.Request) -> CoachInfo:
    """Login, same-origin and the CSRF token (browsers send cookies on cross-site WebSockets)."""
    coach = require_coach(request)
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise ApiError(403, "bad_origin", "Fel ursprung")
    if not security.tokens_equal(request.query.get("csrf"), coach.csrf):
        raise ApiError(403, "csrf", "CSRF-token saknas eller är fel")
    return coach


async def _ws_loop(
    request: web.Request, ws: web.WebSocketResponse, coach: CoachInfo, case_id: str | None,
    guard: Guard, ending: Ending,
) -> None:
    store = request.app[keys.STORE]
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            continue
        if not await guard():
            ending.end(CLOSE_FORBIDDEN, "Åtkomst nekad")
            return
        try:
            data = json.loads(msg.data)
        except ValueError:
            await ws.send_json({"type": "error", "message": "Ogiltigt meddelande"})
            continue
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "ping":
            await store.run(store.touch, coach.id)
            await ws.send_json({"type": "pong"})
        elif kind == "message" and case_id is not None:
            try:
                await request.app[keys.CASES].send_coach_message(coach, case_id, data.get("text"))
            except DomainError as exc:
                await ws.send_json({"type": "error", "code": exc.code, "message": exc.message})
        elif kind == "typing" and case_id is not None:
            await request.app[keys.CASES].coach_typing(coach, case_id, data.get("on") is True)
        else:
            await ws.send_json({"type": "error", "message": "Okänd meddelandetyp"})


def _access_guard(request: web.Request, coach: CoachInfo, case_id: str | None) -> Guard:
    """Is the socket's session still valid (not logged out, no new password, account still
    active) and, for a case socket, may its coach still read the case? Read fresh from the
    database each time, so a change on any instance or by the CLI counts at once."""
    store = request.app[keys.STORE]

    async def allowed() -> bool:
        loaded = await store.run(store.load_session, coach.session_hash)
        if loaded is None:
            return False
        sess, row = loaded
        current = CoachInfo(row.id, row.username, row.role, row.presence, sess.csrf_token,
                            coach.session_hash)
        if not current.can_coach:
            return False
        if case_id is None:
            return True
        try:
            case = await store.run(store.get_case, case_id)
        except NotFound:
            return False
        return can_read(current, case)

    return allowed


async def _watch(guard: Guard, ending: Ending, every: float) -> None:
    """End the socket when its access ends, even if no message is sent to it."""
    while True:
        await asyncio.sleep(every)
        try:
            ok = await guard()
        except Exception:
            ok = False
        if not ok:
            ending.end(CLOSE_FORBIDDEN, "Åtkomst nekad")
            return


async def _serve_socket(request: web.Request, ws: web.WebSocketResponse, coach: CoachInfo,
                        case_id: str | None, guard: Guard, ending: Ending) -> None:
    """Read the socket until the client leaves or `ending` is set; then this task (the
    socket's own) closes it with the ending's code, which the console does not retry."""
    every = request.app[keys.SETTINGS].ws_recheck_seconds
    tasks = [asyncio.ensure_future(_ws_loop(request, ws, coach, case_id, guard, ending)),
             asyncio.ensure_future(_watch(guard, ending, every)),
             asyncio.ensure_future(ending.event.wait())]
    try:
        await asyncio.wait([tasks[0], tasks[2]], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if ending.event.is_set() and not ws.closed:
        with contextlib.suppress(Exception):
            await ws.close(code=ending.code, message=ending.reason.encode())


async def ws_queue(request: web.Request) -> web.WebSocketResponse:
    coach = _check_ws_request(request)
    settings = request.app[keys.SETTINGS]
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=settings.client_max_size)
    await ws.prepare(request)
    hub = request.app[keys.HUB]
    hub.queue_sockets.add(ws)
    try:
        await _serve_socket(request, ws, coach, None, _access_guard(request, coach, None),
                            Ending())
    finally:
        hub.queue_sockets.discard(ws)
    return ws


async def ws_case(request: web.Request) -> web.WebSocketResponse:
    coach = _check_ws_request(request)
    case = await request.app[keys.CASES].load_case(request.match_info["case_id"])
    if not can_read(coach, case):
        raise ApiError(403, "forbidden", "Ärendet har en annan coach")
    if case.status in FINISHED:  # nothing more will stream; the page loads it over HTTP
        raise ApiError(409, "case_closed", "Ärendet är avslutat")
    settings = request.app[keys.SETTINGS]
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=settings.client_max_size)
    await ws.prepare(request)
    hub = request.app[keys.HUB]
    guard, ending = _access_guard(request, coach, case.id), Ending()
    hub.join_case(case.id, ws, guard, ending)
    try:
        await ws.send_json({"type": "ready", "case_id": case.id})
        await _serve_socket(request, ws, coach, case.id, guard, ending)
    finally:
        hub.leave_case(case.id, ws)
    return ws


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def favicon(request: web.Request) -> web.Response:
    """Browsers ask for it on every page; an empty answer keeps the logs clean."""
    return web.Response(status=204)
