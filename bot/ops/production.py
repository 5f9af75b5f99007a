"""The production profile on one machine: `python -m bot run-prod`.

Starts, all on loopback:

- 2 Rasa servers (`endpoints.prod.yml`: SQL tracker store on PostgreSQL, Redis lock store,
  the relay event broker) with the REST and callback channels and the HTTP API (token);
- 2 escalation-service instances (coach console, internal API) on one PostgreSQL database,
  live messages fanned out between them through Redis pub/sub (REDIS_URL);
- 1 action server;
- 2 web chat and SMS gateway instances (the way in for young people) sharing live fan-out,
  coach flags and SMS batching through Redis and the phone-number vault in PostgreSQL;
- nginx (Debian's; `./dev setup-prod` installs it) as the load balancer: one port for
  the Rasa servers, one for the escalation instances, one for the gateway instances
  (WebSocket upgrade, not sticky).

PostgreSQL gets three databases of its own, created if missing: `<PROD_DATABASE>` for cases
and coaches (migrated once here, before the instances start), `<PROD_DATABASE>_tracker`
for Rasa's trackers and `<PROD_DATABASE>_vault` for the gateway's encrypted phone numbers
(its own Alembic history, migrated here too). With APP_ENV=production nothing starts while
a secret is a default or a placeholder. Rasa's REST and callback channels take messages only
from the gateway (the GATEWAY_CALLBACK_TOKEN it sends; RASA_REST_GATEWAY_ONLY=1 unless .env
sets it). Stop with
Ctrl-C (SIGINT/SIGTERM): every process is stopped.

Environment (.env): DATABASE_SERVER_URL (default postgresql+psycopg2://postgres@127.0.0.1:5432),
PROD_DATABASE (sluta_skjut), REDIS_URL (redis://127.0.0.1:6379/0), REDIS_PREFIX, RASA_TOKEN,
ACTION_SERVER_TOKEN, GATEWAY_CALLBACK_TOKEN, ESCALATION_INTERNAL_TOKEN, SESSION_SECRET,
APP_ENV, RASA_REST_GATEWAY_ONLY, and the usual COACH_HOURS etc.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.ops.runner import ProcessSpec, private_data_dir, wait_ready
from bot.ops.supervisor import Supervisor
from bot.runtimes import bot_command, rasa_executable
from bot.settings import (
    ROOT,
    InsecureSecrets,
    Settings,
    check_production_secrets,
    environ,
    is_production,
    load,
    process_env,
    service_secrets,
    set_env,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

DEFAULT_SERVER_URL = Settings.database_server_url
DEFAULT_REDIS_URL = Settings.prod_redis_url
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
ENDPOINTS = ROOT / "endpoints.prod.yml"
NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")
# what the gateway instances must share besides the service secrets: the pseudonym key and
# the phone-number vault's key
GATEWAY_SECRETS = ("GATEWAY_SECRET", "GATEWAY_FERNET_KEY")


@dataclass(frozen=True)
class Ports:
    """Public (load balancer) ports and the instances' own ports."""

    rasa: int = 5005
    escalation: int = 8080
    actions: int = 5055
    rasa_instances: tuple[int, ...] = (5006, 5007)
    escalation_instances: tuple[int, ...] = (8081, 8082)
    gateway: int = 8090
    gateway_instances: tuple[int, ...] = (8091, 8092)


# ---- nginx ------------------------------------------------------------------------------------


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


def ensure_nginx() -> str:
    """Debian's nginx, installed by the setup (`./dev run-prod` or `./dev setup-prod`), never
    by this launcher: it runs as an ordinary user and changes nothing outside the project."""
    found = find_nginx()
    if not found:
        raise RuntimeError("nginx is not installed: run ./dev setup-prod (as root, Debian) or "
                           "apt-get install nginx")
    return found


def render_nginx(prefix: Path, ports: Ports, host: str = "127.0.0.1") -> str:
    def servers(port_list: tuple[int, ...]) -> str:
        return "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;"
                         for p in port_list)

    values = {
        "prefix": str(prefix),
        # as root, workers run as root too: they only read this config and write its logs
        "user_directive": "user root;" if os.geteuid() == 0 else "",
        "listen_host": host,
        "rasa_port": str(ports.rasa),
        "escalation_port": str(ports.escalation),
        "rasa_servers": servers(ports.rasa_instances),
        "escalation_servers": servers(ports.escalation_instances),
        "gateway_port": str(ports.gateway),
        "gateway_servers": servers(ports.gateway_instances),
    }
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


