"""POST /rasa/callback: every bot message Rasa sends on the callback channel lands here.

That includes replies to the user's own message, a coach's live messages and service
notices that the escalation service appends through Rasa's HTTP API. The recipient id says
the channel: `web-…` goes to the browser tabs of that conversation (with "coach joined/left"
notices), `sms-…` to the SMS outbox.

Every post must carry GATEWAY_CALLBACK_TOKEN in the X-Gateway-Callback-Token header (Rasa's
channel, bot.rasa_plugins.channels.callback, adds it). The peer address proves nothing: behind a
reverse proxy on the same host every request comes from loopback. Without a configured
token every callback is refused (and APP_ENV=production does not start).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from bot.escalation.security import tokens_equal
from bot.gateway import keys
from bot.gateway.vault import SMS_PREFIX, WEB_PREFIX
from bot.protocol import CALLBACK_HEADER, HANDOFF_ENDED, HANDOFF_KEY, ends_handoff

log = logging.getLogger(__name__)


def authorised(request: web.Request) -> bool:
    """The shared secret in the header, compared in constant time; never the address."""
    token = request.app[keys.SETTINGS].callback_token
    return bool(token) and tokens_equal(request.headers.get(CALLBACK_HEADER), token)


def web_payload(message: dict[str, Any]) -> dict[str, Any]:
    """What the page gets for one bot message: only fields it renders."""
    out: dict[str, Any] = {"type": "bot", "text": str(message.get("text") or ""),
                           "coach": bool(message.get("coach"))}
    if ends_handoff(message):  # the page shows it as the one "the coach has left" line
        out[HANDOFF_KEY] = HANDOFF_ENDED
    buttons = message.get("buttons")
    if isinstance(buttons, list) and buttons:
        out["buttons"] = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                          for b in buttons if isinstance(b, dict)]
    return out


async def receive(request: web.Request) -> web.Response:
    if not authorised(request):
        raise web.HTTPForbidden(text="callback token missing or wrong")
    try:
        message = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError) as exc:
        raise web.HTTPBadRequest(text="body is not JSON") from exc
    if not isinstance(message, dict) or not isinstance(message.get("recipient_id"), str):
        raise web.HTTPBadRequest(text="recipient_id missing")
    recipient = message["recipient_id"]
    if not (message.get("text") or message.get("buttons")):
        return web.json_response({"status": "ignored"})  # images, custom JSON: not rendered
    app = request.app
    before = await app[keys.COACH].notice(recipient, message)
    if recipient.startswith(WEB_PREFIX):
        hub = app[keys.HUB]
        if before:
            await hub.send(recipient, {"type": "notice", "kind": before})
        await hub.send(recipient, web_payload(message))
    elif recipient.startswith(SMS_PREFIX):
        await app[keys.SMS].deliver(recipient, message)
    return web.json_response({"status": "ok"})
