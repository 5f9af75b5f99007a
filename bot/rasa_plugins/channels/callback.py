"""Rasa's callback channel, with the coach flag kept (loaded by Rasa, not by the gateway).

Rasa's stock CallbackOutput builds each posted message from text/buttons/image only, so a
coach message (a BotUttered with metadata {"coach": true}, appended by the escalation
service) reaches the gateway looking like any bot message. This subclass keeps the same
name ("callback"), URL (/webhooks/callback/webhook) and credentials (`url`, `headers`
etc.), adds `"coach": true` to the posted JSON, so the page can label coach messages and
SMS can prefix them, and `"handoff": "ended"` (with its `reason`) to the service's goodbye
when a coach's part ends (as one message), and sends GATEWAY_CALLBACK_TOKEN in the
X-Gateway-Callback-Token
header on every post (the gateway refuses posts without it). Enable in credentials.yml as
`bot.rasa_plugins.channels.callback.GatewayCallbackInput:` in place of `callback:`.

Its /webhook takes messages only from the gateway: a POST without GATEWAY_CALLBACK_TOKEN in
the X-Gateway-Callback-Token header gets a 403 before anything else (no NLU, nothing in the
tracker), and with no secret configured every post is refused. It also has the REST
channel's validation (4xx, not Rasa's 500, for a malformed body) and flood limits
(bot.rasa_plugins.channels.rest.GuardedChannel): per conversation always, per address only for
callers
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
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import metrics
from bot.protocol import CALLBACK_HEADER, COACH_KEY, HANDOFF_KEY, MESSAGE_ID_KEY
from bot.rasa_plugins.channels.rest import GuardedChannel, from_gateway, gateway_callback_token

log = logging.getLogger(__name__)
TRANSCRIPT_PREFIX = "web-"  # = bot.gateway.vault.WEB_PREFIX: only web chats are rebuilt


class GatewayCallbackOutput(CallbackOutput):
    """CallbackOutput that forwards the protocol's metadata (the `coach` flag, the coach
    message's id, by which the gateway reports a failed SMS, and the hand-off event), and
    does not hide a coach
    message the gateway refused: Rasa's CallbackOutput only logs a 4xx/5xx, so the tracker
    kept the message and the escalation service told the coach it was sent. Raising makes
    Rasa's tracker API fail (nothing stored) and the coach sees that it was not delivered."""

    async def _persist_message(self, message: dict[str, Any]) -> None:
        coach = bool(message.get(COACH_KEY))
        self.messages.append(message)
        try:
            await self.callback_endpoint.request("post", content_type="application/json",
                                                 json=message)  # raises on 4xx/5xx
        except Exception as exc:  # counted (sluta_delivery_failures), then as Rasa does
            metrics.DELIVERY_FAILURES.labels(
                "callback", "coach_message" if coach else "bot_message").inc()
            if coach or not isinstance(exc, ClientResponseError):
                raise
            log.error("the gateway refused a bot message (status %s)", exc.status)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        # the goodbye that ends a coach's part is one message: the page shows it as one line
        parts = [text.strip()] if kwargs.get(HANDOFF_KEY) else text.strip().split("\n\n")
        for i, part in enumerate(parts):
            message = self._message(recipient_id, text=part)
            # a hand-off event belongs after the whole message: only on its last part
            _forward(message, kwargs, last=i == len(parts) - 1)
            await self._persist_message(message)

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        message = self._message(recipient_id, text=text, buttons=buttons)
        _forward(message, kwargs, last=True)
        await self._persist_message(message)


def _forward(message: dict[str, Any], metadata: dict[str, Any], last: bool) -> None:
    """Copy the protocol's metadata keys (bot.protocol) onto the posted message: the coach
    flag and the coach message's id on every part, a hand-off event on the last one."""
    if metadata.get(COACH_KEY):
        message[COACH_KEY] = True
        if isinstance(metadata.get(MESSAGE_ID_KEY), str):
            message[MESSAGE_ID_KEY] = metadata[MESSAGE_ID_KEY]
    if last and metadata.get(HANDOFF_KEY):
        message[HANDOFF_KEY] = metadata[HANDOFF_KEY]


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
