"""A Sanic app on a free loopback port in the test's event loop (no Rasa needed: the action
server's tests run it on the service runtime; tests/sanic_channels.py mounts Rasa's channels
on it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sanic import Sanic

from tests.conftest import free_port


@asynccontextmanager
async def serve_sanic(app: Sanic) -> AsyncIterator[str]:
    """A Sanic app on 127.0.0.1:<free port> in this event loop, its listeners run; the URL."""
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                     access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
