"""The whole system on loopback for the gateway's end-to-end tests and the benchmark: real
Rasa (trained model, SQLite tracker store, escalation relay broker), action server,
escalation service and gateway, plus simulated SMS provider APIs and a coach API client."""

from __future__ import annotations

import base64
import http.cookiejar
import json
import os
import re
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bot.ops.runner import wait_ready
from bot.runtimes import SERVICES, bot_command, interpreter, rasa_executable
from bot.settings import process_env
from tests.conftest import ROOT, free_port
from tests.gateway.helpers import (
    ELKS_PASSWORD,
    ELKS_SECRET,
    ELKS_USER,
    TWILIO_SID,
    TWILIO_TOKEN,
)

ALWAYS_OPEN = ",".join(f"{d}=00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                   "sun"))
COACH_PASSWORD = "gateway e2e correct horse"
CALLBACK_TOKEN = "e2e-callback-token"


class ProviderSim:
    """Twilio's Messages.json and 46elks' /a1/sms on loopback; checks auth, records."""

    def __init__(self, port: int) -> None:
        self.sent: list[dict[str, Any]] = []
        self.rejected = 0
        self.lock = threading.Lock()
        sim = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                at = time.perf_counter()
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                form = dict(urllib.parse.parse_qsl(raw.decode()))
                auth = self.headers.get("Authorization", "")
                if self.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json":
                    ok = auth == _basic(TWILIO_SID, TWILIO_TOKEN)
                    entry = {"provider": "twilio", "to": form.get("To"),
                             "from": form.get("From"), "body": form.get("Body"), "at": at}
                    status = 201
                elif self.path == "/a1/sms":
                    ok = auth == _basic(ELKS_USER, ELKS_PASSWORD)
                    entry = {"provider": "46elks", "to": form.get("to"),
                             "from": form.get("from"), "body": form.get("message"), "at": at}
                    status = 200
                else:
                    ok, entry, status = False, {}, 404
                with sim.lock:
                    if ok:
                        sim.sent.append(entry)
                    else:
                        sim.rejected += 1
                self.send_response(status if ok else 401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "queued"}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, number: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.sent if m["to"] == number]

    def wait_for(self, number: str, needle: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.to(number):
                if needle in (m["body"] or ""):
                    return m
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} not sent to {number}; got {self.to(number)}")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class NeutralSite:
    """The page quick exit goes to (no internet in tests)."""

    def __init__(self, port: int) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write("<!doctype html><title>Väder</title><h1>Vädret idag</h1>".encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class CoachClient:
    """A coach using the console's JSON API (session cookie + CSRF token)."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(f"{base}/login", timeout=10).read().decode()
        login_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        body = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": login_csrf}).encode()
        queue = self.opener.open(f"{base}/login", data=body, timeout=10).read().decode()
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', queue).group(1)  # type: ignore[union-attr]

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        req = urllib.request.Request(
            f"{self.base}{path}", method=method,
            data=json.dumps(body or {}).encode() if method == "POST" else None,
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.csrf,
                     "Accept": "application/json"})
        with self.opener.open(req, timeout=15) as resp:
            return json.loads(resp.read() or b"{}")

    def case_for(self, conversation_id: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            queue = self.api("GET", "/api/queue")
            for case in queue["waiting"] + queue["claimed"]:
                if case["conversation_id"] == conversation_id:
                    return str(case["case_id"])
            time.sleep(0.2)
        raise AssertionError(f"no case for {conversation_id}")

    def newest_waiting_case(self, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            waiting = self.api("GET", "/api/queue")["waiting"]
            if waiting:
                return waiting[0]
            time.sleep(0.2)
        raise AssertionError("no waiting case")


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 180) -> None:
    if not wait_ready(url, proc, timeout):
        raise RuntimeError(f"{url} not ready; " + log.read_text(errors="replace")[-3000:])


@contextmanager
def running_system(model: Path, work: Path, gateway_env: dict[str, str] | None = None,
                   escalation: bool = True) -> Iterator[dict[str, Any]]:
    """Start everything; yields ports, URLs and the simulators; stops it all on exit."""
    names = ("rasa", "actions", "escalation", "gateway", "provider", "neutral")
    ports = {name: free_port() for name in names}
    rasa_token, internal = "e2e-rasa-token", "e2e-internal-token"
    env = process_env({
        **os.environ, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_URL": f"http://127.0.0.1:{ports['rasa']}", "RASA_TOKEN": rasa_token,
        "ESCALATION_URL": f"http://127.0.0.1:{ports['escalation']}",
        "ESCALATION_INTERNAL_TOKEN": internal, "DATABASE_URL": f"sqlite:///{work}/app.db",
        "ACTION_SERVER_TOKEN": "e2e-action-server-token",
        "SESSION_SECRET": "e2e-session-secret", "COACH_HOURS": ALWAYS_OPEN,
        "COACH_CLOSED_ON_HOLIDAYS": "0", "ESCALATION_SWEEP_INTERVAL_SECONDS": "1",
        "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(ports["gateway"]),
        "GATEWAY_SECRET": "e2e-gateway-secret",
        "GATEWAY_FERNET_KEY": Fernet.generate_key().decode(),
        "GATEWAY_VAULT_URL": f"sqlite:///{work}/vault.db",
        "GATEWAY_CALLBACK_TOKEN": CALLBACK_TOKEN,
        "GATEWAY_EXIT_URL": f"http://127.0.0.1:{ports['neutral']}/weather",
        "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_API_URL": f"http://127.0.0.1:{ports['provider']}",
        "ELKS_API_USERNAME": ELKS_USER, "ELKS_API_PASSWORD": ELKS_PASSWORD,
        "ELKS_WEBHOOK_SECRET": ELKS_SECRET,
        "ELKS_API_URL": f"http://127.0.0.1:{ports['provider']}/a1",
        **(gateway_env or {}),
    })
    broker = ("event_broker:\n  type: bot.rasa_plugins.relay_broker.EscalationRelayBroker\n"
              f'  url: "http://127.0.0.1:{ports["escalation"]}"\n') if escalation else ""
    (work / "endpoints.yml").write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{ports["actions"]}/webhook"\n'
        "  headers:\n    Authorization: Bearer ${ACTION_SERVER_TOKEN}\n"
        f'tracker_store:\n  type: bot.rasa_plugins.tracker_store.SQLTrackerStore\n'
        f'  dialect: "sqlite"\n  db: "{work}/tracker.db"\n'
        "lock_store:\n  type: in_memory\n" + broker, encoding="utf-8")
    (work / "credentials.yml").write_text(
        "bot.rasa_plugins.channels.rest.ValidatedRestInput:\n"
        "bot.rasa_plugins.channels.callback.GatewayCallbackInput:\n"
        f'  url: "http://127.0.0.1:{ports["gateway"]}/rasa/callback"\n',
        encoding="utf-8")  # the channel sends GATEWAY_CALLBACK_TOKEN from the environment
    if escalation:
        subprocess.run(
            [*bot_command("coach"), "create", "--username", "gwcoach", "--role",
             "coach", "--password-stdin"], input=f"{COACH_PASSWORD}\n".encode(), env=env,
            cwd=ROOT, check=True, capture_output=True)
    provider = ProviderSim(ports["provider"])
    neutral = NeutralSite(ports["neutral"])
    rasa = rasa_executable()
    specs: dict[str, tuple[list[str], str]] = {
        "actions": ([*bot_command("actions"), "-p", str(ports["actions"])],
                    "/health"),
        "gateway": ([interpreter(SERVICES), "-c",
                     "import sys; from bot.gateway.cli import serve; sys.exit(serve([]))"],
                    "/healthz"),
        "rasa": ([rasa, "run", "--enable-api", f"--auth-token={rasa_token}", "--model",
                  str(model), "--endpoints", str(work / "endpoints.yml"),
                  "--credentials", str(work / "credentials.yml"), "-i", "127.0.0.1",
                  "-p", str(ports["rasa"])], "/"),
    }
    if escalation:
        specs["escalation"] = (bot_command("escalation"), "/healthz")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, (cmd, _) in specs.items():
            log = (work / f"{name}.log").open("wb")
            procs[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                           stderr=subprocess.STDOUT)
        for name, (_, path) in specs.items():
            wait_http(f"http://127.0.0.1:{ports[name]}{path}", procs[name],
                      work / f"{name}.log")
        yield {"ports": ports, "provider": provider, "work": work, "procs": procs,
               "gateway": f"http://127.0.0.1:{ports['gateway']}",
               "rasa": f"http://127.0.0.1:{ports['rasa']}",
               "console": f"http://127.0.0.1:{ports['escalation']}",
               "exit_url": env["GATEWAY_EXIT_URL"], "secret": env["GATEWAY_SECRET"]}
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        provider.server.shutdown()
        neutral.server.shutdown()
