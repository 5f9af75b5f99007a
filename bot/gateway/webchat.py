"""The web chat: the page (GET /) and its WebSocket (GET /ws).

Continuity without cookies: the browser keeps a random token in localStorage; the Rasa
sender id is HMAC(GATEWAY_SECRET, token), so the id a coach or a log sees cannot be used to
read the conversation, and the token never leaves the device except on this socket. The
transcript is not stored by the gateway: after a reload it is rebuilt from Rasa's tracker
(HTTP API), so it lives exactly as long as Rasa keeps the conversation.

No message lost with its socket, none answered twice: the page names each user message with
a random id and sends it again, same id, after a reconnect until it gets `{"type": "ack",
"id": ...}`, which the gateway sends once Rasa has handled the message. The gateway forwards
an id once (bot/gateway/message_ids.py): a repeat is acknowledged again, never forwarded
again; a message the gateway has read reaches Rasa even if its socket closes meanwhile. A
reply about one message that was not taken (too long, flood limit, Rasa down) carries its id,
so the page stops waiting for it. Messages without an id (pages from before) are forwarded as
they come, without an ack.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import re
import time
from typing import Any

from aiohttp import WSMsgType, web
from jinja2 import Environment, PackageLoader, select_autoescape

from bot import metrics, protocol
from bot.clients.rasa import RasaUnavailable
from bot.gateway import coach_link, keys, texts
from bot.gateway.conversation import history, is_payload
from bot.gateway.message_ids import Claim, Seen
from bot.gateway.vault import WEB_PREFIX, pseudonym
from bot.language import LANGUAGES
from bot.protocol import WEB_MESSAGE_ID_KEY, web_message_id

log = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
LANGUAGE_TRIGGERS = {"en": "/switch_to_english", "sv": "/switch_to_swedish"}
WS_MAX_BYTES = 16 * 1024
TURNS = frozenset({"message", "language"})  # frames that are a turn for the assistant
BUSY_POLL_SECONDS = 0.25  # how often a resend asks whether another forward of it has ended
TRACKER_CHECK_SECONDS = 2.0  # ... and how often it looks for the message in Rasa's tracker
BAD_ID = {"type": "error", "code": "bad_id",
          "detail": "id must be a string of 8 to 64 letters, digits, '-' or '_'"}

_templates = Environment(loader=PackageLoader("bot.gateway", "templates"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True,
                         lstrip_blocks=True)


def client_address(request: web.Request) -> str | None:
    """The peer address, or the proxy-reported one if GATEWAY_TRUST_PROXY is on. Only ever
    used hashed, by the rate limiter."""
    if request.app[keys.SETTINGS].trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.remote


def client_key(secret: str, address: str | None) -> str:
    """A keyed hash of the browser's address, for the limits on coach cases per client (never
    the address itself). Sent to Rasa's channel only, which stores a daily pseudonym of it."""
    return "w-" + hmac.new(secret.encode(), f"client:{address or '?'}".encode(),
                           hashlib.sha256).hexdigest()[:32]


def chosen_language(data: dict[str, Any], kind: str) -> str | None:
    """The language the user chose on the page ("sv"/"en"), passed to Rasa with the message;
    None when no choice was made (the assistant then goes by the message's words)."""
    chosen = data.get("lang") if kind == "language" else data.get("language")
    return chosen if chosen in LANGUAGES else None


def _json(value: object) -> str:
    """JSON safe inside a <script type="application/json"> block."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


async def page(request: web.Request) -> web.Response:
    lang = "en" if request.query.get("lang") == "en" else "sv"
    settings = request.app[keys.SETTINGS]
    all_texts = texts.web_texts()
    html = _templates.get_template("chat.html").render(
        lang=lang, t=all_texts[lang], exit_url=settings.exit_url,
        max_chars=settings.max_message_chars,
        texts_json=_json(all_texts), links_json=_json(texts.links()),
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8")


class _Session:
    """One open socket: which conversation it belongs to, and its send order."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.sender_id: str | None = None
        self.lock = asyncio.Lock()
        self.tasks: set[asyncio.Task[None]] = set()
        self.left = False  # quick exit: reported as such, not as "no page open"
        self.typing_at = 0.0

    def typing_allowed(self, on: bool) -> bool:
        """At most one "typing" a few seconds apart per socket; "stopped" always passes."""
        now = time.monotonic()
        if on and now - self.typing_at < coach_link.USER_TYPING_EVERY_SECONDS:
            return False
        self.typing_at = now if on else 0.0
        return True


