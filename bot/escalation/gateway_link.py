"""The escalation service's one call to the web gateway: "the coach is typing".

Best effort by design: a typing dot that does not arrive costs nothing, so failures are
logged at debug level and never reach the coach. Authenticated with GATEWAY_CALLBACK_TOKEN,
the secret the gateway already shares with Rasa's callback channel.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from bot.gateway.settings import CALLBACK_HEADER

log = logging.getLogger(__name__)
TYPING_PATH = "/escalation/typing"


class GatewayLink:
    def __init__(self, base_url: str, token: str, timeout_seconds: float = 3.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def typing(self, conversation_id: str, on: bool) -> bool:
        """Tell the young person's open chat pages that the coach is (not) typing."""
        if not self.token:
            return False
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(
                self.base_url + TYPING_PATH, json={"recipient_id": conversation_id, "on": on},
                headers={CALLBACK_HEADER: self.token},
            ) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.debug("typing not sent to the gateway: %r", exc)
            return False
