"""The action server behind a shared secret: `python -m bot actions`.

It runs on the service runtime (bot/runtimes.py: Python 3.12, rasa-sdk 3.21, Sanic 25) and
serves Rasa 3.6 over the action server's HTTP protocol, which did not change between them
(tests/test_action_server.py and the end-to-end tests run Rasa 3.6 against it).

rasa-sdk has no authentication: anyone who reaches its port could run action_escalate
and open coach cases for any conversation id. This builds the same Sanic app as
`rasa run actions` (rasa_sdk.endpoint.create_app, with rasa-sdk's plugins) and adds a request
middleware: /webhook and /actions need `Authorization: Bearer <ACTION_SERVER_TOKEN>`
(compared in constant time), else 401; /health stays open for readiness checks. Rasa sends
the header from `action_endpoint.headers` in endpoints.yml (Rasa expands ${...} there).

A call that passes the token is also checked for the shape rasa-sdk relies on (a JSON object,
a tracker object with a sender id, lists of event objects), so a malformed call gets a 400
instead of rasa-sdk's 500 with the request echoed back.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import sys
import zlib
from collections.abc import Mapping
from typing import Any

from sanic import Sanic, response
from sanic.exceptions import BadRequest, SanicException
from sanic.handlers import ErrorHandler
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import metrics
from bot.settings import load

log = logging.getLogger(__name__)

PROTECTED_HANDLERS = ("webhook", "actions")  # rasa-sdk's route handlers; /health stays open
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5055
RETRY_SECONDS = 5.0  # how often queued case requests are posted again
MAX_BODY_BYTES = 16 * 1024 * 1024  # Rasa sends every event; months of chat stay below


class MissingToken(SystemExit):
    """No ACTION_SERVER_TOKEN: the server would be open to anyone, so it does not start."""


def token_from_env(env: Mapping[str, str] | None = None) -> str:
    """ACTION_SERVER_TOKEN; in production also checked against placeholders and length."""
    from bot.settings import check_production_secrets, is_production

    token = load(env).action_server_token
    if is_production(env):
        check_production_secrets({"ACTION_SERVER_TOKEN": token}, component="action server")
    if not token:
        raise MissingToken("ACTION_SERVER_TOKEN is not set (.env): the action server refuses "
                           "to run without its secret")
    return token


def authorized(headers: Mapping[str, str], token: str) -> bool:
    """True if the request carries `Authorization: Bearer <token>` (constant-time compare)."""
    scheme, _, given = (headers.get("Authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "surrogatepass"), token.encode("utf-8"))


def _action_call(request: Request) -> Any:
    if request.headers.get("Content-Encoding") == "deflate":
        return json.loads(zlib.decompress(request.body))
    return request.json


def shape_error(call: Any) -> str | None:
    """What is wrong with an action call's shape for rasa-sdk, or None."""
    if not isinstance(call, dict):
        return "body must be a JSON object"
    if not isinstance(call.get("next_action") or "", str):
        return "'next_action' must be a string"
    if call.get("version") is not None and not isinstance(call["version"], str):
        return "'version' must be a string"
    if call.get("domain") is not None and not isinstance(call["domain"], dict):
        return "'domain' must be an object"
    tracker = call.get("tracker")
    # rasa-sdk 3.21 reads tracker.latest_message for its tracing span after every call, even
    # one without an action: both must be objects when they are there (Rasa always sends them)
    if "tracker" in call and not isinstance(tracker, dict):
        return "'tracker' must be an object"
    if (isinstance(tracker, dict) and "latest_message" in tracker
            and not isinstance(tracker["latest_message"], dict)):
        return "'tracker.latest_message' must be an object"
    if not call.get("next_action"):
        return None  # rasa-sdk answers an empty call without running an action
    if not isinstance(tracker, dict) or not isinstance(tracker.get("sender_id"), str):
        return "'tracker' must be an object with a string 'sender_id'"
    events = tracker.get("events", [])
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        return "'tracker.events' must be a list of objects"
    for key in ("slots", "latest_message", "active_loop", "active_form"):
        if tracker.get(key) is not None and not isinstance(tracker[key], dict):
            return f"'tracker.{key}' must be an object"
    for key in ("followup_action", "latest_action_name"):
        if tracker.get(key) is not None and not isinstance(tracker[key], str):
            return f"'tracker.{key}' must be a string"
    return None


def _handler_name(request: Request) -> str:
    """The matched route's handler (middleware runs after routing), so no spelling of the
    path (trailing slash, percent-encoding) can reach /webhook without the check."""
    route = request.route
    return route.name.rsplit(".", 1)[-1] if route is not None else ""


