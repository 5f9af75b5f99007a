"""Twilio connector: verified webhook (X-Twilio-Signature) and replies via the REST API.

Replies go through Twilio's REST API, not TwiML in the webhook answer, because most of what
a user receives does not answer a webhook at all (a coach's message, a timeout notice) and
Rasa may take longer than Twilio waits; one way out for everything keeps order and retry in
one place. The webhook answers with an empty <Response/> once Rasa has the message.
The REST call is made with aiohttp (the twilio package's client is blocking); the package's
own RequestValidator checks signatures.
"""

from __future__ import annotations

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from bot.gateway import keys
from bot.gateway.settings import TwilioSettings
from bot.gateway.sms import (
    FAILED_STATUSES,
    inbound_from_form,
    once,
    post_to_provider,
    read_form,
)
from bot.gateway.vault import pseudonym

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def signed_url(request: web.Request) -> str:
    """The URL Twilio signed: GATEWAY_PUBLIC_URL + path when behind a proxy."""
    public = request.app[keys.SETTINGS].public_url
    # built by hand: request.url fails for "host:port" with this aiohttp/yarl pair
    return f"{public or f'{request.scheme}://{request.host}'}{request.path_qs}"


STATUS_PATH = "/sms/twilio/status"


async def _signed_form(request: web.Request) -> dict[str, str]:
    """The form of a request Twilio signed with our auth token; 403 otherwise (nothing
    stored before that), 404 without Twilio settings."""
    settings = request.app[keys.SETTINGS]
    cfg = settings.twilio
    if cfg is None:
        raise web.HTTPNotFound()
    form = await read_form(request, settings.client_max_size)
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not RequestValidator(cfg.auth_token).validate(
            signed_url(request), form, signature):
        raise web.HTTPForbidden(text="invalid signature")
    if form.get("AccountSid", cfg.account_sid) != cfg.account_sid:
        raise web.HTTPForbidden(text="wrong account")
    return form


def _message_sid(form: dict[str, str]) -> str:
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if not sid or len(sid) > 64:
        raise web.HTTPBadRequest(text="missing or invalid MessageSid")
    return sid


async def webhook(request: web.Request) -> web.Response:
    """POST /sms/twilio: 403 unless signed with our auth token; nothing stored before that."""
    form = await _signed_form(request)
    sms = inbound_from_form("twilio", form.get("From"), form.get("To"), form.get("Body"))
    sid = _message_sid(form)
    # Twilio retries a webhook it thinks failed, and a signed request can be replayed: the
    # same MessageSid is answered 200 and handled once
    key = pseudonym(request.app[keys.SETTINGS].secret, sid, "twilio-")
    await once(request.app[keys.VAULT], key, request.app[keys.SMS].handle_inbound(sms))
    return web.Response(text=EMPTY_TWIML, content_type="text/xml")


async def status(request: web.Request) -> web.Response:
    """POST /sms/twilio/status: Twilio's status callback for an SMS we sent, signed like the
    webhook. `failed`/`undelivered` reach the coach (once per MessageSid and status); the
    other statuses (queued, sent, delivered ...) are answered and ignored."""
    form = await _signed_form(request)
    sid = _message_sid(form)
    state = form.get("MessageStatus") or form.get("SmsStatus") or ""
    if state not in FAILED_STATUSES:
        return web.Response(status=204)
    code = form.get("ErrorCode") or None
    code = code if code is None or (code.isdigit() and len(code) <= 8) else None
    key = pseudonym(request.app[keys.SETTINGS].secret, f"status:{sid}:{state}", "twilio-")
    await once(request.app[keys.VAULT], key,
               request.app[keys.SMS].delivery_failed("twilio", sid, state, code))
    return web.Response(status=204)


def make_sender(cfg: TwilioSettings, status_url: str = ""):  # -> Sender
    """send(http, to, via, body): POST .../Accounts/{sid}/Messages.json with basic auth;
    with `status_url` Twilio reports there what became of each SMS."""
    url = f"{cfg.api_url}/2010-04-01/Accounts/{cfg.account_sid}/Messages.json"
    auth = aiohttp.BasicAuth(cfg.account_sid, cfg.auth_token)

    async def send(http: aiohttp.ClientSession, to: str, via: str, body: str) -> str | None:
        data = {"To": to, "From": cfg.from_number or via, "Body": body}
        if status_url:
            data["StatusCallback"] = status_url
        return await post_to_provider(http, "Twilio", url, data, auth, (200, 201), "sid")

    return send
