"""Rasa's REST channel with request validation and flood limits in front of it.

Rasa's own RestInput answers a JSON array or an empty body with a 500 (it calls `.get` on
whatever JSON it received), and takes any number of messages from anyone. This subclass
keeps the same URL (/webhooks/rest/webhook) and behaviour, but rejects malformed requests
with a clear 4xx before Rasa sees them, and answers floods with a 429 (per conversation and
per client address; the address is only used as a rotating in-memory HMAC, see
bot/ratelimit.py). Enabled in credentials.yml as
`bot.rasa_plugins.channels.rest.ValidatedRestInput`.

Payloads: a message that starts with "/" makes Rasa skip NLU and take the intent named
after it ("/emergency_danger" would open a priority-1 coach case). A payload is passed on
only if the bot offered it as a button in its last turn of that conversation (or it is a
language switch); anything else loses its leading "/" and goes through NLU as text.

Client key: the channel names the client of every message with a stable key: HMAC of the
client address (key from ACTION_SERVER_TOKEN, the same on every Rasa instance), or on the
callback channel, with the gateway's secret, the key the gateway gives (a browser's address or
a phone, see bot/clients/rasa.py). A client cannot choose it: a `client` in the body's metadata
is replaced otherwise. The stable key is never stored. The message gets only
`metadata.client`, a daily pseudonym HMAC(key, UTC date, stable key) that the escalation
service counts open cases by (ESCALATION_MAX_OPEN_CASES_PER_CLIENT), and the channel links that
pseudonym to the client's window id in Redis for an hour (bot/client_window.py), so the service
can also count the cases a client opened in the last 24 hours across the day change
(ESCALATION_MAX_CASES_PER_CLIENT). Beside it the message keeps the language chosen on the page
and, on the callback channel with the gateway's secret only, the web chat page's random id of
the message (`web_message_id`, bot/protocol.py): nothing about the person.

Gateway only: the callback channel takes a POST to its /webhook only with the gateway's
secret (GATEWAY_CALLBACK_TOKEN in the X-Gateway-Callback-Token header); anything else gets a
403 before any rate limit, payload check, NLU or tracker write, and with no secret configured
every post is refused. The REST channel gets the same wall when RASA_REST_GATEWAY_ONLY=1 (the
production launcher sets it); without it (`./dev run`, tests) the REST channel stays open.

Limits come from the environment as "COUNT/SECONDS": REST_RATE_PER_CONVERSATION (default
20/60, a fast typist) and REST_RATE_PER_ADDRESS (default 120/60, a few people behind one
address). With REDIS_URL set (the production profile) the buckets are in Redis, one limit for
every Rasa instance behind nginx; while Redis does not answer each process counts alone
(bot/ratelimit.py's SharedRateLimiter; the keys hold only keyed hashes).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache, partial
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import metrics, protocol
from bot.client_window import ClientCaseWindow
from bot.language import LANGUAGES
from bot.ratelimit import SharedRateLimiter, client_address, is_loopback, parse_rate
from bot.settings import load

log = logging.getLogger(__name__)

# always allowed: the language switches the web chat sends (they change no intent of note)
ALWAYS_ALLOWED_PAYLOADS = frozenset({"/switch_to_english", "/switch_to_swedish"})
CLIENT_HEADER = protocol.CALLBACK_HEADER
MAX_CLIENT_CHARS = 64
# the current request's metadata, for channels whose webhook passes none (Rasa's callback)
_REQUEST_METADATA: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "request_metadata", default=None)
MAX_MESSAGE_CHARS = 20_000
MAX_SENDER_CHARS = 128
DEFAULT_PER_CONVERSATION = (20, 60.0)
DEFAULT_PER_ADDRESS = (120, 60.0)
DEFAULT_SENDER = "default"  # what Rasa uses when a request names no sender


def validation_error(request: Request) -> HTTPResponse | None:
    """A 4xx response if the body is not a usable message, else None."""
    try:
        body: Any = request.json
    except InvalidUsage:
        return response.json({"error": "body is not valid JSON"}, status=400)
    if not isinstance(body, dict):
        return response.json({"error": "body must be a JSON object"}, status=400)
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(message, str):
        return response.json({"error": "'message' must be a string"}, status=400)
    if sender is not None and (not isinstance(sender, str) or not sender.strip()
                               or len(sender) > MAX_SENDER_CHARS):
        return response.json(
            {"error": f"'sender' must be a non-empty string of at most {MAX_SENDER_CHARS}"},
            status=400,
        )
    if len(message) > MAX_MESSAGE_CHARS:
        return response.json(
            {"error": f"'message' is longer than {MAX_MESSAGE_CHARS} characters"}, status=413
        )
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return response.json({"error": "'metadata' must be an object"}, status=400)
    channel = body.get("input_channel")
    if channel is not None and not isinstance(channel, str):
        return response.json({"error": "'input_channel' must be a string"}, status=400)
    return None


@lru_cache(maxsize=1)
def rate_limited_texts() -> tuple[str, str]:
    """The gateway's "you write very fast" text (content file), Swedish and English: it
    already says to wait and gives the emergency number."""
    from bot import content

    return (content.text("utter_gateway_rate_limited", "sv"),
            content.text("utter_gateway_rate_limited", "en"))


def too_many(retry_after: int) -> HTTPResponse:
    """429 with a Retry-After header and the text a person can read, Swedish first."""
    sv, en = rate_limited_texts()
    return response.json(
        {"error": "för många meddelanden / too many messages", "sv": sv, "en": en,
         "retry_after_seconds": retry_after},
        status=429, headers={"Retry-After": str(retry_after)},
        dumps=partial(json.dumps, ensure_ascii=False),
    )


class ChannelGuard:
    """Flood limits and validation in front of one channel's POST /webhook.

    The address is checked first (every request counts, even a malformed one), the
    conversation only once the body names a usable sender.
    """

    def __init__(self, limiter: SharedRateLimiter, limit_loopback: bool = True) -> None:
        self.limiter = limiter
        # False for the callback channel: its caller on this machine is the gateway, which
        # limits per real client itself (Rasa only sees the gateway's own address)
        self.limit_loopback = limit_loopback

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, limit_loopback: bool = True,
                 scope: str = "rest") -> ChannelGuard:
        """The channel's limits; in Redis (REDIS_URL) under `scope`, one per channel."""
        s = load(env)
        limiter = SharedRateLimiter(
            parse_rate(s.rest_rate_per_conversation or None, DEFAULT_PER_CONVERSATION),
            parse_rate(s.rest_rate_per_address or None, DEFAULT_PER_ADDRESS),
            scope=scope, secret=s.action_server_token or s.rasa_token,
            redis_url=s.redis_url, prefix=s.redis_prefix,
        )
        return cls(limiter, limit_loopback)

    async def check(self, request: Request) -> HTTPResponse | None:
        address = client_address(request.ip, request.headers)
        if (self.limit_loopback or not is_loopback(address)) and \
                not await self.limiter.allow_address(address):
            return too_many(self.limiter.addresses.retry_after_seconds)
        error = validation_error(request)
        if error is not None:
            return error
        sender = request.json.get("sender") or DEFAULT_SENDER
        if not await self.limiter.allow_conversation(sender):
            return too_many(self.limiter.conversations.retry_after_seconds)
        return None


