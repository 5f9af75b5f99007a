"""The aiohttp session every client in bot/clients holds: opened on first use, one per client."""

from __future__ import annotations

import aiohttp


class HttpClient:
    """A lazily opened aiohttp session with the client's timeout; close it on shutdown."""

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