# ---- PostgreSQL -------------------------------------------------------------------------------


def database_url(server_url: str, name: str) -> str:
    return f"{server_url.rstrip('/')}/{name}"


def _maintenance_engine(server_url: str) -> Engine:
    """An autocommit engine on the server's `postgres` database (CREATE/DROP DATABASE cannot
    run inside a transaction)."""
    from sqlalchemy.future import create_engine

    from bot.db.engine import with_driver

    return create_engine(with_driver(database_url(server_url, "postgres")), future=True,
                         isolation_level="AUTOCOMMIT")


def ensure_databases(server_url: str, names: list[str]) -> list[str]:
    """CREATE DATABASE for each missing name; returns the ones created."""
    from sqlalchemy import text

    for name in names:
        if not NAME_RE.match(name):
            raise ValueError(f"database name {name!r}: use a-z, 0-9 and _")
    engine = _maintenance_engine(server_url)
    created = []
    try:
        with engine.connect() as conn:
            for name in names:
                exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                      {"n": name}).first()
                if exists is None:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                    created.append(name)
    finally:
        engine.dispose()
    return created


def drop_databases(server_url: str, names: list[str]) -> None:
    """For tests: drop the profile's databases (nothing may be connected)."""
    from sqlalchemy import text

    engine = _maintenance_engine(server_url)
    try:
        with engine.connect() as conn:
            for name in names:
                if NAME_RE.match(name):
                    # FORCE: a test that failed may still hold a connection
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


# ---- the profile ------------------------------------------------------------------------------