def create_app(token: str, actions: str = "actions") -> Sanic:
    """rasa-sdk's app for the `actions` package with the token and shape checks in front.

    rasa-sdk names its app "rasa_sdk": one per process (tests set Sanic.test_mode).
    """
    from rasa_sdk import endpoint
    from rasa_sdk.executor import ActionExecutor
    from rasa_sdk.plugin import plugin_manager

    if not token:
        raise MissingToken("the action server needs a token")
    executor = ActionExecutor()
    executor.register_package(actions)
    app = endpoint.create_app(executor)
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    plugin_manager().hook.attach_sanic_app_extensions(app=app)

    # rasa-sdk's catch-all handler turns every error, even a 404 for an unknown path, into a
    # 500 that echoes the request body (a tracker holds the user's messages). Sanic refuses a
    # second handler for the same exception, so the app gets a fresh error handler without
    # it: keep the HTTP status of Sanic's own errors, answer real failures without the body
    app.error_handler = ErrorHandler()

    @app.exception(SanicException)
    async def http_error(request: Request, exc: SanicException) -> HTTPResponse:
        return response.json({"error": str(exc)}, status=getattr(exc, "status_code", 400))

    @app.exception(Exception)
    async def failure(request: Request, exc: Exception) -> HTTPResponse:
        log.error("action server failure on %s", request.path, exc_info=exc)
        return response.json({"error": "internal error"}, status=500)

    metrics_token = load().metrics_token

    @app.route("/metrics", methods=["GET"])
    async def scrape(request: Request) -> HTTPResponse:
        """Prometheus: case requests by outcome (bot/metrics.py); loopback or METRICS_TOKEN."""
        if not metrics.allowed(request.ip, request.headers, metrics_token):
            return response.json({"error": "forbidden"}, status=403)
        return response.raw(metrics.render(), content_type=metrics.CONTENT_TYPE)

    @app.middleware("request")
    async def require_token(request: Request) -> HTTPResponse | None:
        handler = _handler_name(request)
        if handler not in PROTECTED_HANDLERS:
            return None
        if not authorized(request.headers, token):
            return response.json({"error": "unauthorized"}, status=401,
                                 headers={"WWW-Authenticate": "Bearer"})
        if handler != "webhook":
            return None
        try:
            call = _action_call(request)
        except (BadRequest, ValueError, zlib.error):
            return response.json({"error": "body is not valid JSON"}, status=400)
        problem = shape_error(call)
        if problem is not None:
            return response.json({"error": problem}, status=400)
        return None

    @app.listener("before_server_start")
    async def load_scrubber(app: Sanic, _: Any) -> None:
        # before the first request, not in it: case summaries are scrubbed (bot.privacy)
        from bot.privacy import warm_up

        await asyncio.to_thread(warm_up)

    @app.listener("after_server_start")
    async def start_retry_queue(app: Sanic, _: Any) -> None:
        # on the running loop, not app.add_task: that needs app.run and fails under
        # create_server (how the tests and an embedding host serve the app)
        app.ctx.retry_task = asyncio.get_running_loop().create_task(_retry_pending_cases())

    @app.listener("before_server_stop")
    async def stop_retry_queue(app: Sanic, _: Any) -> None:
        task = getattr(app.ctx, "retry_task", None)
        if task is not None:
            task.cancel()

    return app


async def _retry_pending_cases(interval: float = RETRY_SECONDS) -> None:
    """Post case requests queued while the escalation service was down, until it takes them."""
    from bot.case_request import PendingCases, drain
    from bot.clients.escalation import EscalationClient

    settings = load()
    queue = PendingCases()
    async with EscalationClient(settings.escalation_url, settings.escalation_internal_token,
                                settings.escalation_timeout_seconds) as client:
        while True:
            try:
                if await drain(queue, client):
                    log.info("queued case requests delivered")
            except Exception:  # never stop retrying
                log.exception("retrying queued case requests failed")
            await asyncio.sleep(interval)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot actions",
        description="Run the action server (rasa-sdk) behind ACTION_SERVER_TOKEN.")
    parser.add_argument("--actions", default="actions", help="package with the actions")
    settings = load()
    parser.add_argument("--host", default=settings.action_host)
    parser.add_argument("-p", "--port", type=int, default=settings.action_port)
    args = parser.parse_args(argv)
    try:
        token = token_from_env()
    except SystemExit as exc:  # MissingToken or InsecureSecrets: say why, exit non-zero
        print(exc, file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(token, args.actions)
    log.info("action server on http://%s:%d (token required for /webhook)", args.host,
             args.port)
    # one process: Sanic's worker manager would fork a second one that holds the same app
    app.run(args.host, args.port, single_process=True, access_log=False, motd=False)
    return 0