async def websocket(request: web.Request) -> web.WebSocketResponse:
    app = request.app
    limiter = app[keys.LIMITER]
    address = client_address(request)
    if not await limiter.allow_address(address):
        raise web.HTTPTooManyRequests(text="too many connections")
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=WS_MAX_BYTES)
    await ws.prepare(request)
    session = _Session(ws)
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                data = json.loads(msg.data)
            except ValueError:
                await ws.send_json({"type": "error", "code": "bad_json"})
                continue
            if not isinstance(data, dict):
                await ws.send_json({"type": "error", "code": "bad_json"})
                continue
            if data.get("type") == "leave":
                # the quick exit: the page closes the socket right after this, which cancels
                # the session's tasks, so the report is the reporter's own task
                if session.sender_id is not None and data.get("reason") == protocol.QUICK_EXIT:
                    session.left = True
                    app[keys.PRESENCE].left_soon(session.sender_id, protocol.QUICK_EXIT)
                continue
            # handled in order, off the read loop, so pings are answered during a slow reply
            task = asyncio.ensure_future(_ordered(request, session, data, address))
            # a turn read here is handled to its end even if the socket closes now: its
            # id's claim then always ends done or released, and the page's resend on its
            # next socket is answered from that; the rest goes with the socket
            tasks = app[keys.WEB_TURNS] if data.get("type") in TURNS else session.tasks
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        for task in list(session.tasks):
            task.cancel()
        if session.sender_id:
            app[keys.HUB].remove(session.sender_id, ws)
            if not session.left:
                app[keys.PRESENCE].page_closed(session.sender_id,
                                               app[keys.HUB].connected(session.sender_id))
    return ws


async def _ordered(request: web.Request, session: _Session, data: dict[str, Any],
                   address: str | None) -> None:
    """One frame after the socket's earlier ones; its errors answered on the socket (if
    still open), never raised."""
    async with session.lock:
        try:
            await _handle(request, session, data, address)
        except ConnectionResetError:
            pass
        except Exception:
            log.exception("web chat message failed")
            if not session.ws.closed:
                with contextlib.suppress(ConnectionResetError):
                    await session.ws.send_json(_with_id(
                        {"type": "error", "code": "internal"}, web_message_id(data.get("id"))))


def _with_id(reply: dict[str, Any], message_id: str | None) -> dict[str, Any]:
    """A reply about one message names it by the page's id, so the page can settle it."""
    return {**reply, "id": message_id} if message_id else reply


async def _handle(request: web.Request, session: _Session, data: dict[str, Any],
                  address: str | None) -> None:
    app, ws = request.app, session.ws
    kind = data.get("type")
    if kind == "ping":
        await ws.send_json({"type": "pong"})
        return
    if kind == "hello":
        token = data.get("token")
        if not isinstance(token, str) or not TOKEN_RE.match(token):
            await ws.send_json({"type": "error", "code": "bad_token"})
            return
        sender = pseudonym(app[keys.SETTINGS].secret, token, WEB_PREFIX)
        if session.sender_id and session.sender_id != sender:
            app[keys.HUB].remove(session.sender_id, ws)
        session.sender_id = sender
        app[keys.HUB].add(sender, ws)
        app[keys.PRESENCE].page_open(sender)
        items: list[dict[str, Any]] = []
        if not data.get("fresh"):
            try:
                events = await app[keys.RASA].channel_events(sender)
                items = history(events)
            except RasaUnavailable as exc:
                log.warning("transcript unavailable: %s", exc)
        # a fresh conversation's page already shows what it sent: nothing to replace
        await ws.send_json({"type": "history", "items": items,
                            "fresh": bool(data.get("fresh"))})
        return
    if kind == "typing":
        if session.sender_id is not None and session.typing_allowed(data.get("on") is True):
            await coach_link.send_user_typing(app, session.sender_id, data.get("on") is True)
        return
    if kind not in ("message", "language"):
        await ws.send_json({"type": "error", "code": "unknown_type"})
        return
    # the page's id of the message: absent on pages from before acknowledgements
    message_id: str | None = None
    if "id" in data:
        message_id = web_message_id(data["id"])
        if message_id is None:
            await ws.send_json(BAD_ID)
            return
    lang = "en" if data.get("lang") == "en" else "sv"
    restore = data.get("text") if kind == "message" else None
    if session.sender_id is None:
        await ws.send_json(_with_id({"type": "error", "code": "no_hello"}, message_id))
        return
    sender = session.sender_id
    if kind == "language":
        text = LANGUAGE_TRIGGERS[lang]
    else:
        text = data.get("text")
        payload = data.get("payload")
        if isinstance(payload, str) and is_payload(payload):
            text = payload
        if not isinstance(text, str) or not text.strip():
            await ws.send_json(_with_id({"type": "error", "code": "empty"}, message_id))
            return
        if len(text) > app[keys.SETTINGS].max_message_chars:
            await ws.send_json(_with_id({"type": "notice_text", "code": "too_long",
                                         "text": texts.text("utter_gateway_too_long", lang),
                                         "restore": restore}, message_id))
            return
    ids = app[keys.MESSAGE_IDS]
    resend = data.get("resend") is True
    claim: Claim | None = None
    if message_id is not None:
        claim = await _claim(app, ws, sender, message_id, resend)
        if claim is None:
            return  # Rasa has it: acknowledged again, not forwarded again
        if claim.state is not Seen.NEW:  # another forward of it never ended
            await ws.send_json(_unavailable(lang, restore, message_id))
            return
    limiter = app[keys.LIMITER]
    if not (await limiter.allow_conversation(sender) and await limiter.allow_address(address)):
        if claim is not None:
            await ids.release(claim)
        metrics.REFUSED.labels("web").inc()
        await ws.send_json(_with_id({"type": "notice_text", "code": "rate_limited",
                                     "text": texts.text("utter_gateway_rate_limited", lang),
                                     "restore": restore}, message_id))
        return
    if claim is not None and resend and await _in_tracker(app, sender, str(message_id)):
        # sent before, and Rasa has it although no claim said so (an instance killed
        # mid-forward, Redis down, the claim expired): not a second time
        await ids.done(claim)
        await ws.send_json({"type": "ack", "id": message_id})
        return
    hub = app[keys.HUB]
    await hub.send(sender, {"type": "typing", "on": True})
    try:
        if await _forward(app, sender, text, client_key(app[keys.SETTINGS].secret, address),
                          chosen_language(data, kind), message_id, claim):
            if message_id is not None:
                await ws.send_json({"type": "ack", "id": message_id})
        else:
            await ws.send_json(_unavailable(lang, restore, message_id))
    finally:
        await hub.send(sender, {"type": "typing", "on": False})


