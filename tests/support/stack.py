"""The whole system on free loopback ports, for end-to-end tests and benchmarks.

Starts the escalation service, the action server and the Rasa server (SQLite everywhere, the
relay event broker, the REST and callback channels) exactly as `python -m bot run` wires
them, plus a callback inbox that plays the young person's device: it receives every bot and
coach message Rasa sends on the callback channel. The stack plays the gateway too: it posts
the user's messages on the callback channel with a GATEWAY_CALLBACK_TOKEN made for this
stack (the channel refuses posts without it).
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bot.ops.runner import ProcessSpec, wait_ready
from bot.protocol import CALLBACK_HEADER
from bot.runtimes import bot_command, rasa_command
from bot.settings import ROOT, process_env

ALWAYS_OPEN = ",".join(f"{d}=00:00-23:59" for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                   "sun"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """Messages received on the callback URL, with arrival times, per conversation."""

    def __init__(self) -> None:
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)

    def texts(self, sender: str) -> list[str]:
        with self.lock:
            return [m.get("text") or "" for _, m in self.messages
                    if m.get("recipient_id") == sender]

    def wait_for(self, sender: str, needle: str, timeout: float = 30) -> tuple[float, str]:
        """Wait until a message for `sender` contains `needle`; (arrival time, text)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for at, m in self.messages:
                    if m.get("recipient_id") == sender and needle in (m.get("text") or ""):
                        return at, m["text"]
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.arrived.wait(left)
        raise AssertionError(f"{needle!r} not received; got {self.texts(sender)}")


# takes one callback (message, raw body, its callback token); returns the status to answer
# when it passed the message on elsewhere, None when the inbox keeps it
Forward = Callable[[dict[str, Any], bytes, str], "int | None"]


def _start_inbox(port: int, forward: Forward | None = None) -> tuple[Inbox, ThreadingHTTPServer]:
    inbox = Inbox()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            message = json.loads(body or b"{}")
            status = None if forward is None else forward(
                message, body, self.headers.get(CALLBACK_HEADER, ""))
            if status is None:
                with inbox.arrived:
                    inbox.messages.append((time.monotonic(), message))
                    inbox.arrived.notify_all()
            self.send_response(status or 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return inbox, server


@dataclass
class Stack:
    """Running processes and where to reach them; use as a context manager."""

    model: Path
    workdir: Path
    coaches: dict[str, str] = field(default_factory=lambda: {"anna": "e2e correct horse battery"})
    ports: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    inbox: Inbox | None = None
    _inbox_server: ThreadingHTTPServer | None = None
    # the gateway's secret: Rasa's callback webhook takes only posts that carry it
    callback_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # where Rasa's relay broker posts ("" = the escalation service; a closed port: every
    # relay is lost, and only the service's reconciliation with the tracker brings them)
    broker_url: str = ""
    settings: dict[str, str] = field(default_factory=dict)  # more environment for every process

    rasa_token = "stack-rasa-token"
    internal_token = "stack-internal-token"
    action_token = "stack-action-server-token"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['rasa']}"

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['escalation']}"

    @property
    def gateway_headers(self) -> dict[str, str]:
        """What the gateway sends with each post to Rasa's callback webhook."""
        return {CALLBACK_HEADER: self.callback_token}

    def __enter__(self) -> Stack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ports = {n: free_port() for n in ("rasa", "actions", "escalation", "inbox")}
        self.env = process_env(None, **{
            "PYTHONWARNINGS": "ignore",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_URL": self.rasa_url,
            "RASA_TOKEN": self.rasa_token,
            "ESCALATION_URL": self.console_url,
            "ESCALATION_INTERNAL_TOKEN": self.internal_token,
            "ACTION_SERVER_TOKEN": self.action_token,
            "ACTION_QUEUE_PATH": str(self.workdir / "pending_cases.db"),
            "GATEWAY_CALLBACK_TOKEN": self.callback_token,
            "DATABASE_URL": f"sqlite:///{self.workdir}/app.db",
            "SESSION_SECRET": "stack-session-secret",
            "COACH_HOURS": ALWAYS_OPEN,
            "COACH_CLOSED_ON_HOLIDAYS": "0",
            "ESCALATION_SWEEP_INTERVAL_SECONDS": "1",
            **self.settings,
        })
        (self.workdir / "endpoints.yml").write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{self.ports["actions"]}/webhook"\n'
            "  headers:\n    Authorization: Bearer ${ACTION_SERVER_TOKEN}\n"
            'tracker_store:\n  type: bot.rasa_plugins.tracker_store.SQLTrackerStore\n'
            '  dialect: "sqlite"\n'
            f'  db: "{self.workdir}/tracker.db"\n'
            "lock_store:\n  type: in_memory\n"
            "event_broker:\n  type: bot.rasa_plugins.relay_broker.EscalationRelayBroker\n"
            f'  url: "{self.broker_url or self.console_url}"\n',
            encoding="utf-8",
        )
        (self.workdir / "credentials.yml").write_text(
            "bot.rasa_plugins.channels.rest.ValidatedRestInput:\n"
            "bot.rasa_plugins.channels.callback.GatewayCallbackInput:\n"
            f'  url: "http://127.0.0.1:{self.ports["inbox"]}/callback"\n',
            encoding="utf-8",
        )
        for username, password in self.coaches.items():
            subprocess.run(
                bot_command("coach", "create", "--username", username, "--role", "coach",
                            "--password-stdin"),
                input=f"{password}\n".encode(), env=self.env, cwd=ROOT, check=True,
                capture_output=True,
            )
        self.inbox, self._inbox_server = _start_inbox(self.ports["inbox"])
        local = "http://127.0.0.1:{}".format
        specs = [
            ProcessSpec("escalation", bot_command("escalation"),
                        local(self.ports["escalation"]) + "/healthz"),
            ProcessSpec("actions", bot_command("actions", "-p", str(self.ports["actions"])),
                        local(self.ports["actions"]) + "/health"),
            ProcessSpec("rasa", rasa_command("run", "--enable-api",
                                             f"--auth-token={self.rasa_token}",
                                             "--model", str(self.model), "--endpoints",
                                             str(self.workdir / "endpoints.yml"),
                                             "--credentials",
                                             str(self.workdir / "credentials.yml"),
                                             "-i", "127.0.0.1", "-p", str(self.ports["rasa"])),
                        local(self.ports["rasa"]) + "/"),
        ]
        try:
            for spec in specs:
                log = (self.workdir / f"{spec.name}.log").open("wb")
                self.procs[spec.name] = subprocess.Popen(spec.cmd, cwd=ROOT, env=self.env,
                                                         stdout=log, stderr=subprocess.STDOUT)
            for spec in specs:
                self._wait(spec.name, spec.ready_url)
        except Exception:
            self.__exit__()
            raise
        return self

    def _wait(self, name: str, url: str, timeout: float = 180) -> None:
        if not wait_ready(url, self.procs[name], timeout):
            log = self.workdir / f"{name}.log"
            raise RuntimeError(f"{name} not ready: " + log.read_text(errors="replace")[-3000:])

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self._inbox_server is not None:
            self._inbox_server.shutdown()

    def user_says(self, sender: str, text: str) -> float:
        """Post a message on the callback channel; returns the send time."""
        sent = time.monotonic()
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/callback/webhook",
            data=json.dumps({"sender": sender, "message": text}).encode(),
            headers={"Content-Type": "application/json", **self.gateway_headers},
        )
        with urllib.request.urlopen(request, timeout=60) as resp:
            if resp.status != 200:
                raise RuntimeError(f"callback webhook answered {resp.status}")
        return sent
