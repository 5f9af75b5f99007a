"""Rasa's REST channel with request validation and flood limits in front of it.

Rasa's own RestInput answers a JSON array or an empty body with a 500 (it calls `.get` on
whatever JSON it received), and takes any number of messages from anyone. This subclass
keeps the same URL (/webhooks/rest/webhook) and behaviour, but rejects malformed requests
with a clear 4xx before Rasa sees them, and answers floods with a 429 (per conversation and
per client address; the address is only used as a rotating in-memory HMAC, see
bot/ratelimit.py). Enabled in credentials.yml as `bot.channels.rest.ValidatedRestInput`.

Limits come from the environment as "COUNT/SECONDS": REST_RATE_PER_CONVERSATION (default
20/60, a fast typist) and REST_RATE_PER_ADDRESS (default 120/60, a few people behind one
address). Each Rasa process keeps its own buckets, so N instances behind nginx allow up to N
times the limit per address.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache, partial
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.ratelimit import RateLimiter, client_address, is_loopback, parse_rate

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
    from bot.gateway import texts

    return (texts.text("utter_gateway_rate_limited", "sv"),
            texts.text("utter_gateway_rate_limited", "en"))


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

    def __init__(self, limiter: RateLimiter, limit_loopback: bool = True) -> None:
        self.limiter = limiter
        # False for the callback channel: its caller on this machine is the gateway, which
        # limits per real client itself (Rasa only sees the gateway's own address)
        self.limit_loopback = limit_loopback

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None,
                 limit_loopback: bool = True) -> ChannelGuard:
        env = os.environ if env is None else env
        limiter = RateLimiter(
            parse_rate(env.get("REST_RATE_PER_CONVERSATION"), DEFAULT_PER_CONVERSATION),
            parse_rate(env.get("REST_RATE_PER_ADDRESS"), DEFAULT_PER_ADDRESS),
        )
        return cls(limiter, limit_loopback)

    def check(self, request: Request) -> HTTPResponse | None:
        address = client_address(request.ip, request.headers)
        if (self.limit_loopback or not is_loopback(address)) and \
                not self.limiter.allow_address(address):
            return too_many(self.limiter.addresses.retry_after_seconds)
        error = validation_error(request)
        if error is not None:
            return error
        sender = request.json.get("sender") or DEFAULT_SENDER
        if not self.limiter.allow_conversation(sender):
            return too_many(self.limiter.conversations.retry_after_seconds)
        return None


class GuardedChannel:
    """Mixin for a Rasa channel built on RestInput: its /webhook gets a ChannelGuard."""

    limit_loopback_addresses = True

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        blueprint: Blueprint = super().blueprint(on_new_message)  # type: ignore[misc]
        guard = ChannelGuard.from_env(limit_loopback=self.limit_loopback_addresses)

        @blueprint.middleware("request")
        async def guard_webhook(request: Request) -> HTTPResponse | None:
            if request.method == "POST" and request.path.endswith("/webhook"):
                return guard.check(request)
            return None

        return blueprint


class ValidatedRestInput(GuardedChannel, RestInput):
    """The REST channel, same URL, with malformed requests rejected as 4xx and floods 429."""

    @classmethod
    def name(cls) -> str:
        return "rest"