def _keyed(value: str, env: Mapping[str, str] | None = None) -> str:
    """HMAC of `value` with the key every Rasa instance shares (from ACTION_SERVER_TOKEN)."""
    s = load(env)
    secret = (s.action_server_token or s.rasa_token).encode()
    return hmac.new(secret, value.encode("utf-8", "surrogatepass"),
                    hashlib.sha256).hexdigest()[:32]


def client_key(address: str | None, env: Mapping[str, str] | None = None) -> str:
    """The stable key of a client address (kept in memory only, see the module docstring)."""
    return "a-" + _keyed(f"client:{address or '?'}", env)


def daily_client(client: str, now: dt.datetime, env: Mapping[str, str] | None = None) -> str:
    """The pseudonym stored with the client's messages: a new value every UTC day."""
    day = now.astimezone(dt.timezone.utc).date().isoformat()
    return "c-" + _keyed(f"day:{day}:{client}", env)


def window_id(client: str, env: Mapping[str, str] | None = None) -> str:
    """What Redis counts the client's cases by (bot/client_window.py); never stored."""
    return _keyed(f"window:{client}", env)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def gateway_callback_token(env: Mapping[str, str] | None = None) -> str:
    """The secret shared by the gateway and Rasa's channels ("" when not configured)."""
    return load(env).gateway_callback_token


