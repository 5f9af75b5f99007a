"""Gateway test fixtures: the real gateway app on loopback between FakeRasa and the
simulated SMS providers (tests/gateway/helpers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway import keys
from bot.gateway.app import create_app
from bot.gateway.settings import ElksSettings, GatewaySettings, TwilioSettings
from bot.protocol import CALLBACK_HEADER
from tests.gateway.helpers import (
    ELKS_PASSWORD,
    ELKS_SECRET,
    ELKS_USER,
    TWILIO_SID,
    TWILIO_TOKEN,
    FakeProviders,
    FakeRasa,
)


@dataclass
class GatewayEnv:
    client: TestClient
    rasa: FakeRasa
    providers: FakeProviders
    settings: GatewaySettings
    vault_path: Path

    def url(self, path: str) -> str:
        return str(self.client.make_url(path))

    @property
    def app(self) -> Any:
        return self.client.server.app


def base_settings(rasa_url: str, providers_url: str, vault_path: Path) -> GatewaySettings:
    return GatewaySettings(
        rasa_url=rasa_url, secret="test-gateway-secret",
        callback_token="test-callback-token",
        vault_url=f"sqlite:///{vault_path}", rasa_timeout_seconds=5,
        twilio=TwilioSettings(TWILIO_SID, TWILIO_TOKEN, "", providers_url),
        elks=ElksSettings(ELKS_USER, ELKS_PASSWORD, ELKS_SECRET, "", f"{providers_url}/a1"),
    )


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def gw(tmp_path: Path, settings_overrides: dict[str, Any]) -> AsyncIterator[GatewayEnv]:
    rasa, providers = FakeRasa(), FakeProviders()
    rasa_server = TestServer(rasa.make_app(), host="127.0.0.1")
    prov_server = TestServer(providers.make_app(), host="127.0.0.1")
    await rasa_server.start_server()
    await prov_server.start_server()
    vault_path = tmp_path / "vault.db"
    settings = replace(base_settings(str(rasa_server.make_url("")).rstrip("/"),
                                     str(prov_server.make_url("")).rstrip("/"), vault_path),
                       **settings_overrides)
    client = TestClient(TestServer(create_app(settings), host="127.0.0.1"))
    await client.start_server()
    rasa.callback_url = str(client.make_url("/rasa/callback"))
    if settings.callback_token:
        rasa.callback_headers = {CALLBACK_HEADER: settings.callback_token}
    try:
        yield GatewayEnv(client, rasa, providers, settings, vault_path)
    finally:
        await client.server.app[keys.SMS].drain()
        await client.close()
        await rasa_server.close()
        await prov_server.close()
