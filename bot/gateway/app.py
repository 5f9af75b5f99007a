"""Application factory: `create_app(settings)` wires settings, Rasa client, vault, limiter,
SMS outbox and routes; security headers and clear 4xx errors for every response."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
from aiohttp import web

from bot.clients.escalation import GatewayCalls
from bot.clients.rasa import RasaClient
from bot.gateway import elks46, keys, twilio
from bot.gateway.conversation import CoachFlags
from bot.gateway.hub import WebHub
from bot.gateway.message_ids import MessageIds
from bot.gateway.presence import PresenceReporter
from bot.gateway.routes import setup_routes
from bot.gateway.settings import GatewaySettings
from bot.gateway.sms import SmsBatches, SmsOutbox
from bot.gateway.vault import Vault, make_vault_engine
from bot.ratelimit import SharedRateLimiter

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

BUSY_MARGIN_SECONDS = 10.0
# at shutdown, web chat messages already read from a socket get this long to reach Rasa
DRAIN_SECONDS = 5.0

# strict: no inline script or style, nothing from another origin, no framing
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Clear 4xx as short JSON, no stack traces, never a crash."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        resp = web.json_response({"error": exc.reason, "detail": exc.text or exc.reason},
                                 status=exc.status)
        if exc.status == 413:
            resp.force_close()  # the unread body must not be parsed as the next request
        return resp
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
    if request.app[keys.SETTINGS].production:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def create_app(settings: GatewaySettings | None = None) -> web.Application:
    """Build the gateway; network and database are opened when the app starts."""
    settings = settings or GatewaySettings.from_env()
    app = web.Application(client_max_size=settings.client_max_size,
                          middlewares=[error_middleware])
    app[keys.SETTINGS] = settings
    app[keys.RASA] = RasaClient(settings.rasa_url, callback_token=settings.callback_token,
                                timeout_seconds=settings.rasa_timeout_seconds)
    app[keys.HUB] = WebHub(settings.redis_url, settings.redis_prefix)
    app[keys.COACH] = CoachFlags(prefix=settings.redis_prefix)
    app[keys.LIMITER] = SharedRateLimiter(
        settings.rate_conversation, settings.rate_address, scope="gateway",
        secret=settings.secret, redis_url=settings.redis_url, prefix=settings.redis_prefix)
    # a busy claim outlives the longest forward, so only a killed instance's claim expires
    app[keys.MESSAGE_IDS] = MessageIds(
        settings.secret, settings.redis_url, settings.redis_prefix,
        ttl_seconds=settings.message_id_ttl_seconds,
        busy_seconds=settings.rasa_timeout_seconds + BUSY_MARGIN_SECONDS)
    app[keys.WEB_TURNS] = set()
    app[keys.VAULT] = Vault(make_vault_engine(settings.vault_url), settings.fernet_key,
                            settings.sms_number_ttl_seconds)
    app[keys.ESCALATION] = GatewayCalls(settings.escalation_url, settings.callback_token)
    app[keys.PRESENCE] = PresenceReporter(app[keys.ESCALATION])
    senders = {}
    if settings.twilio is not None:
        senders["twilio"] = twilio.make_sender(settings.twilio,
                                               settings.status_url(twilio.STATUS_PATH))
    if settings.elks is not None:
        senders["46elks"] = elks46.make_sender(settings.elks, settings.status_url(
            elks46.delivery_path(settings.elks.webhook_secret)))
    app[keys.SMS] = SmsOutbox(settings, app[keys.VAULT], app[keys.RASA], app[keys.LIMITER],
                              app[keys.COACH], senders, app[keys.PRESENCE],
                              SmsBatches(prefix=settings.redis_prefix), app[keys.ESCALATION])
    app.on_response_prepare.append(security_headers)
    app.cleanup_ctx.append(_resources_ctx)
    setup_routes(app)
    return app


async def _sweep(app: web.Application) -> None:
    """Delete phone numbers that have been inactive longer than the TTL."""
    settings, vault = app[keys.SETTINGS], app[keys.VAULT]
    while True:
        try:
            removed = await asyncio.to_thread(vault.sweep)
            if removed:
                log.info("deleted %d inactive phone numbers", removed)
        except Exception:
            log.exception("vault sweep failed")
        await asyncio.sleep(settings.sms_sweep_interval_seconds)


async def _drain_turns(app: web.Application) -> None:
    """Let web chat messages already read from a socket reach Rasa (their pages have had no
    answer yet), then cancel what is left."""
    turns = set(app[keys.WEB_TURNS])
    if not turns:
        return
    _, left = await asyncio.wait(turns, timeout=DRAIN_SECONDS)
    for task in left:
        task.cancel()


async def _resources_ctx(app: web.Application) -> AsyncIterator[None]:
    await app[keys.RASA].start()
    hub = app[keys.HUB]
    await hub.start()  # several instances: subscribe before the first request
    # one Redis client for everything the instances share (None: one process, in memory)
    app[keys.COACH].redis = app[keys.SMS].batches.redis = hub.redis
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
    app[keys.HTTP] = http
    app[keys.SMS].http = http
    app[keys.ESCALATION].http = http
    sweeper = asyncio.ensure_future(_sweep(app))
    yield
    sweeper.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sweeper
    await app[keys.SMS].drain()
    await _drain_turns(app)
    await app[keys.PRESENCE].close()
    await hub.close_all()
    await hub.stop()
    await http.close()
    await app[keys.RASA].close()
    await app[keys.LIMITER].close()
    await app[keys.MESSAGE_IDS].close()
    app[keys.VAULT].engine.dispose()
