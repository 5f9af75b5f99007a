"""Rasa's REST channel with request validation in front of it.

Rasa's own RestInput answers a JSON array or an empty body with a 500 (it calls `.get` on
whatever JSON it received). This subclass keeps the same URL (/webhooks/rest/webhook) and
behaviour, but rejects malformed requests with a clear 4xx before Rasa sees them.
Enabled in credentials.yml as `bot.channels.rest.ValidatedRestInput`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

MAX_MESSAGE_CHARS = 20_000
MAX_SENDER_CHARS = 128


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
    return None


class ValidatedRestInput(RestInput):
    """The REST channel, same URL, with malformed requests rejected as 4xx."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        blueprint = super().blueprint(on_new_message)

        @blueprint.middleware("request")
        async def validate(request: Request) -> HTTPResponse | None:
            if request.method == "POST" and request.path.endswith("/webhook"):
                return validation_error(request)
            return None

        return blueprint
