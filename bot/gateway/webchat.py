"""The web chat: the page (GET /) and its WebSocket (GET /ws).

Continuity without cookies: the browser keeps a random token in localStorage; the Rasa
sender id is HMAC(GATEWAY_SECRET, token), so the id a coach or a log sees cannot be used to
read the conversation, and the token never leaves the device except on this socket. The
transcript is not stored by the gateway: after a reload it is rebuilt from Rasa's tracker
(HTTP API), so it lives exactly as long as Rasa keeps the conversation.
"""

from __future__ import annotations

import asyncio
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
from bot.gateway.vault import WEB_PREFIX, pseudonym
from bot.language import LANGUAGES

log = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
LANGUAGE_TRIGGERS = {"en": "/switch_to_english", "sv": "/switch_to_swedish"}
WS_MAX_BYTES = 16 * 1024

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
            session.tasks.add(task)
            task.add_done_callback(session.tasks.discard)
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
    async with session.lock:
        try:
            await _handle(request, session, data, address)
        except ConnectionResetError:
            pass
        except Exception:
            log.exception("web chat message failed")
            if not session.ws.closed:
                await session.ws.send_json({"type": "error", "code": "internal"})


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
    lang = "en" if data.get("lang") == "en" else "sv"
    if session.sender_id is None:
        await ws.send_json({"type": "error", "code": "no_hello"})
        return
    if kind == "language":
        text = LANGUAGE_TRIGGERS[lang]
    else:
        text = data.get("text")
        payload = data.get("payload")
        if isinstance(payload, str) and is_payload(payload):
            text = payload
        if not isinstance(text, str) or not text.strip():
            await ws.send_json({"type": "error", "code": "empty"})
            return
        if len(text) > app[keys.SETTINGS].max_message_chars:
            await ws.send_json({"type": "notice_text", "code": "too_long",
                                "text": texts.text("utter_gateway_too_long", lang),
                                "restore": data.get("text")})
            return
    limiter = app[keys.LIMITER]
    if not (await limiter.allow_conversation(session.sender_id)
            and await limiter.allow_address(address)):
        metrics.REFUSED.labels("web").inc()
        await ws.send_json({"type": "notice_text", "code": "rate_limited",
                            "text": texts.text("utter_gateway_rate_limited", lang),
                            "restore": data.get("text") if kind == "message" else None})
        return
    hub = app[keys.HUB]
    await hub.send(session.sender_id, {"type": "typing", "on": True})
    metrics.MESSAGES.labels("web").inc()
    started = time.perf_counter()
    try:
        await app[keys.RASA].send_message(session.sender_id, text,
                                          client_key(app[keys.SETTINGS].secret, address),
                                          language=chosen_language(data, kind))
        metrics.LATENCY.labels("web").observe(time.perf_counter() - started)
    except RasaUnavailable as exc:
        log.warning("web message not delivered to Rasa: %s", exc)
        metrics.DELIVERY_FAILURES.labels("web", "rasa_unavailable").inc()
        await ws.send_json({"type": "notice_text", "code": "unavailable",
                            "text": texts.text("utter_gateway_unavailable", lang),
                            "restore": data.get("text") if kind == "message" else None})
    finally:
        await hub.send(session.sender_id, {"type": "typing", "on": False})
