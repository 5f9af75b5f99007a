"""46elks connector: webhook form posts (from, to, message) and replies via its HTTP API.

46elks signs nothing, so the webhook URL carries a secret path segment
(/sms/46elks/<ELKS_WEBHOOK_SECRET>, compared in constant time); a wrong secret is a 403 and
nothing is stored. The webhook answers with an empty body: 46elks would send a non-empty
answer back to the user as an SMS, and replies go through the API instead (see twilio.py
for why one way out).
"""

from __future__ import annotations

import hmac

import aiohttp
from aiohttp import web

from bot.gateway import keys
from bot.gateway.settings import ElksSettings
from bot.gateway.sms import (
    inbound_from_form,
    once,
    post_to_provider,
    read_form,
)
from bot.gateway.vault import pseudonym


def delivery_path(secret: str) -> str:
    return f"/sms/46elks/{secret}/delivery"


def _check_secret(request: web.Request) -> None:
    """The secret path segment, compared in constant time: 403 otherwise, 404 without
    46elks settings."""
    cfg = request.app[keys.SETTINGS].elks
    if cfg is None:
        raise web.HTTPNotFound()
    given = request.match_info.get("secret", "")
    if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                               cfg.webhook_secret.encode()):
        raise web.HTTPForbidden(text="invalid webhook secret")


async def webhook(request: web.Request) -> web.Response:
    """POST /sms/46elks/{secret}."""
    _check_secret(request)
    settings = request.app[keys.SETTINGS]
    form = await read_form(request, settings.client_max_size)
    if form.get("direction", "incoming") != "incoming":
        return web.Response(text="")  # delivery reports come to their own URL
    sms = inbound_from_form("46elks", form.get("from"), form.get("to"), form.get("message"))
    await request.app[keys.SMS].handle_inbound(sms)
    return web.Response(text="")


async def delivery(request: web.Request) -> web.Response:
    """POST /sms/46elks/{secret}/delivery: 46elks' delivery report (`whendelivered`) for an
    SMS we sent, behind the same secret path. `failed` reaches the coach, once per id;
    `delivered` and `sent` are answered and ignored."""
    _check_secret(request)
    settings = request.app[keys.SETTINGS]
    form = await read_form(request, settings.client_max_size)
    sms_id, state = form.get("id") or "", form.get("status") or ""
    if not sms_id or len(sms_id) > 64:
        raise web.HTTPBadRequest(text="missing or invalid id")
    if state != "failed":
        return web.Response(text="")
    key = pseudonym(settings.secret, f"status:{sms_id}:{state}", "elks-")
    await once(request.app[keys.VAULT], key,
               request.app[keys.SMS].delivery_failed("46elks", sms_id, state, None))
    return web.Response(text="")


def make_sender(cfg: ElksSettings, status_url: str = ""):  # -> Sender
    """send(http, to, via, body): POST {api}/sms with basic auth (API username, password);
    with `status_url` 46elks posts its delivery report there (`whendelivered`)."""
    url = f"{cfg.api_url}/sms"
    auth = aiohttp.BasicAuth(cfg.username, cfg.password)

    async def send(http: aiohttp.ClientSession, to: str, via: str, body: str) -> str | None:
        data = {"from": cfg.from_number or via, "to": to, "message": body}
        if status_url:
            data["whendelivered"] = status_url
        return await post_to_provider(http, "46elks", url, data, auth, (200,), "id")

    return send
