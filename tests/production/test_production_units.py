"""The production launcher's pieces, without starting it: secrets, nginx config, endpoints."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.ops import production
from bot.ops.production import ENDPOINTS, Ports, ProductionProfile, find_nginx, render_nginx
from bot.settings import SERVICE_SECRETS

WEAK = {"APP_ENV": "production", "RASA_TOKEN": "change-me-rasa-token",
        "ESCALATION_INTERNAL_TOKEN": "change-me-internal-token", "SESSION_SECRET": "short",
        "GATEWAY_CALLBACK_TOKEN": "short-callback"}


def test_run_prod_refuses_default_secrets_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in WEAK.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(production, "ensure_nginx", lambda: pytest.fail("must not start"))
    assert production.main(["--model", "nothing.tar.gz"]) == 2
    err = capsys.readouterr().err
    assert "APP_ENV=production" in err
    assert all(name in err for name in ("RASA_TOKEN", "ESCALATION_INTERNAL_TOKEN",
                                        "SESSION_SECRET", "GATEWAY_CALLBACK_TOKEN"))


def test_the_profile_checks_secrets_only_in_production(tmp_path: Path) -> None:
    from bot.settings import InsecureSecrets

    profile = ProductionProfile(Path("m.tar.gz"), workdir=tmp_path, env=WEAK)
    with pytest.raises(InsecureSecrets):
        profile.check_secrets()
    ProductionProfile(Path("m.tar.gz"), workdir=tmp_path,
                      env={**WEAK, "APP_ENV": "development"}).check_secrets()


def test_endpoints_prod_reads_only_variables_the_launcher_sets(tmp_path: Path) -> None:
    text = ENDPOINTS.read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    used = set(re.findall(r"\$\{([A-Z_]+)\}", code))
    env = ProductionProfile(Path("m.tar.gz"), workdir=tmp_path,
                            redis_url="redis://:pw@10.0.0.5:6380/3",
                            server_url="postgresql+psycopg2://rasa:secret@db.local:5433",
                            env={}).base_env()
    # the rest are secrets from .env, which the launcher checks (SERVICE_SECRETS)
    assert used - set(SERVICE_SECRETS) <= set(env), used - set(env)
    assert "ACTION_SERVER_TOKEN" in used  # Rasa authenticates to the action server
    assert (env["TRACKER_DB_HOST"], env["TRACKER_DB_PORT"], env["TRACKER_DB_USER"],
            env["TRACKER_DB_PASSWORD"]) == ("db.local", "5433", "rasa", "secret")
    assert (env["REDIS_HOST"], env["REDIS_PORT"], env["REDIS_LOCK_DB"],
            env["REDIS_PASSWORD"]) == ("10.0.0.5", "6380", "3", "pw")
    assert env["REDIS_LOCK_PREFIX"].isalnum()
    config = yaml.safe_load(text)
    assert config["tracker_store"]["type"] == "bot.rasa_plugins.tracker_store.SQLTrackerStore"
    assert config["lock_store"]["type"] == "bot.rasa_plugins.lock_store.FailSafeRedisLockStore"
    assert config["event_broker"]["type"] == "bot.rasa_plugins.relay_broker.EscalationRelayBroker"
    assert "'${" not in code and '"${' not in code  # Rasa expands only unquoted ${...}


def test_nginx_config_balances_every_upstream(tmp_path: Path) -> None:
    ports = Ports(15005, 18080, 15055, (15006, 15007), (18081, 18082), 18090, (18091, 18092))
    conf = render_nginx(tmp_path, ports)
    assert "{{" not in conf
    code = "\n".join(line for line in conf.splitlines() if not line.lstrip().startswith("#"))
    for port in (15006, 15007, 18081, 18082, 18091, 18092):
        assert f"server 127.0.0.1:{port} " in conf
    assert "listen 127.0.0.1:15005;" in conf and "listen 127.0.0.1:18080;" in conf
    assert "listen 127.0.0.1:18090;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "$remote_addr" not in conf and "$request " not in conf  # no IPs, no ?token= in logs
    assert "sticky" not in code and "ip_hash" not in code and "hash " not in code
    nginx = find_nginx()
    if nginx is None:
        pytest.skip("nginx not installed yet (the production launcher installs it)")
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / sub).mkdir()
    (tmp_path / "nginx.conf").write_text(conf, encoding="utf-8")
    check = subprocess.run([nginx, "-t", "-q", "-p", str(tmp_path), "-c",
                            str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_a_token_that_starts_with_a_dash_still_reaches_rasa(tmp_path: Path) -> None:
    """secrets.token_urlsafe() begins with "-" once in 64 tokens: Rasa's own argument parser
    must read it as the token, not as an unknown option (it made the fault tests flaky)."""
    from rasa.__main__ import create_argument_parser

    token = "-dash-first-token-0123456789abcdefghijklmnop"
    profile = ProductionProfile(Path("m.tar.gz"), workdir=tmp_path,
                                env={"RASA_TOKEN": token, "ACTION_SERVER_TOKEN": "x" * 40,
                                     "GATEWAY_CALLBACK_TOKEN": "g" * 40})
    rasa_args = next(s.cmd for s in profile.specs() if s.name == "rasa-1")
    parsed = create_argument_parser().parse_args(rasa_args[1:])
    assert parsed.auth_token == token


def test_rasa_takes_messages_only_from_the_gateway_in_the_profile(tmp_path: Path) -> None:
    """The launcher gives Rasa GATEWAY_CALLBACK_TOKEN and RASA_REST_GATEWAY_ONLY=1 (unless the
    operator chose), and does not start without the token."""
    secrets = {"RASA_TOKEN": "r" * 40, "ACTION_SERVER_TOKEN": "a" * 40,
               "GATEWAY_CALLBACK_TOKEN": "g" * 40}
    profile = ProductionProfile(Path("m.tar.gz"), workdir=tmp_path, env=secrets)
    rasa = profile.env_for("rasa-1")
    assert rasa["RASA_REST_GATEWAY_ONLY"] == "1"
    assert rasa["GATEWAY_CALLBACK_TOKEN"] == "g" * 40
    assert "RASA_REST_GATEWAY_ONLY" not in profile.env_for("escalation-1")
    for chosen, kept in (("0", "0"), ("", "1"), ("1", "1")):
        env = {**secrets, "RASA_REST_GATEWAY_ONLY": chosen}
        got = ProductionProfile(Path("m.tar.gz"), workdir=tmp_path, env=env).env_for("rasa-2")
        assert got["RASA_REST_GATEWAY_ONLY"] == kept, chosen
    no_token = {k: v for k, v in secrets.items() if k != "GATEWAY_CALLBACK_TOKEN"}
    with pytest.raises(RuntimeError, match="GATEWAY_CALLBACK_TOKEN"):
        ProductionProfile(Path("m.tar.gz"), workdir=tmp_path, env=no_token).specs()
