"""Development secrets: the first run writes random secrets into .env (never the published
placeholders), and the gateway holds no Rasa API token: it reads web transcripts from the
callback channel with its own secret (Rasa's real channel blueprint on a Sanic server)."""

from __future__ import annotations

import dataclasses
import os
import stat
import subprocess
from pathlib import Path

import aiohttp
import pytest
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.envfile import write_dev_env
from bot.gateway.settings import GatewaySettings
from bot.protocol import CALLBACK_HEADER
from bot.rasa_plugins.channels.callback import GatewayCallbackInput
from bot.settings import SERVICE_SECRETS, secret_problems
from tests.sanic_channels import serve_channels
from tests.security.conftest import tried

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAMES = (*SERVICE_SECRETS, "GATEWAY_SECRET", "GATEWAY_FERNET_KEY")


def _values(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines()
             if "=" in line and not line.lstrip().startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def test_first_run_writes_random_secrets(tmp_path: Path) -> None:
    first, second = tmp_path / "a.env", tmp_path / "b.env"
    assert write_dev_env(ROOT / ".env.example", first)
    assert write_dev_env(ROOT / ".env.example", second)
    a, b = _values(first), _values(second)
    secrets_a = {name: a.get(name, "") for name in SECRET_NAMES}
    tried("write .env twice from .env.example", {k: v[:6] + "…" for k, v in secrets_a.items()})
    assert not any("change-me" in value for value in a.values())
    assert not secret_problems(secrets_a)  # what APP_ENV=production would accept
    assert all(a[name] != b[name] for name in SECRET_NAMES)  # random, not a fixed default
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    before = first.read_text()
    assert not write_dev_env(ROOT / ".env.example", first)  # never overwritten
    assert first.read_text() == before


def test_dev_script_no_longer_copies_the_example() -> None:
    script = (ROOT / "dev").read_text()
    assert "cp .env.example .env" not in script and "bot.envfile" in script


def test_the_gateway_has_no_rasa_api_token() -> None:
    fields = {f.name for f in dataclasses.fields(GatewaySettings)}
    settings = GatewaySettings.from_env({"RASA_TOKEN": "the-full-rasa-api-token-xyz"})
    tried("GatewaySettings.from_env with RASA_TOKEN set", sorted(fields & {"rasa_token"}))
    assert "rasa_token" not in fields
    assert "the-full-rasa-api-token-xyz" not in repr(settings)


@pytest.fixture
def gateway_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    token = "gateway-callback-secret-for-tests"
    monkeypatch.setenv("GATEWAY_CALLBACK_TOKEN", token)
    return token


async def test_transcript_route_needs_the_gateway_secret(gateway_secret: str) -> None:
    channel = GatewayCallbackInput(EndpointConfig("http://127.0.0.1:9/none"))
    async with serve_channels([channel]) as served, aiohttp.ClientSession() as http:
        store = InMemoryTrackerStore(Domain.empty())
        served.app.ctx.agent.tracker_store = store
        tracker = DialogueStateTracker("web-abc", slots=[])
        tracker.update(UserUttered("hej", {"name": "greet"}))
        tracker.update(BotUttered("Hej! Vad vill du prata om?"))
        await store.save(tracker)
        url = served.url + "/webhooks/callback/transcript"
        cases = [("no secret", {"sender": "web-abc"}, {}, 403),
                 ("wrong secret", {"sender": "web-abc"}, {CALLBACK_HEADER: "nope"}, 403),
                 ("Rasa API token style", {"sender": "web-abc", "token": gateway_secret}, {},
                  403),
                 ("an SMS conversation", {"sender": "sms-abc"},
                  {CALLBACK_HEADER: gateway_secret}, 400),
                 ("the web conversation", {"sender": "web-abc"},
                  {CALLBACK_HEADER: gateway_secret}, 200)]
        for what, params, headers, expected in cases:
            async with http.get(url, params=params, headers=headers) as resp:
                tried(f"GET /webhooks/callback/transcript, {what}", resp.status)
                assert resp.status == expected
                if expected == 200:
                    events = (await resp.json())["events"]
                    assert [e["text"] for e in events] == ["hej", "Hej! Vad vill du prata om?"]


def test_gateway_process_starts_without_rasa_token(tmp_path: Path) -> None:
    """`python -m bot gateway` in production needs no RASA_TOKEN (it has none to check)."""
    env = {k: v for k, v in os.environ.items() if k != "RASA_TOKEN"}
    env.update({"APP_ENV": "production", "GATEWAY_CALLBACK_TOKEN": "c" * 40,
                "GATEWAY_SECRET": "g" * 40, "GATEWAY_PORT": "0",
                "GATEWAY_FERNET_KEY": "ZmVybmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY=",
                "GATEWAY_VAULT_URL": f"sqlite:///{tmp_path}/vault.db"})
    proc = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "bot", "gateway"], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        out, err = proc.communicate(timeout=8)
    except subprocess.TimeoutExpired:  # still serving: it started
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    tried("APP_ENV=production gateway without RASA_TOKEN", "started" if "web chat" in out
          else err[-200:])
    assert "web chat" in out and "RASA_TOKEN" not in err
