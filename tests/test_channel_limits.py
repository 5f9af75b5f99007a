"""Flood limits of Rasa's REST and callback channels (bot/rasa_plugins/channels/rest.py), over
real HTTP.

The channels' real blueprints run on a real Sanic server, mounted by Rasa's own `register`
(tests/sanic_channels.py); the real `rasa run` server is covered in test_rest_channel.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import aiohttp
import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.protocol import CALLBACK_HEADER
from bot.rasa_plugins.channels.callback import GatewayCallbackInput
from bot.rasa_plugins.channels.rest import ValidatedRestInput
from bot.ratelimit import client_address
from tests.sanic_channels import serve_channels

REST = "/webhooks/rest/webhook"
CALLBACK = "/webhooks/callback/webhook"
SECRET = "gateway-callback-secret-for-the-limit-tests"
GATEWAY = {CALLBACK_HEADER: SECRET}  # only the gateway posts on the callback channel


async def post(http: aiohttp.ClientSession, url: str, body: Any,
               headers: dict[str, str] | None = None) -> tuple[int, Any, aiohttp.ClientResponse]:
    kwargs: dict[str, Any] = {"data": body} if isinstance(body, bytes) else {"json": body}
    async with http.post(url, headers=headers or {}, **kwargs) as resp:
        try:
            data = await resp.json(content_type=None)
        except ValueError:
            data = await resp.text()
        return resp.status, data, resp


async def test_rest_limits_each_conversation_and_says_so_in_both_languages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REST_RATE_PER_CONVERSATION", "3/60")
    monkeypatch.setenv("REST_RATE_PER_ADDRESS", "1000/60")
    async with serve_channels([ValidatedRestInput()]) as served, aiohttp.ClientSession() as http:
        statuses = [(await post(http, served.url + REST, {"sender": "a", "message": "hej"}))[0]
                    for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        status, body, resp = await post(http, served.url + REST,
                                        {"sender": "a", "message": "hej"})
        assert status == 429 and resp.headers["Retry-After"] == "20"  # 60 s / 3 messages
        assert body["sv"].startswith("Du skriver väldigt snabbt") and "112" in body["sv"]
        assert body["en"].startswith("You're writing very fast") and "112" in body["en"]
        assert list(body)[:3] == ["error", "sv", "en"]  # Swedish first
        # another conversation from the same address is not affected
        assert (await post(http, served.url + REST, {"sender": "b", "message": "hej"}))[0] == 200
    assert [m.sender_id for m in served.agent.received] == ["a", "a", "a", "b"]


async def test_rest_limits_each_address_behind_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REST_RATE_PER_CONVERSATION", "1000/60")
    monkeypatch.setenv("REST_RATE_PER_ADDRESS", "4/60")
    async with serve_channels([ValidatedRestInput()]) as served, aiohttp.ClientSession() as http:
        url = served.url + REST

        async def from_(headers: dict[str, str], n: int) -> list[int]:
            return [(await post(http, url, {"sender": f"s{i}", "message": "hej"}, headers))[0]
                    for i in range(n)]

        # nginx (loopback) appends the client's address: one bucket per client address
        assert await from_({"X-Forwarded-For": "203.0.113.5"}, 5) == [200] * 4 + [429]
        assert await from_({"X-Forwarded-For": "203.0.113.6"}, 1) == [200]
        # an address the client wrote in front of nginx's is not believed
        assert await from_({"X-Forwarded-For": "198.51.100.9, 203.0.113.5"}, 1) == [429]
        # junk counts too: a flood of malformed requests is throttled like messages
        statuses = [(await post(http, url, b"[]", {"X-Real-IP": "203.0.113.7"}))[0]
                    for _ in range(5)]
        assert statuses == [400] * 4 + [429]
        # the loopback address itself (no proxy header) has its own bucket
        assert await from_({}, 1) == [200]


def test_proxy_headers_count_only_from_loopback() -> None:
    headers = {"X-Forwarded-For": "203.0.113.5", "X-Real-IP": "203.0.113.6"}
    assert client_address("198.51.100.1", headers) == "198.51.100.1"  # a client's own header
    assert client_address("127.0.0.1", headers) == "203.0.113.5"
    assert client_address("::1", {"X-Real-IP": "203.0.113.6"}) == "203.0.113.6"
    assert client_address("127.0.0.1", {"X-Forwarded-For": " , "}) == "127.0.0.1"
    assert client_address(None, headers) is None


@pytest.fixture
def inbox() -> Iterator[tuple[str, list[bytes]]]:
    """Where the callback channel posts its answers (the gateway's place)."""
    got: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/rasa/callback", got
    server.shutdown()


async def test_callback_channel_limits_conversations_and_outside_addresses(
    monkeypatch: pytest.MonkeyPatch, inbox: tuple[str, list[bytes]],
) -> None:
    monkeypatch.setenv("REST_RATE_PER_CONVERSATION", "3/60")
    monkeypatch.setenv("REST_RATE_PER_ADDRESS", "2/60")
    monkeypatch.setenv("GATEWAY_CALLBACK_TOKEN", SECRET)
    channel = GatewayCallbackInput(EndpointConfig(inbox[0]))
    async with serve_channels([channel]) as served, aiohttp.ClientSession() as http:
        url = served.url + CALLBACK
        # the gateway on this machine: many users, one address, not limited per address
        assert [(await post(http, url, {"sender": f"g{i}", "message": "hej"}, GATEWAY))[0]
                for i in range(5)] == [200] * 5
        # but each conversation is
        assert [(await post(http, url, {"sender": "g0", "message": "hej"}, GATEWAY))[0]
                for _ in range(3)] == [200, 200, 429]
        # a post without the secret is refused before it counts against the conversation
        assert [(await post(http, url, {"sender": "g4", "message": "hej"}))[0]
                for _ in range(4)] == [403] * 4
        assert (await post(http, url, {"sender": "g4", "message": "hej"}, GATEWAY))[0] == 200
        # a caller with the secret from outside (through nginx) is limited per address
        outside = {"X-Forwarded-For": "203.0.113.9", **GATEWAY}
        assert [(await post(http, url, {"sender": f"o{i}", "message": "hej"}, outside))[0]
                for i in range(3)] == [200, 200, 429]
        # a malformed body is a 400, not Rasa's 500
        assert (await post(http, url, b"[]", GATEWAY))[0] == 400
    assert len(inbox[1]) == 5 + 2 + 1 + 2  # one answer per accepted message
