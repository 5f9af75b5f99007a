"""Application factory: `create_app(settings)` wires settings, database, Rasa client, routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timezone

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.client_window import ClientCaseWindow
from bot.clients.gateway import GatewayLink
from bot.clients.rasa import RasaClient
from bot.db.engine import make_engine, upgrade_database
from bot.db.models import utcnow
from bot.escalation import keys, security
from bot.escalation import metrics as escalation_metrics
from bot.escalation.common import ApiError, CoachInfo, DomainError, is_api_path, status_of
from bot.escalation.hub import Hub
from bot.escalation.login import LoginThrottle
from bot.escalation.routes import setup_routes
from bot.escalation.service import CaseService
from bot.escalation.settings import Settings
from bot.escalation.store import Store
from bot.escalation.sweeper import sweeper_ctx
from bot.protocol import CALLBACK_HEADER

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOUCH_EVERY_SECONDS = 20

ERROR_TITLES = {
    400: "Felaktig begäran",
    401: "Inte inloggad",
    403: "Åtkomst nekad",
    404: "Sidan finns inte",
    405: "Metoden är inte tillåten",
    409: "Konflikt",
    413: "För stor begäran",
    429: "För många försök",
    502: "Chattboten svarar inte",
}


def _error_response(request: web.Request, status: int, code: str, message: str) -> web.Response:
    if is_api_path(request.path) or "application/json" in request.headers.get("Accept", ""):
        return web.json_response({"error": code, "message": message}, status=status)
    env = request.app[keys.TEMPLATES]
    html = env.get_template("error.html").render(
        coach=request.get("coach"),
        csrf=request["coach"].csrf if request.get("coach") else "",
        title=ERROR_TITLES.get(status, "Fel"),
        message=message,
        status=status,
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Clear 4xx errors (JSON for API paths, Swedish HTML for pages) and no stack traces."""
    try:
        return await handler(request)
    except DomainError as exc:
        return _error_response(request, status_of(exc), exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = (exc.reason or "error").lower().replace(" ", "_")
        return _error_response(request, exc.status, code, exc.reason or "Fel")
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error_response(request, 500, "internal_error", "Internt fel")


@web.middleware
async def internal_auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """/internal/* needs the shared Bearer token (the Rasa side), nothing else;
    /internal/gateway/* the web gateway's GATEWAY_CALLBACK_TOKEN instead, so the public-facing
    gateway never holds the token that opens cases."""
    if request.path.startswith("/internal/gateway/"):
        expected = request.app[keys.SETTINGS].gateway_token
        if not (expected and security.tokens_equal(request.headers.get(CALLBACK_HEADER),
                                                   expected)):
            raise ApiError(401, "unauthorized", "Missing or wrong gateway token")
    elif request.path.startswith("/internal/"):
        expected = "Bearer " + request.app[keys.SETTINGS].internal_token
        given = request.headers.get("Authorization", "")
        if not security.tokens_equal(given, expected):
            raise ApiError(401, "unauthorized", "Missing or wrong Bearer token")
    return await handler(request)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach the logged-in coach (or None) to the request; keep presence fresh."""
    request["coach"] = None
    if request.path.startswith(("/internal/", "/static/")) or request.path == "/healthz":
        return await handler(request)
    settings, store = request.app[keys.SETTINGS], request.app[keys.STORE]
    token = security.token_from_cookie(
        settings.session_secret, request.cookies.get(security.SESSION_COOKIE)
    )
    if token is not None:
        thash = security.token_hash(token)
        loaded = await store.run(store.load_session, thash)
        if loaded is not None:
            sess, coach = loaded
            request["coach"] = CoachInfo(
                coach.id, coach.username, coach.role, coach.presence, sess.csrf_token, thash
            )
            last = coach.last_seen_at
            if last is None or (utcnow() - last).total_seconds() > TOUCH_EVERY_SECONDS:
                await store.run(store.touch, coach.id)
    return await handler(request)


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every state-changing console request carries the session's CSRF token."""
    if request.method in SAFE_METHODS or request.path.startswith("/internal/"):
        return await handler(request)
    if request.path == "/login":
        # no session yet: double-submit token (cookie == form field)
        form = await request.post()
        if not security.tokens_equal(
            request.cookies.get(security.LOGIN_CSRF_COOKIE), str(form.get(security.CSRF_FIELD, ""))
        ):
            raise ApiError(
                403, "csrf", "Sidan har gått ut. Ladda om inloggningssidan och försök igen."
            )
        return await handler(request)
    coach: CoachInfo | None = request.get("coach")
    if coach is None:
        raise ApiError(401, "unauthorized", "Logga in som coach")
    given = request.headers.get(security.CSRF_HEADER)
    if given is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        given = str((await request.post()).get(security.CSRF_FIELD, ""))
    if not security.tokens_equal(given, coach.csrf):
        raise ApiError(403, "csrf", "CSRF-token saknas eller är fel. Ladda om sidan.")
    return await handler(request)


def create_app(
    settings: Settings | None = None,
    *,
    rasa: RasaClient | None = None,
    clock: Callable[[], datetime] | None = None,
) -> web.Application:
    """Build the service. Nothing touches the database or network until the app starts."""
    settings = settings or Settings.from_env()
    settings.check_production_secrets()  # APP_ENV=production: no default secrets
    app = web.Application(
        client_max_size=settings.client_max_size,
        middlewares=[
            error_middleware,
            internal_auth_middleware,
            session_middleware,
            csrf_middleware,
        ],
    )
    app[keys.SETTINGS] = settings
    app[keys.RASA] = rasa or RasaClient(
        settings.rasa_url, settings.rasa_token, settings.rasa_timeout_seconds
    )
    app[keys.HUB] = Hub(settings.redis_url, settings.redis_prefix)
    app[keys.GATEWAY] = GatewayLink(settings.gateway_url, settings.gateway_token)
    app[keys.CLOCK] = clock or (lambda: datetime.now(timezone.utc))
    app[keys.THROTTLE] = LoginThrottle(settings.session_secret, settings.redis_url,
                                       settings.redis_prefix)
    app[keys.CASE_WINDOW] = ClientCaseWindow(settings.redis_url, settings.redis_prefix)
    app[keys.TEMPLATES] = Environment(
        loader=PackageLoader("bot.escalation", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app.on_response_prepare.append(security.add_security_headers)
    app.cleanup_ctx.append(_resources_ctx)
    app.cleanup_ctx.append(sweeper_ctx)
    setup_routes(app)
    escalation_metrics.setup(app)
    return app


async def _resources_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the database (migrating it) and the Rasa client; close both on shutdown."""
    settings = app[keys.SETTINGS]
    engine = make_engine(settings.database_url)
    if settings.auto_migrate:
        await asyncio.to_thread(upgrade_database, engine)
    app[keys.STORE] = Store(engine)
    app[keys.CASES] = CaseService(app[keys.STORE], app[keys.RASA], app[keys.HUB],
                                  app[keys.SETTINGS], app[keys.CLOCK], app[keys.GATEWAY],
                                  app[keys.CASE_WINDOW])
    app[keys.SWEEP_WAKE] = asyncio.Event()
    await app[keys.RASA].start()
    await app[keys.HUB].start()  # REDIS_URL set: subscribe to the fan-out channel
    yield
    await app[keys.THROTTLE].close()
    await app[keys.CASE_WINDOW].close()
    await app[keys.HUB].close_all()
    await app[keys.RASA].close()
    await app[keys.GATEWAY].close()
    engine.dispose()
