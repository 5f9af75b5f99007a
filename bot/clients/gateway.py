"""The escalation service's one call to the web gateway: "the coach is typing".

Best effort by design: a typing dot that does not arrive costs nothing, so failures are
logged at debug level and never reach the coach. Authenticated with GATEWAY_CALLBACK_TOKEN,
the secret the gateway already shares with Rasa's callback channel.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from bot.clients.http import HttpClient
from bot.protocol import CALLBACK_HEADER

log = logging.getLogger(__name__)
TYPING_PATH = "/escalation/typing"


class GatewayLink(HttpClient):
    def __init__(self, base_url: str, token: str, timeout_seconds: float = 3.0) -> None:
        super().__init__(timeout_seconds)
        self.base_url = base_url.rstrip("/")
        self.token = token

    async def typing(self, conversation_id: str, on: bool) -> bool:
        """Tell the young person's open chat pages that the coach is (not) typing."""
        if not self.token:
            return False
        try:
            async with self.session().post(
                self.base_url + TYPING_PATH, json={"recipient_id": conversation_id, "on": on},
                headers={CALLBACK_HEADER: self.token},
            ) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.debug("typing not sent to the gateway: %r", exc)
            return False
