"""The gateway's two uses of Rasa: send a user message on the callback channel, and read a
web conversation's events to rebuild its transcript after a reload. Both go to the callback
channel with GATEWAY_CALLBACK_TOKEN; the gateway holds no RASA_TOKEN (the HTTP API token
could replace the model and rewrite any conversation)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.gateway.settings import CALLBACK_HEADER
from bot.language import LANGUAGES


class RasaUnavailable(Exception):
    """Rasa did not accept the message (down, timeout or error status)."""


class RasaGateway:
    def __init__(self, base_url: str, callback_token: str,
                 timeout_seconds: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        # sent with every request: Rasa's callback channel then takes the gateway's client key
        # and answers /transcript
        self.callback_token = callback_token
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=100, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(timeout=self.timeout, connector=connector)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("RasaGateway.start() was not awaited")
        return self._session

    async def send(self, sender_id: str, text: str, client: str | None = None,
                   language: str | None = None) -> None:
        """POST to Rasa's callback channel; returns once Rasa has handled the message (every
        reply has then been POSTed to the gateway's callback URL). `client` names the real
        client (a keyed hash): Rasa's channel stores only a daily pseudonym of it and links
        that to the client in Redis for the limits on coach cases per client. `language` is
        the one chosen on the page: the assistant answers this very message in it."""
        body: dict[str, Any] = {"sender": sender_id, "message": text}
        # the callback webhook refuses every post without the secret (403)
        headers = {CALLBACK_HEADER: self.callback_token} if self.callback_token else {}
        metadata: dict[str, str] = {}
        if client and self.callback_token:
            metadata["client"] = client
        if language in LANGUAGES:
            metadata["language"] = language
        if metadata:
            body["metadata"] = metadata
        try:
            async with self.session.post(
                f"{self.base_url}/webhooks/callback/webhook", json=body, headers=headers,
            ) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RasaUnavailable(f"Rasa answered {resp.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RasaUnavailable(repr(exc)) from exc

    async def events(self, sender_id: str) -> list[dict[str, Any]]:
        """The web conversation's user and bot events (the callback channel's /transcript)."""
        url = f"{self.base_url}/webhooks/callback/transcript"
        try:
            async with self.session.get(url, params={"sender": sender_id}, headers={
                    CALLBACK_HEADER: self.callback_token}) as resp:
                if resp.status != 200:
                    raise RasaUnavailable(f"Rasa tracker answered {resp.status}")
                data = await resp.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(repr(exc)) from exc
        events = data.get("events") if isinstance(data, dict) else None
        return [e for e in events or [] if isinstance(e, dict)]