def _unavailable(lang: str, restore: object, message_id: str | None) -> dict[str, Any]:
    """"The chat is not answering, try again" for one message, its text given back."""
    return _with_id({"type": "notice_text", "code": "unavailable",
                     "text": texts.text("utter_gateway_unavailable", lang),
                     "restore": restore}, message_id)


async def _claim(app: web.Application, ws: web.WebSocketResponse, sender: str,
                 message_id: str, resend: bool) -> Claim | None:
    """Claim the page's id before forwarding: a NEW claim to forward under; None when Rasa
    already has the message (acknowledged again here); a BUSY one when another forward of
    it held the id for longer than any forward takes.

    While another socket's forward of it runs (the page's previous socket, on this instance
    or another), wait for its outcome; a page's resend also looks in Rasa's tracker now and
    then, which settles it at once when the other forward's instance was killed after Rasa
    took the message."""
    ids = app[keys.MESSAGE_IDS]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ids.busy_seconds + 1
    checked = -TRACKER_CHECK_SECONDS
    while True:
        claim = await ids.claim(sender, message_id)
        if claim.state is Seen.NEW:
            return claim
        if claim.state is Seen.DONE:
            await ws.send_json({"type": "ack", "id": message_id})
            return None
        if ws.closed:  # the page sends it again on its next socket
            return None
        now = loop.time()
        if resend and now - checked >= TRACKER_CHECK_SECONDS:
            checked = now
            if await _in_tracker(app, sender, message_id):
                await ws.send_json({"type": "ack", "id": message_id})
                return None
        if now >= deadline:
            log.warning("a web message id stayed claimed for %.0f s", ids.busy_seconds)
            return claim
        await asyncio.sleep(BUSY_POLL_SECONDS)


async def _in_tracker(app: web.Application, sender: str, message_id: str) -> bool:
    """Whether Rasa's tracker holds a user message with the page's id (its channel keeps
    the id with the message)."""
    try:
        events = await app[keys.RASA].channel_events(sender)
    except RasaUnavailable as exc:
        log.warning("transcript unavailable for a resent message: %s", exc)
        return False
    return any(isinstance(ev, dict) and ev.get("event") == "user"
               and isinstance(ev.get("metadata"), dict)
               and ev["metadata"].get(WEB_MESSAGE_ID_KEY) == message_id for ev in events)


async def _forward(app: web.Application, sender: str, text: str, client: str,
                   language: str | None, message_id: str | None,
                   claim: Claim | None) -> bool:
    """Hand one message to Rasa; True once Rasa has handled it. Its claim ends done or
    released whatever happens."""
    ids = app[keys.MESSAGE_IDS]
    delivered = False
    metrics.MESSAGES.labels("web").inc()
    started = time.perf_counter()
    try:
        await app[keys.RASA].send_message(sender, text, client, language=language,
                                          message_id=message_id)
        delivered = True
        metrics.LATENCY.labels("web").observe(time.perf_counter() - started)
    except RasaUnavailable as exc:
        log.warning("web message not delivered to Rasa: %s", exc)
        metrics.DELIVERY_FAILURES.labels("web", "rasa_unavailable").inc()
    except Exception:  # told to the page like an unavailable Rasa, never a silent loss
        log.exception("web message not delivered to Rasa")
    finally:
        if claim is not None:
            await (ids.done(claim) if delivered else ids.release(claim))
    return delivered
