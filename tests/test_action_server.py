"""The action server behind ACTION_SERVER_TOKEN (`python -m bot actions`), as a real process.

Without the token (or with a wrong one) /webhook and /actions answer 401 and run nothing;
with it, action_escalate runs and reaches the escalation service. Rasa reads the token into
the Authorization header from endpoints.yml (checked with Rasa's own reader here; the
end-to-end tests in tests/e2e and tests/gateway run Rasa against this server).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from bot.ops.runner import wait_ready
from bot.runtimes import bot_command
from tests.conftest import ROOT, free_port

TOKEN = "test-action-server-token-0123456789"


class _Escalation(BaseHTTPRequestHandler):
    """Stand-in for the escalation service's POST /internal/cases: records the cases."""

    cases: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.cases.append((self.headers.get("Authorization", ""), body))
        data = json.dumps({"case_id": "c1", "accepting": False}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("actions")
    escalation = ThreadingHTTPServer(("127.0.0.1", 0), _Escalation)
    threading.Thread(target=escalation.serve_forever, daemon=True).start()
    port = free_port()
    env = {**os.environ, "ACTION_SERVER_TOKEN": TOKEN, "PYTHONWARNINGS": "ignore",
           "ESCALATION_URL": f"http://127.0.0.1:{escalation.server_port}",
           "ESCALATION_INTERNAL_TOKEN": "test-internal", "APP_ENV": "development",
           "DATABASE_URL": f"sqlite:///{workdir}/app.db"}
    log = (workdir / "actions.log").open("wb")
    proc = subprocess.Popen([*bot_command("actions"), "-p", str(port)], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_ready(f"{url}/health", proc, 60):
            raise RuntimeError((workdir / "actions.log").read_text(errors="replace")[-3000:])
        yield {"url": url, "cases": _Escalation.cases}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        escalation.shutdown()


def call(url: str, body: bytes | None = None, headers: dict[str, str] | None = None,
         method: str = "POST") -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def escalate_call(sender: str) -> bytes:
    tracker = {"sender_id": sender, "slots": {"language": "sv"}, "latest_message": {},
               "events": [{"event": "user", "text": "jag vill prata med en människa",
                           "parse_data": {"intent": {"name": "request_human"}},
                           "input_channel": "rest"}],
               "paused": False, "active_loop": {}, "latest_action_name": None}
    return json.dumps({"next_action": "action_escalate", "sender_id": sender,
                       "tracker": tracker, "domain": {}, "version": "3.6.21"}).encode()


def test_without_the_token_nothing_runs(action_server: dict[str, Any]) -> None:
    url, cases = action_server["url"], action_server["cases"]
    before = len(cases)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}, {"Authorization": f"Bearer {TOKEN}x"},
                    {"Authorization": "Bearer "}):
        for path in ("/webhook", "/webhook/"):
            status, body = call(url + path, escalate_call("no-token"), headers)
            assert status == 401, (headers, path, status, body)
        assert call(f"{url}/actions", None, headers, "GET")[0] == 401
    assert call(f"{url}/%77ebhook", escalate_call("x"))[0] == 404  # not a way around it
    assert len(cases) == before  # no case was opened
    assert call(f"{url}/health", None, {}, "GET") == (200, {"status": "ok"})


def test_with_the_token_the_action_runs(action_server: dict[str, Any]) -> None:
    url, cases = action_server["url"], action_server["cases"]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status, actions = call(f"{url}/actions", None, auth, "GET")
    assert status == 200 and {"name": "action_escalate"} in actions
    status, body = call(f"{url}/webhook", escalate_call("with-token"), auth)
    assert status == 200, body
    assert "coach" in body["responses"][0]["text"]  # "ingen coach kan svara" (out of hours)
    assert cases[-1][0] == "Bearer test-internal"
    assert cases[-1][1]["conversation_id"] == "with-token"
    assert cases[-1][1]["trigger"] == "request_human"


def test_a_malformed_call_with_the_token_gets_a_4xx(action_server: dict[str, Any]) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for body in (b"not json", b"[]", b'{"next_action": 5}', b'{"next_action": "action_escalate"}',
                 b'{"next_action": "action_escalate", "tracker": {"sender_id": "a", '
                 b'"events": [1]}}', b'{"next_action": "nope", "tracker": {"sender_id": "a"}}',
                 # rasa-sdk 3.21's tracing reads these even for a call without an action
                 b'{"tracker": null}', b'{"tracker": {"latest_message": null}}',
                 b'{"next_action": "action_escalate", "tracker": {"sender_id": "a", '
                 b'"latest_message": null}}'):
        status, answer = call(f"{action_server['url']}/webhook", body, auth)
        assert 400 <= status < 500, (body, status, answer)
        assert "request_body" not in (answer or {})  # rasa-sdk echoed trackers in errors


@pytest.mark.parametrize("env, message", [
    ({"ACTION_SERVER_TOKEN": ""}, "ACTION_SERVER_TOKEN is not set"),
    ({"ACTION_SERVER_TOKEN": "change-me-action-server-token", "APP_ENV": "production"},
     "placeholder"),
    ({"ACTION_SERVER_TOKEN": "short", "APP_ENV": "production"}, "shorter than 24"),
])
def test_it_refuses_to_start_without_a_usable_secret(env: dict[str, str], message: str) -> None:
    result = subprocess.run([*bot_command("actions"), "-p", str(free_port())],
                            cwd=ROOT, env={**os.environ, "APP_ENV": "development", **env},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr, result.stderr


@pytest.mark.parametrize("endpoints", ["endpoints.yml", "endpoints.prod.yml"])
def test_rasa_sends_the_token_as_a_bearer_header(endpoints: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa's own reader expands ${ACTION_SERVER_TOKEN} in the header."""
    from rasa.utils.endpoints import read_endpoint_config

    for name in re.findall(r"\$\{([A-Z_]+)\}", (ROOT / endpoints).read_text("utf-8")):
        monkeypatch.setenv(name, "1")  # endpoints.prod.yml reads several variables
    monkeypatch.setenv("ACTION_SERVER_TOKEN", TOKEN)
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    config = read_endpoint_config(str(ROOT / endpoints), "action_endpoint")
    assert config is not None and config.headers == {"Authorization": f"Bearer {TOKEN}"}
    assert "token" not in config.combine_parameters()  # not in the URL (no token in logs)


def test_metrics_count_case_requests(action_server: dict[str, Any]) -> None:
    """GET /metrics (Prometheus text, no token needed from loopback): an opened case moves
    the counter; a request relayed by a proxy is refused."""
    from tests.support.metrics import sample

    url = action_server["url"]

    def scrape() -> str:
        with urllib.request.urlopen(f"{url}/metrics", timeout=30) as resp:
            assert resp.status == 200
            return resp.read().decode()

    before = sample(scrape(), "sluta_case_requests_total", outcome="opened")
    status, _ = call(f"{url}/webhook", escalate_call("metrics-case"),
                     {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    text = scrape()
    assert sample(text, "sluta_case_requests_total", outcome="opened") == before + 1
    assert "metrics-case" not in text
    assert call(f"{url}/metrics", None, {"X-Forwarded-For": "198.51.100.4"}, "GET")[0] == 403