def rest_gateway_only(env: Mapping[str, str] | None = None) -> bool:
    """RASA_REST_GATEWAY_ONLY=1: the REST channel, too, takes posts only from the gateway."""
    return load(env).rasa_rest_gateway_only


def from_gateway(request: Request) -> bool:
    """The request carries the gateway's shared secret (GATEWAY_CALLBACK_TOKEN)."""
    token = gateway_callback_token()
    given = request.headers.get(CLIENT_HEADER) or ""
    return bool(token) and hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                                               token.encode())


def offered_payloads(events: list[Any]) -> set[str]:
    """Button payloads of the bot's messages since the user's last message."""
    offered: set[str] = set()
    for event in reversed(events):
        name = getattr(event, "type_name", None)
        if name == "user":
            break
        if name == "bot":
            for button in (getattr(event, "data", None) or {}).get("buttons") or []:
                if isinstance(button, dict) and isinstance(button.get("payload"), str):
                    offered.add(button["payload"].strip())
    return offered


async def gate_payload(request: Request, body: dict[str, Any]) -> None:
    """Turn a "/intent" message the bot did not offer into plain text (NLU decides)."""
    message = body.get("message")
    if not isinstance(message, str) or not message.lstrip().startswith("/"):
        return
    payload = message.strip()
    if payload in ALWAYS_ALLOWED_PAYLOADS:
        return
    sender = body.get("sender") or DEFAULT_SENDER
    offered: set[str] = set()
    agent = getattr(request.app.ctx, "agent", None)
    store = getattr(agent, "tracker_store", None)
    if store is not None:
        try:
            tracker = await store.retrieve(sender)
            offered = offered_payloads(list(tracker.events)) if tracker is not None else set()
        except Exception as exc:  # no tracker: nothing was offered
            log.warning("payload check: tracker unavailable (%r)", exc)
    if payload not in offered:
        body["message"] = message.lstrip().lstrip("/")


def forbidden() -> HTTPResponse:
    return response.json({"error": "forbidden: this webhook takes messages only from the "
                                   "gateway (X-Gateway-Callback-Token)"}, status=403)


