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
from bot.runtimes import SERVICES, bot_command, interpreter
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
    proc = subprocess.Popen(bot_command("gateway"), env=env,
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


def _placeholder_env(tmp_path: Path) -> Path:
    """An old .env: the example copied by hand, plus a developer's own lines and settings."""
    target = tmp_path / ".env"
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    text = text.replace("RASA_PORT=5005", "RASA_PORT=5999") + (
        "# my own notes stay\nSESSION_SECRET_NOTE=keep me\nREDIS_PREFIX=dev-prefix\n")
    text = text.replace("ESCALATION_INTERNAL_TOKEN=change-me-internal-token",
                        "ESCALATION_INTERNAL_TOKEN=dev-internal-token")
    text = text.replace("TWILIO_AUTH_TOKEN=", "TWILIO_AUTH_TOKEN=a-real-provider-token-1234567")
    target.write_text(text, encoding="utf-8")
    target.chmod(0o644)
    return target


def test_dev_setup_replaces_placeholders_in_an_existing_env(tmp_path: Path) -> None:
    target = _placeholder_env(tmp_path)
    before = target.read_text(encoding="utf-8").splitlines()
    (tmp_path / ".env.example").write_text("RASA_TOKEN=change-me\n", encoding="utf-8")
    run = subprocess.run([interpreter(SERVICES), "-m", "bot.envfile"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr
    after = target.read_text(encoding="utf-8").splitlines()
    values = _values(target)
    tried("./dev setup with an .env copied from the example", run.stdout.strip())
    expected = ["RASA_TOKEN", "ACTION_SERVER_TOKEN", "ESCALATION_INTERNAL_TOKEN",
                "SESSION_SECRET", "GATEWAY_SECRET", "GATEWAY_CALLBACK_TOKEN",
                "GATEWAY_FERNET_KEY"]
    for name in expected:
        assert name in run.stdout
    assert "TWILIO_AUTH_TOKEN" not in run.stdout and "REDIS_PREFIX" not in run.stdout
    for value in values.values():  # names only, never a value
        assert len(value) < 8 or value not in run.stdout + run.stderr
    assert not secret_problems({n: values[n] for n in SERVICE_SECRETS})
    assert not secret_problems({n: values[n] for n in ("GATEWAY_SECRET", "GATEWAY_FERNET_KEY")})
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # every other line exactly as it was: comments, a changed port, own lines, a real token
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert sorted(before[i].split("=", 1)[0] for i in changed) == sorted(expected)
    assert values["RASA_PORT"] == "5999" and values["REDIS_PREFIX"] == "dev-prefix"
    assert values["TWILIO_AUTH_TOKEN"] == "a-real-provider-token-1234567"
    assert "# my own notes stay" in after and "SESSION_SECRET_NOTE=keep me" in after
    again = subprocess.run([interpreter(SERVICES), "-m", "bot.envfile"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert again.stdout == "" and target.read_text(encoding="utf-8").splitlines() == after
    script = (ROOT / "dev").read_text()
    assert "[ -f .env ] ||" not in script  # ./dev runs it on every setup, not only the first


def test_production_refuses_the_example_placeholders(tmp_path: Path) -> None:
    """What an operator gets who starts production on a copied example: a refusal naming
    every placeholder secret, from the launcher and from the gateway."""
    example = _values(ROOT / ".env.example")
    env = {**{k: v for k, v in os.environ.items() if k not in example}, **example,
           "APP_ENV": "production", "GATEWAY_PORT": "0",
           "GATEWAY_VAULT_URL": f"sqlite:///{tmp_path}/vault.db"}
    launcher = subprocess.run(bot_command("run-prod", "--model", "none.tar.gz"),
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    tried("APP_ENV=production ./dev run-prod with .env.example's values",
          f"exit {launcher.returncode}")
    assert launcher.returncode == 2
    for name in SERVICE_SECRETS:
        assert name in launcher.stderr
    gateway = subprocess.run(bot_command("gateway"), env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    tried("APP_ENV=production gateway with .env.example's values", f"exit {gateway.returncode}")
    assert gateway.returncode != 0
    assert "GATEWAY_SECRET" in gateway.stderr and "GATEWAY_FERNET_KEY" in gateway.stderr