@dataclass
class ProductionProfile:
    """Every process of one machine's production profile; a context manager."""

    model: Path
    workdir: Path = ROOT / "var" / "prod"
    ports: Ports = field(default_factory=Ports)
    server_url: str = DEFAULT_SERVER_URL
    database: str = Settings.prod_database
    redis_url: str = DEFAULT_REDIS_URL
    redis_prefix: str = Settings.redis_prefix
    # None: the project's channels, the callback channel posting to the gateway's nginx port
    credentials: Path | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(environ()))
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    nginx_path: str = ""

    @property
    def app_db_url(self) -> str:
        return database_url(self.server_url, self.database)

    @property
    def tracker_db_url(self) -> str:
        return database_url(self.server_url, f"{self.database}_tracker")

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def escalation_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.escalation}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    @property
    def vault_db_url(self) -> str:
        return database_url(self.server_url, f"{self.database}_vault")

    @property
    def databases(self) -> list[str]:
        return [self.database, f"{self.database}_tracker", f"{self.database}_vault"]

    @property
    def credentials_file(self) -> Path:
        """The channels file Rasa runs with: the given one, or the project's channels whose
        callback posts to the gateway instances through nginx."""
        if self.credentials is not None:
            return self.credentials
        path = self.workdir / "credentials.yml"
        path.write_text(
            "bot.rasa_plugins.channels.rest.ValidatedRestInput:\n"
            "bot.rasa_plugins.channels.callback.GatewayCallbackInput:\n"
            f'  url: "{self.gateway_url}/rasa/callback"\n', encoding="utf-8")
        return path

    @property
    def log_dir(self) -> Path:
        return self.workdir / "log"

    def check_secrets(self) -> None:
        if is_production(self.env):
            check_production_secrets(
                {**service_secrets(self.env), **{k: self.env.get(k) for k in GATEWAY_SECRETS}},
                component="the production profile")

    def base_env(self) -> dict[str, str]:
        """What every process gets: shared secrets, where the shared state lives."""
        db = urlsplit(self.server_url.replace("postgresql+psycopg2://", "postgresql://"))
        redis = urlsplit(self.redis_url)
        redis_db = (redis.path or "/0").lstrip("/") or "0"
        lock_prefix = re.sub(r"[^A-Za-z0-9]", "", self.redis_prefix) or "slutaskjut"
        return process_env({
            **self.env,
            "PYTHONWARNINGS": "ignore",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "RASA_URL": self.rasa_url,
            "ESCALATION_URL": self.escalation_url,
            "DATABASE_URL": self.app_db_url,
            "RASA_TRACKER_DB_URL": self.tracker_db_url,
            "REDIS_URL": self.redis_url,
            "REDIS_PREFIX": self.redis_prefix,
            # the action server's retry queue for case requests, beside the profile's data
            "ACTION_QUEUE_PATH": str(self.workdir / "pending_cases.db"),
            "ESCALATION_AUTO_MIGRATE": "0",  # migrated once by the launcher, not by each
            # the gateway instances: one vault, typing notices through nginx, the client's
            # address from nginx's X-Forwarded-For (hashed for the limits, never stored)
            "GATEWAY_VAULT_URL": self.vault_db_url,
            "GATEWAY_URL": self.gateway_url,
            "GATEWAY_TRUST_PROXY": "1",
            # endpoints.prod.yml
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.ports.actions}/webhook",
            "TRACKER_DB_HOST": db.hostname or "127.0.0.1",
            "TRACKER_DB_PORT": str(db.port or 5432),
            "TRACKER_DB_NAME": f"{self.database}_tracker",
            "TRACKER_DB_USER": db.username or "postgres",
            "TRACKER_DB_PASSWORD": db.password or "",
            "TRACKER_LOGIN_DB": "postgres",
            "REDIS_HOST": redis.hostname or "127.0.0.1",
            "REDIS_PORT": str(redis.port or 6379),
            "REDIS_PASSWORD": redis.password or "",
            "REDIS_LOCK_DB": redis_db,
            "REDIS_LOCK_PREFIX": lock_prefix,
        })

    def env_for(self, name: str) -> dict[str, str]:
        """A process's environment: base_env(); Rasa's REST channel, like its callback
        channel, takes posts only from the gateway (RASA_REST_GATEWAY_ONLY=1) unless the
        operator set that variable (.env)."""
        env = self.base_env()
        if name.startswith("rasa-") and not env.get("RASA_REST_GATEWAY_ONLY", "").strip():
            env["RASA_REST_GATEWAY_ONLY"] = "1"
        return env

    def specs(self) -> list[ProcessSpec]:
        """Every process (name, command, ready URL), in start order; nginx comes last."""
        rasa = rasa_executable()
        token = self.base_env().get("RASA_TOKEN", "")
        if not token:
            raise RuntimeError("RASA_TOKEN is not set (.env): Rasa's HTTP API needs a token")
        if not self.base_env().get("ACTION_SERVER_TOKEN", "").strip():
            raise RuntimeError("ACTION_SERVER_TOKEN is not set (.env): the action server and "
                               "endpoints.prod.yml need it")
        if not self.base_env().get("GATEWAY_CALLBACK_TOKEN", "").strip():
            raise RuntimeError("GATEWAY_CALLBACK_TOKEN is not set (.env): Rasa's channels take "
                               "messages only from the gateway, which sends it")
        # the action server behind its token (bot/action_server.py), not plain rasa-sdk
        specs = [ProcessSpec("actions", bot_command("actions", "-p", str(self.ports.actions)),
                             f"http://127.0.0.1:{self.ports.actions}/health")]
        for i, port in enumerate(self.ports.escalation_instances, 1):
            specs.append(ProcessSpec(f"escalation-{i}", bot_command(
                "escalation", "--host", "127.0.0.1", "--port", str(port)),
                f"http://127.0.0.1:{port}/healthz"))
        for i, port in enumerate(self.ports.rasa_instances, 1):
            specs.append(ProcessSpec(f"rasa-{i}", [
                rasa, "run", "--enable-api", f"--auth-token={token}", "--model",
                str(self.model), "--endpoints", str(ENDPOINTS), "--credentials",
                str(self.credentials_file), "-i", "127.0.0.1", "-p", str(port)],
                f"http://127.0.0.1:{port}/"))
        for i, port in enumerate(self.ports.gateway_instances, 1):
            specs.append(ProcessSpec(f"gateway-{i}", bot_command(
                "gateway", "--host", "127.0.0.1", "--port", str(port)),
                f"http://127.0.0.1:{port}/healthz"))
        return specs

    def prepare(self) -> str:
        """Checks and one-time setup before any process starts; returns nginx's path."""
        self.check_secrets()
        nginx = ensure_nginx()
        created = ensure_databases(self.server_url, self.databases)
        if created:
            print(f"  created PostgreSQL databases: {', '.join(created)}", flush=True)
        from bot.db.engine import make_engine, upgrade_database
        from bot.gateway.vault import make_vault_engine, upgrade_vault

        engine = make_engine(self.app_db_url)
        try:
            upgrade_database(engine)
        finally:
            engine.dispose()
        engine = make_vault_engine(self.vault_db_url)
        try:
            upgrade_vault(engine)
        finally:
            engine.dispose()
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_timeout=5)
        try:
            client.ping()
        finally:
            client.close()
        return nginx

    def __enter__(self) -> ProductionProfile:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 300) -> None:
        nginx = self.prepare()
        private_data_dir()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        specs = self.specs()
        started = time.monotonic()
        try:
            for spec in specs:
                log = (self.log_dir / f"{spec.name}.log").open("ab")
                self.procs[spec.name] = subprocess.Popen(
                    spec.cmd, cwd=ROOT, env=self.env_for(spec.name), stdout=log,
                    stderr=subprocess.STDOUT)
            for spec in specs:
                name = spec.name
                self._wait(name, spec.ready_url, started + timeout)
                print(f"  {name:<13} ready after {time.monotonic() - started:5.1f} s", flush=True)
            self.nginx_path = nginx
            self._start_nginx(started + timeout)
            print(f"  {'nginx':<13} ready after {time.monotonic() - started:5.1f} s", flush=True)
        except BaseException:
            self.stop()
            raise

    def _start_nginx(self, deadline: float) -> None:
        prefix = self.workdir / "nginx"
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        conf = prefix / "nginx.conf"
        conf.write_text(render_nginx(prefix, self.ports), encoding="utf-8")
        check = subprocess.run([self.nginx_path, "-t", "-q", "-p", str(prefix), "-c", str(conf)],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx configuration invalid:\n{check.stderr}")
        with (self.log_dir / "nginx.log").open("ab") as log:
            self.procs["nginx"] = subprocess.Popen(
                [self.nginx_path, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                cwd=prefix, stdout=log, stderr=subprocess.STDOUT)
        self._wait("nginx", f"{self.escalation_url}/healthz", deadline)
        self._wait("nginx", f"{self.rasa_url}/", deadline)
        if self.ports.gateway_instances:
            self._wait("nginx", f"{self.gateway_url}/healthz", deadline)

    def _wait(self, name: str, url: str, deadline: float) -> None:
        if wait_ready(url, self.procs[name], deadline - time.monotonic()):
            return
        log = self.log_dir / f"{name}.log"
        if self.procs[name].poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{name} exited during start; {log}:\n{tail}")
        raise RuntimeError(f"{name} not ready at {url}; see {log}")

    def stop(self) -> None:
        """nginx first (no new requests), then the services; SIGTERM, then SIGKILL."""
        order = sorted(self.procs.items(), key=lambda kv: kv[0] != "nginx")
        for _, proc in order:
            if proc.poll() is None:
                proc.terminate()
        for _, proc in order:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.procs.clear()

    def discard_data(self) -> None:
        """For tests and benchmarks, after stop(): drop the profile's databases and its
        Redis keys, so a throwaway profile leaves nothing behind on the shared servers."""
        drop_databases(self.server_url, self.databases)
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            for key in client.scan_iter(f"{self.redis_prefix}:*"):
                client.delete(key)
        finally:
            client.close()

    def dead(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def kill(self, name: str) -> None:
        """SIGKILL one process (fault-injection tests): a crash, no clean shutdown."""
        proc = self.procs[name]
        proc.kill()
        proc.wait(timeout=10)

    def restart(self, name: str, timeout: float = 300) -> float:
        """Start one stopped process again with its command and environment, as a supervisor
        (systemd Restart=always) would; wait until it is ready. Returns the seconds taken."""
        old = self.procs.get(name)
        if old is not None and old.poll() is None:
            raise RuntimeError(f"{name} is still running; kill() it first")
        started = time.monotonic()
        if name == "nginx":
            self._start_nginx(started + timeout)
            return time.monotonic() - started
        spec = next((s for s in self.specs() if s.name == name), None)
        if spec is None:
            raise KeyError(f"no process named {name!r}")
        cmd, url = spec.cmd, spec.ready_url
        with (self.log_dir / f"{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(cmd, cwd=ROOT, env=self.env_for(name),
                                                stdout=log, stderr=subprocess.STDOUT)
        self._wait(name, url, started + timeout)
        return time.monotonic() - started

    def urls(self) -> str:
        p = self.ports
        rest = self.env_for("rasa-1")["RASA_REST_GATEWAY_ONLY"]
        return (
            "\nSluta skjut assistant, production profile:\n"
            f"  Web chat       {self.gateway_url}/\n"
            f"  SMS webhooks   {self.gateway_url}/sms/twilio , /sms/46elks/<secret>\n"
            f"  REST channel   POST {self.rasa_url}/webhooks/rest/webhook  "
            f"(RASA_REST_GATEWAY_ONLY={rest})\n"
            f"  Callback       POST {self.rasa_url}/webhooks/callback/webhook  "
            f"(gateway only; replies to the url in {self.credentials_file})\n"
            f"  Rasa HTTP API  {self.rasa_url}/  (token: RASA_TOKEN)\n"
            f"  Coach console  {self.escalation_url}/\n"
            f"  behind nginx:  rasa {', '.join(map(str, p.rasa_instances))}; escalation "
            f"{', '.join(map(str, p.escalation_instances))}; gateway "
            f"{', '.join(map(str, p.gateway_instances))}; action server {p.actions}\n"
            f"  PostgreSQL     {self.database} (cases), {self.database}_tracker (trackers), "
            f"{self.database}_vault (phone-number vault)\n"
            f"  Redis          {self.redis_url} (locks, live fan-out, coach flags, SMS "
            f"batching, login throttling; "
            f"prefix {self.redis_prefix})\n"
            f"  Logs: {self.log_dir}/   Stop: Ctrl-C\n"
        )


def profile_from_env(model: Path, ports: Ports, workdir: Path,
                     credentials: Path | None) -> ProductionProfile:
    s = load()
    return ProductionProfile(
        model=model, workdir=workdir, ports=ports,
        server_url=s.database_server_url, database=s.prod_database,
        redis_url=s.prod_redis_url, redis_prefix=s.redis_prefix,
        credentials=credentials, env=dict(environ()),
    )


def _ports(text: str, name: str) -> tuple[int, ...]:
    ports = tuple(int(p) for p in text.split(",") if p.strip())
    if len(ports) < 1:
        raise SystemExit(f"{name}: give at least one port")
    return ports


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot run-prod",
                                     description="Start one machine's production profile.")
    parser.add_argument("--model", type=Path, help="model to serve (default: current inputs)")
    parser.add_argument("--credentials", type=Path, default=None,
                        help="channels file for Rasa (default: the project's channels, the "
                             "callback to the gateway instances)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "prod")
    parser.add_argument("--rasa-port", type=int, default=5005, help="nginx, Rasa side")
    parser.add_argument("--escalation-port", type=int, default=8080, help="nginx, console")
    parser.add_argument("--action-port", type=int, default=5055)
    parser.add_argument("--rasa-instances", default="5006,5007", help="ports, comma-separated")
    parser.add_argument("--escalation-instances", default="8081,8082")
    parser.add_argument("--gateway-port", type=int, default=8090, help="nginx, web chat/SMS")
    parser.add_argument("--gateway-instances", default="8091,8092")
    args = parser.parse_args(argv)
    ports = Ports(args.rasa_port, args.escalation_port, args.action_port,
                  _ports(args.rasa_instances, "--rasa-instances"),
                  _ports(args.escalation_instances, "--escalation-instances"),
                  args.gateway_port, _ports(args.gateway_instances, "--gateway-instances"))
    try:
        if is_production():
            env = environ()
            check_production_secrets({**service_secrets(), **{k: env.get(k)
                                                             for k in GATEWAY_SECRETS}},
                                     component="the production profile")
    except InsecureSecrets as exc:
        print(exc, file=sys.stderr)
        return 2
    from bot.ops.training import train

    model = args.model or train()
    profile = profile_from_env(model, ports, args.workdir, args.credentials)
    # the hourly retention below reads these (bot.ops.retention.Databases.from_env)
    set_env(DATABASE_URL=profile.app_db_url, RASA_TRACKER_DB_URL=profile.tracker_db_url,
            GATEWAY_VAULT_URL=profile.vault_db_url)
    print("starting the production profile ...", flush=True)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        profile.start()
    except (RuntimeError, OSError) as exc:
        print(f"could not start: {exc}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGINT, _stop)
    print(profile.urls(), flush=True)
    from bot.ops.runner import run_retention

    supervisor = Supervisor(dead=profile.dead, restart=profile.restart,
                            retention=run_retention, log_hint=f"{profile.log_dir}/")
    try:
        return supervisor.run(lambda: stopping)
    finally:
        print("stopping ...", flush=True)
        profile.stop()
        print("stopped.", flush=True)