class GuardedChannel:
    """Mixin for a Rasa channel built on RestInput: its /webhook gets the gateway-only wall
    (if the channel has one), a ChannelGuard, the payload check, and the client key in the
    message metadata."""

    limit_loopback_addresses = True
    trusts_gateway_client = False  # the callback channel: the gateway names its client
    clock: Callable[[], dt.datetime] = staticmethod(utc_now)  # tests move it past midnight
    _case_window: ClientCaseWindow | None = None

    def gateway_only(self) -> bool:
        """Whether a POST to /webhook needs the gateway's secret."""
        return False

    def client_of(self, request: Request) -> str:
        """The stable key of the request's client (see the module docstring)."""
        body = request.json if isinstance(request.json, dict) else {}
        given = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        client = given.get("client")
        if not (self.trusts_gateway_client and from_gateway(request)
                and isinstance(client, str) and 0 < len(client) <= MAX_CLIENT_CHARS):
            client = client_key(client_address(request.ip, request.headers))
        return client

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """What Rasa stores with the message: only the daily pseudonym (the one computed
        for this request by the webhook's guard, so both agree at midnight)."""
        return _REQUEST_METADATA.get() or {
            "client": daily_client(self.client_of(request), self.clock())}

    @property
    def case_window(self) -> ClientCaseWindow:
        if self._case_window is None:
            settings = load()
            self._case_window = ClientCaseWindow(settings.redis_url, settings.redis_prefix)
        return self._case_window

    async def name_client(self, request: Request) -> dict[str, Any]:
        """The message's metadata; the daily pseudonym linked to the client in Redis, and
        the language chosen on the page if one was (read by the NLU's LanguageDetector)."""
        client = self.client_of(request)
        daily = daily_client(client, self.clock())
        await self.case_window.link(daily, window_id(client))
        metadata: dict[str, Any] = {"client": daily}
        body = request.json if isinstance(request.json, dict) else {}
        given = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        if given.get("language") in LANGUAGES:
            metadata["language"] = given["language"]
        # the page's id of a web chat message, from the gateway only: a reloaded page and a
        # repeated send find the message by it in the tracker (bot/gateway/message_ids.py)
        message_id = protocol.web_message_id(given.get(protocol.WEB_MESSAGE_ID_KEY))
        if message_id and self.trusts_gateway_client and from_gateway(request):
            metadata[protocol.WEB_MESSAGE_ID_KEY] = message_id
        return metadata

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        async def with_metadata(message: UserMessage) -> Any:
            if message.metadata is None:
                message.metadata = _REQUEST_METADATA.get()
            return await on_new_message(message)

        blueprint: Blueprint = super().blueprint(with_metadata)  # type: ignore[misc]
        guard = ChannelGuard.from_env(limit_loopback=self.limit_loopback_addresses,
                                      scope=self.name())  # type: ignore[attr-defined]
        walled = self.gateway_only()
        channel = metrics.channel(self.name())  # type: ignore[attr-defined]
        if walled and not gateway_callback_token():
            log.warning("GATEWAY_CALLBACK_TOKEN is not set: /webhooks/%s/webhook refuses "
                        "every post (only the gateway, with that secret, may post there)",
                        self.name())  # type: ignore[attr-defined]

        @blueprint.middleware("request")
        async def guard_webhook(request: Request) -> HTTPResponse | None:
            # every POST of the blueprint: /webhook is its only POST route, and Sanic also
            # routes /webhook/ there (a path test let that spelling past every check)
            if request.method == "POST":
                # first: a stranger's post costs nothing and fills no user's rate bucket
                if walled and not from_gateway(request):
                    return forbidden()
                refused = await guard.check(request)
                if refused is not None:
                    if refused.status == 429:
                        metrics.REFUSED.labels(channel).inc()
                    return refused
                request.ctx.metrics_started = time.perf_counter()
                metrics.MESSAGES.labels(channel).inc()
                await gate_payload(request, request.json)
                _REQUEST_METADATA.set(await self.name_client(request))
            return None

        @blueprint.middleware("response")
        async def time_webhook(request: Request, response: HTTPResponse) -> None:
            started = getattr(request.ctx, "metrics_started", None)
            if started is not None:  # a message the guard let through: NLU, dialogue, actions
                metrics.LATENCY.labels(channel).observe(time.perf_counter() - started)

        return blueprint


class ValidatedRestInput(GuardedChannel, RestInput):
    """The REST channel, same URL, with malformed requests rejected as 4xx and floods 429."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def _extract_input_channel(self, req: Request) -> str:
        """Always "rest": a body's `input_channel` would make Rasa send this conversation's
        coach messages to another channel (and name statistics rows)."""
        return self.name()

    def gateway_only(self) -> bool:
        return rest_gateway_only()
