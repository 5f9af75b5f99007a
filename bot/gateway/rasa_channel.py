"""Rasa's callback channel, with the coach flag kept (loaded by Rasa, not by the gateway).

Rasa's stock CallbackOutput builds each posted message from text/buttons/image only, so a
coach message (a BotUttered with metadata {"coach": true}, appended by the escalation
service) reaches the gateway looking like any bot message. This subclass keeps the same
name ("callback"), URL (/webhooks/callback/webhook) and credentials (`url`, `headers`
etc.), adds `"coach": true` to the posted JSON, so the page can label coach messages and
SMS can prefix them, and `"handoff": "coach_left"` to the service's goodbye when a coach's
part ends, and sends GATEWAY_CALLBACK_TOKEN in the X-Gateway-Callback-Token
header on every post (the gateway refuses posts without it). Enable in credentials.yml as
`bot.gateway.rasa_channel.GatewayCallbackInput:` in place of `callback:`.

Its /webhook takes messages only from the gateway: a POST without GATEWAY_CALLBACK_TOKEN in
the X-Gateway-Callback-Token header gets a 403 before anything else (no NLU, nothing in the
tracker), and with no secret configured every post is refused. It also has the REST
channel's validation (4xx, not Rasa's 500, for a malformed body) and flood limits
(bot.channels.rest.GuardedChannel): per conversation always, per address only for callers
that are not on this machine. The gateway, its legitimate caller, runs on this machine and
already limits per conversation and per real client address; Rasa only sees the gateway's
own address, so limiting that would throttle every web and SMS user together. A request
that reaches this channel from elsewhere (through nginx, which passes the client's address)
is limited per address like the REST channel.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.callback import CallbackInput, CallbackOutput
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.utils.endpoints import EndpointConfig
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.rest import GuardedChannel, from_gateway, gateway_callback_token
from bot.escalation.rasa_client import COACH_LEFT, HANDOFF_KEY
from bot.gateway.settings import CALLBACK_HEADER

log = logging.getLogger(__name__)
TRANSCRIPT_PREFIX = "web-"  # = bot.gateway.vault.WEB_PREFIX: only web chats are rebuilt


class GatewayCallbackOutput(CallbackOutput):
    """CallbackOutput that forwards the `coach` metadata flag and the coach message's id
    (the gateway reports a failed SMS by it), and does not hide a coach
    message the gateway refused: Rasa's CallbackOutput only logs a 4xx/5xx, so the tracker
    kept the message and the escalation service told the coach it was sent. Raising makes
    Rasa's tracker API fail (nothing stored) and the coach sees that it was not delivered."""

    async def _persist_message(self, message: dict[str, Any]) -> None:
        if not message.get("coach"):
            await super()._persist_message(message)
            return
        self.messages.append(message)
        await self.callback_endpoint.request("post", content_type="application/json",
                                             json=message)  # raises on 4xx/5xx

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        if kwargs.get(HANDOFF_KEY) == COACH_LEFT:  # one message: the page shows it as one line
            message = self._message(recipient_id, text=text.strip())
            message[HANDOFF_KEY] = COACH_LEFT
            await self._persist_message(message)
            return
        for part in text.strip().split("\n\n"):
            message = self._message(recipient_id, text=part)
            await self._persist_message({**message, **_coach_fields(kwargs)})

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        message = self._message(recipient_id, text=text, buttons=buttons)
        await self._persist_message({**message, **_coach_fields(kwargs)})


def _coach_fields(metadata: dict[str, Any]) -> dict[str, Any]:
    """The coach flag and the escalation service's message id (for delivery reports)."""
    if not metadata.get("coach"):
        return {}
    message_id = metadata.get("message_id")
    return {"coach": True, **({"message_id": message_id} if isinstance(message_id, str) else {})}


class GatewayCallbackInput(GuardedChannel, CallbackInput):
    """The callback channel whose output keeps the coach flag, with validation and limits."""

    limit_loopback_addresses = False
    trusts_gateway_client = True

    def gateway_only(self) -> bool:
        return True

    @classmethod
    def name(cls) -> str:
        return "callback"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Rasa's EndpointConfig, plus the gateway's shared secret as a header: from
        credentials.yml's `headers` if given there, else from GATEWAY_CALLBACK_TOKEN (so a
        credentials file needs no secret, and Rasa starts without one; the gateway then
        refuses every callback)."""
        config = dict(credentials or {})
        headers = dict(config.get("headers") or {})
        token = gateway_callback_token()
        if CALLBACK_HEADER not in headers and token:
            headers[CALLBACK_HEADER] = token
        if CALLBACK_HEADER not in headers:
            log.warning("GATEWAY_CALLBACK_TOKEN is not set: the gateway will refuse callbacks")
        config["headers"] = headers
        return cls(EndpointConfig.from_dict(config))

    def get_output_channel(self) -> OutputChannel:
        return GatewayCallbackOutput(self.callback_endpoint)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The callback webhook, plus GET /transcript for the gateway."""
        blueprint = super().blueprint(on_new_message)

        @blueprint.route("/transcript", methods=["GET"])
        async def transcript(request: Request) -> HTTPResponse:
            """What the web chat shows after a reload: the user and bot events of one web
            conversation. Needs the gateway's secret (GATEWAY_CALLBACK_TOKEN), so the
            gateway needs no RASA_TOKEN, which could also replace the model or rewrite any
            conversation through Rasa's HTTP API."""
            if not from_gateway(request):
                return response.json({"error": "forbidden"}, status=403)
            sender = request.args.get("sender", "")
            if not sender.startswith(TRANSCRIPT_PREFIX) or len(sender) > 128:
                return response.json({"error": "sender must be a web conversation"},
                                     status=400)
            store = request.app.ctx.agent.tracker_store
            tracker = await store.retrieve_full_tracker(sender)
            events = [] if tracker is None else [
                event.as_dict() for event in tracker.events if event.type_name in ("user", "bot")]
            return response.json({"sender_id": sender, "events": events})

        return blueprint
