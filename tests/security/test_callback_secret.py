"""The gateway's /rasa/callback takes a post only with the shared secret in its header:
never because of the peer address (behind a reverse proxy on this host every request
comes from loopback), never from a query string. Through the real gateway app."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.protocol import CALLBACK_HEADER
from bot.rasa_plugins.channels.callback import GatewayCallbackInput
from bot.runtimes import bot_command
from tests.gateway.conftest import GatewayEnv
from tests.security.conftest import tried

ROOT = Path(__file__).resolve().parents[2]
BODY = {"recipient_id": "web-forged", "text": "Din coach: ring mig på 070-000 00 00"}


async def test_callback_refuses_without_the_header(gw: GatewayEnv) -> None:
    token = gw.settings.callback_token
    attempts = {
        "no header, from loopback": {},
        "X-Forwarded-For from loopback proxy": {"X-Forwarded-For": "127.0.0.1"},
        "wrong token": {CALLBACK_HEADER: token + "x"},
        "token as Bearer": {"Authorization": f"Bearer {token}"},
        "empty header": {CALLBACK_HEADER: ""},
        "non-ASCII token": {CALLBACK_HEADER: "å" * len(token)},
    }
    for what, headers in attempts.items():
        resp = await gw.client.post("/rasa/callback", json=BODY, headers=headers)
        tried(f"POST /rasa/callback {what}", resp.status)
        assert resp.status == 403
    resp = await gw.client.post(f"/rasa/callback?token={token}", json=BODY)
    tried("POST /rasa/callback?token=<the right token>", resp.status)
    assert resp.status == 403
    resp = await gw.client.post("/rasa/callback", json=BODY, headers={CALLBACK_HEADER: token})
    tried("POST /rasa/callback with the header", resp.status)
    assert resp.status == 200


@pytest.mark.parametrize("settings_overrides", [{"callback_token": ""}])
async def test_without_a_configured_token_nothing_is_accepted(gw: GatewayEnv) -> None:
    for headers in ({}, {CALLBACK_HEADER: ""}, {CALLBACK_HEADER: "anything"}):
        resp = await gw.client.post("/rasa/callback", json=BODY, headers=headers)
        tried(f"no GATEWAY_CALLBACK_TOKEN configured, headers {headers}", resp.status)
        assert resp.status == 403


def test_rasa_channel_sends_the_token_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """credentials.yml as committed: Rasa's channel adds the header from the environment."""
    import yaml

    monkeypatch.setenv("GATEWAY_CALLBACK_TOKEN", "a-token-from-the-environment-1234")
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    channel = GatewayCallbackInput.from_credentials(
        credentials["bot.rasa_plugins.channels.callback.GatewayCallbackInput"])
    endpoint: EndpointConfig = channel.callback_endpoint
    assert endpoint.headers[CALLBACK_HEADER] == "a-token-from-the-environment-1234"
    assert "token" not in (endpoint.params or {})  # never in the URL


@pytest.mark.parametrize("token", ["", "change-me-callback-token", "short"])
def test_production_gateway_refuses_a_weak_token(token: str) -> None:
    env = {**os.environ, "APP_ENV": "production", "GATEWAY_CALLBACK_TOKEN": token,
           "GATEWAY_SECRET": "g" * 40, "RASA_TOKEN": "r" * 40,
           "GATEWAY_FERNET_KEY": "ZmVybmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY=",
           "GATEWAY_PORT": "1"}
    proc = subprocess.run(bot_command("gateway"), env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    tried(f"APP_ENV=production gateway with GATEWAY_CALLBACK_TOKEN={token!r}",
          f"exit {proc.returncode}")
    assert proc.returncode != 0 and "GATEWAY_CALLBACK_TOKEN" in proc.stderr


def test_launchers_pass_a_callback_secret(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    """`./dev run` makes one for the run (Rasa and the gateway inherit it); the production
    launcher refuses to start without a strong one."""
    from bot.ops.production import ProductionProfile
    from bot.ops.runner import ensure_action_server_token
    from bot.settings import InsecureSecrets

    monkeypatch.delenv("GATEWAY_CALLBACK_TOKEN", raising=False)
    ensure_action_server_token()
    made = os.environ.get("GATEWAY_CALLBACK_TOKEN", "")
    tried("./dev run without GATEWAY_CALLBACK_TOKEN in .env", f"{len(made)} characters")
    assert len(made) >= 32
    strong = {k: "s" * 40 for k in ("SESSION_SECRET", "ESCALATION_INTERNAL_TOKEN",
                                    "RASA_TOKEN", "ACTION_SERVER_TOKEN", "GATEWAY_SECRET")}
    strong["GATEWAY_FERNET_KEY"] = base64.urlsafe_b64encode(b"k" * 32).decode()
    for token in ("", "change-me-callback", "short"):
        env = {**strong, "APP_ENV": "production", "GATEWAY_CALLBACK_TOKEN": token}
        with pytest.raises(InsecureSecrets) as exc:
            ProductionProfile(Path("m.tar.gz"), workdir=tmp_path, env=env).check_secrets()
        tried(f"production profile with GATEWAY_CALLBACK_TOKEN={token!r}", "refused")
        assert "GATEWAY_CALLBACK_TOKEN" in str(exc.value)
    env = {**strong, "APP_ENV": "production", "GATEWAY_CALLBACK_TOKEN": "c" * 40}
    ProductionProfile(Path("m.tar.gz"), workdir=tmp_path, env=env).check_secrets()
