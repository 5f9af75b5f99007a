"""Rasa event broker that relays user messages to the escalation service.

Configured in endpoints.yml as `event_broker: type: bot.relay_broker.EscalationRelayBroker`.
Rasa publishes every tracker event here after saving it. For user messages this broker:

- forwards the text to the escalation service (POST /internal/conversations/{id}/messages),
  which stores it on the conversation's open case and pushes it live to the coach (a 404
  simply means there is no open case);
- when the message is a crisis or an emergency and the conversation is paused (a coach is
  talking, or the bot waits for one), asks Rasa's own HTTP API to send the safety answer at
  once (POST /conversations/{id}/execute), because a paused Rasa predicts nothing.

Posts run in one background worker per process, so messages reach the coach in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any
from urllib.parse import quote

import aiohttp
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

log = logging.getLogger(__name__)

SAFETY_ANSWERS = {"crisis_suicidal": "utter_crisis", "emergency_danger": "utter_emergency"}


class EscalationRelayBroker(EventBroker):
    """Forwards user events to the escalation service; safety answers while paused."""

    def __init__(self, escalation_url: str, internal_token: str, rasa_url: str,
                 rasa_token: str, timeout: float = 5.0) -> None:
        self.escalation_url = escalation_url.rstrip("/")
        self.internal_token = internal_token
        self.rasa_url = rasa_url.rstrip("/")
        self.rasa_token = rasa_token
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: asyncio.AbstractEventLoop | None = None
    ) -> EscalationRelayBroker:
        kwargs = broker_config.kwargs if broker_config else {}
        env = os.environ
        rasa_url = kwargs.get("rasa_url") or env.get("RASA_URL") or (
            f"http://{env.get('RASA_HOST', '127.0.0.1')}:{env.get('RASA_PORT', '5005')}"
        )
        return cls(
            escalation_url=(broker_config.url if broker_config and broker_config.url else None)
            or env.get("ESCALATION_URL", "http://127.0.0.1:8080"),
            internal_token=env.get("ESCALATION_INTERNAL_TOKEN", "change-me-internal-token"),
            rasa_url=rasa_url,
            rasa_token=env.get("RASA_TOKEN", "change-me-rasa-token"),
        )

    def publish(self, event: dict[str, Any]) -> None:
        if event.get("event") != "user" or not event.get("sender_id"):
            return
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_event_loop().create_task(self._run())
        self._queue.put_nowait(event)

    def is_ready(self) -> bool:
        return True

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            event = await self._queue.get()
            try:
                await self._relay(event)
            except Exception:  # never let one failure stop the relay
                log.exception("relaying a user message failed")

    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def _relay(self, event: dict[str, Any]) -> None:
        sender = str(event["sender_id"])
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent in SAFETY_ANSWERS and await self._is_paused(sender):
            await self._execute(sender, SAFETY_ANSWERS[intent])
        session = await self._http()
        url = f"{self.escalation_url}/internal/conversations/{quote(sender, safe='')}/messages"
        try:
            async with session.post(
                url,
                json={"text": event.get("text") or "", "intent": intent,
                      "timestamp": event.get("timestamp")},
                headers={"Authorization": f"Bearer {self.internal_token}"},
            ) as resp:
                if resp.status not in (202, 404):
                    log.warning("escalation service answered %s for a user message", resp.status)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            # the message stays in the tracker: the coach sees it in the transcript
            log.warning("escalation service unreachable: %s", exc)

    async def _is_paused(self, sender: str) -> bool:
        session = await self._http()
        url = f"{self.rasa_url}/conversations/{quote(sender, safe='')}/tracker"
        try:
            async with session.get(url, params={"token": self.rasa_token,
                                                "include_events": "NONE"}) as resp:
                return resp.status == 200 and bool((await resp.json()).get("paused"))
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return True  # unsure: sending the safety answer once more is the safe mistake

    async def _execute(self, sender: str, action: str) -> None:
        session = await self._http()
        url = f"{self.rasa_url}/conversations/{quote(sender, safe='')}/execute"
        try:
            async with session.post(url, params={"token": self.rasa_token,
                                                 "output_channel": "latest"},
                                    json={"name": action}) as resp:
                if resp.status != 200:
                    log.error("safety answer %s not sent: %s", action, resp.status)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.error("safety answer %s not sent: %s", action, exc)
