"""Property-based fuzzing of the public input surfaces (hypothesis).

Every public endpoint and every function that reads user text gets arbitrary input: the
answer must be a clear 4xx or a normal answer, never a 5xx or an exception. The number of
inputs tried per target is printed at the end of the module.
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import language, privacy, safety
from bot.escalation.app import create_app as create_escalation
from bot.escalation.settings import Settings
from bot.gateway.app import create_app as create_gateway
from bot.gateway.settings import ElksSettings, GatewaySettings, TwilioSettings
from bot.hours import parse_coach_hours
from bot.protocol import CALLBACK_HEADER
from bot.textnorm import fold
from tests.support.sanic_server import serve_sanic

TRIED: Counter[str] = Counter()
# answers per target by status class ("2xx", "4xx"): shows the inputs got past the checks too
ANSWERS: dict[str, Counter[str]] = {}


def answered(target: str, status: int) -> int:
    ANSWERS.setdefault(target, Counter())[f"{status // 100}xx"] += 1
    return status
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,  # same inputs in CI
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
TOKEN = "fuzz-internal-token"
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=12,
)
CASE_KEYS = ["conversation_id", "channel", "language", "trigger", "intents_seen", "summary"]


@FUZZ
@given(st.text(max_size=3000))
def test_text_functions_never_fail(text: str) -> None:
    TRIED["text functions"] += 1
    folded = fold(text)
    assert isinstance(folded, str)
    match = safety.detect(text)
    assert match is None or match.intent in safety.SAFETY_INTENTS
    assert language.detect(text) in {None, "sv", "en"}
    assert isinstance(privacy.scrub(text), str)


@pytest.fixture
async def escalation(tmp_path: Path) -> AsyncIterator[TestClient]:
    app = create_escalation(Settings(
        database_url=f"sqlite:///{tmp_path}/app.db", internal_token=TOKEN,
        rasa_url="http://127.0.0.1:9", rasa_token="x", session_secret="fuzz-session-secret",
        coach_hours=parse_coach_hours("mon=00:00-23:59"), close_on_holidays=False,
        sweep_interval_seconds=3600,
    ))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    yield client
    await client.close()


@FUZZ
@given(body=st.one_of(
    st.binary(max_size=3000),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({k: JSON for k in CASE_KEYS}).map(lambda v: json.dumps(v).encode()),
))
async def test_escalation_internal_api_never_answers_5xx(escalation: TestClient,
                                                         body: bytes) -> None:
    TRIED["escalation /internal/cases"] += 1
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    resp = await escalation.post("/internal/cases", data=body, headers=headers)
    assert resp.status < 500, await resp.text()
    resp = await escalation.post("/internal/conversations/x/messages", data=body,
                                 headers=headers)
    assert resp.status < 500, await resp.text()


@FUZZ
@given(path=st.text(max_size=60), body=st.binary(max_size=500))
async def test_escalation_console_paths_never_answer_5xx(escalation: TestClient, path: str,
                                                         body: bytes) -> None:
    TRIED["escalation console paths"] += 1
    kept = "".join(ch for ch in path if ch.isprintable() and ch not in "?#%\\ ")
    safe = "/" + kept.lstrip("/")
    for method in ("GET", "POST"):
        resp = await escalation.request(method, safe, data=body, allow_redirects=False)
        assert resp.status < 500, (method, safe, resp.status)
        if method == "POST":  # nothing changes state without a login and a CSRF token
            assert resp.status != 200, (safe, await resp.text())


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[TestClient]:
    settings = GatewaySettings(
        rasa_url="http://127.0.0.1:9", secret="fuzz-gateway-secret",
        callback_token="fuzz-callback-token",
        vault_url=f"sqlite:///{tmp_path}/vault.db", rasa_timeout_seconds=1,
        twilio=TwilioSettings("ACfuzz", "fuzz-twilio-token", "", "http://127.0.0.1:9"),
        elks=ElksSettings("u", "p", "fuzz-elks-secret", "", "http://127.0.0.1:9/a1"),
        rate_address=(1_000_000, 60.0),  # every fuzz input comes from 127.0.0.1
    )
    client = TestClient(TestServer(create_gateway(settings), host="127.0.0.1"))
    await client.start_server()
    yield client
    await client.close()


FORM = st.dictionaries(st.sampled_from(["From", "To", "Body", "from", "to", "message", "id",
                                        "MessageSid", "x"]), st.text(max_size=300), max_size=5)


@FUZZ
@given(form=FORM, raw=st.binary(max_size=2000), signature=st.text(max_size=40))
async def test_sms_webhooks_reject_or_answer_never_5xx(gateway: TestClient, form: dict[str, str],
                                                       raw: bytes, signature: str) -> None:
    TRIED["gateway SMS webhooks"] += 1
    sig = "".join(ch for ch in signature if 32 < ord(ch) < 127)
    for path, extra in (("/sms/twilio", {"X-Twilio-Signature": sig}),
                        ("/sms/46elks/fuzz-elks-secret", {}), ("/sms/46elks/wrong", {}),
                        ("/sms/46elks/" + quote(signature or "x", safe=""), {})):
        resp = await gateway.post(path, data=form, headers=extra)
        assert resp.status < 500, (path, await resp.text())
        resp = await gateway.post(path, data=raw, headers={
            **extra, "Content-Type": "application/x-www-form-urlencoded"})
        assert resp.status < 500, (path, await resp.text())
    # unsigned Twilio requests are always refused
    resp = await gateway.post("/sms/twilio", data=form)
    assert resp.status == 403


@FUZZ
@given(body=st.one_of(st.binary(max_size=2000), JSON.map(lambda v: json.dumps(v).encode())))
async def test_rasa_callback_receiver_never_answers_5xx(gateway: TestClient, body: bytes) -> None:
    TRIED["gateway /rasa/callback"] += 1
    resp = await gateway.post("/rasa/callback", data=body,
                              headers={"Content-Type": "application/json",
                                       CALLBACK_HEADER: "fuzz-callback-token"})
    assert resp.status < 500, await resp.text()


def test_rest_channel_validation_never_fails() -> None:
    """The REST channel's validator, on arbitrary JSON bodies (Sanic request stand-in)."""
    from bot.rasa_plugins.channels.rest import validation_error

    class FakeRequest:
        def __init__(self, body: Any) -> None:
            self.json = body

    @FUZZ
    @given(JSON)
    def check(body: Any) -> None:
        TRIED["REST channel validator"] += 1
        result = validation_error(FakeRequest(body))  # type: ignore[arg-type]
        valid = isinstance(body, dict) and isinstance(body.get("message"), str)
        assert (result is None) <= valid
        assert result is None or 400 <= result.status < 500

    check()


# ---- every other public endpoint ----------------------------------------------------------------
#
# Endpoints and what each gets (hypothesis; the counts are printed at the end):
#   escalation service: /internal/* (token header, ids, bodies), /login (form fields, CSRF,
#     next), every console page and coach API as a logged-in admin (bodies, ids, query
#     strings, CSRF header), the case WebSocket (frames); the generic paths test above covers
#     everything without a login
#   gateway: / and /static (query strings, headers, paths), /ws (frames), /rasa/callback and
#     the SMS webhooks (above)
#   Rasa's REST and callback channels: the real blueprints on a real Sanic server (bodies,
#     query strings, content types, proxy headers)
#   action server: /webhook, /actions, /health (token header, bodies, action calls)

PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
HEADER_VALUE = PRINTABLE.map(str.strip)
QUERY = st.dictionaries(st.text(max_size=12), st.text(max_size=60), max_size=4)
BODY = st.one_of(st.binary(max_size=2000), JSON.map(lambda v: json.dumps(v).encode()))
ADMIN_PASSWORD = "fuzz correct horse battery"


@pytest.fixture
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at minimal cost: every failed login verifies a dummy hash."""
    from argon2 import PasswordHasher

    from bot.escalation import login, security

    monkeypatch.setattr(security, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(login, "_dummy_hash", None)


@FUZZ
@given(auth=HEADER_VALUE, conversation=st.text(min_size=1, max_size=60), body=BODY)
async def test_escalation_internal_api_needs_its_token_and_takes_any_id(
        escalation: TestClient, auth: str, conversation: str, body: bytes) -> None:
    TRIED["escalation /internal/* (token, ids, bodies)"] += 1
    cid = quote(conversation, safe="")
    targets = (("GET", f"/internal/conversations/{cid}/case"),
               ("POST", f"/internal/conversations/{cid}/messages"),
               ("POST", f"/internal/gateway/conversations/{cid}/presence"),
               ("POST", "/internal/cases"), ("POST", "/internal/review"))
    for token in (auth, f"Bearer {TOKEN}"):
        for method, path in targets:
            resp = await escalation.request(method, path, data=body, headers={
                "Authorization": token, "Content-Type": "application/json"})
            status = answered("escalation /internal/* (token, ids, bodies)", resp.status)
            assert status < 500, (method, path, await resp.text())
            if token != f"Bearer {TOKEN}":
                assert resp.status in (401, 404), (method, path, resp.status)


@FUZZ
@given(form=st.dictionaries(st.sampled_from(["username", "password", "csrf_token", "next", "x"]),
                            st.text(max_size=200), max_size=5),
       use_csrf=st.booleans(), next_url=st.text(max_size=100))
async def test_login_form_never_answers_5xx_nor_logs_in(
        escalation: TestClient, cheap_hashing: None, form: dict[str, str], use_csrf: bool,
        next_url: str) -> None:
    from bot.escalation.security import SESSION_COOKIE

    TRIED["escalation /login"] += 1
    page = await escalation.get("/login", params={"next": next_url})
    assert page.status == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
    if use_csrf and token:
        form = {**form, "csrf_token": token.group(1)}
    resp = await escalation.post("/login", data=form, allow_redirects=False)
    assert resp.status < 500, await resp.text()
    assert resp.status != 302 and SESSION_COOKIE not in resp.cookies  # nobody logged in


@dataclass
class Console:
    """A logged-in admin on a running escalation service with one open case."""

    client: TestClient
    csrf: str
    case_id: str
    rasa_calls: list[str]


@pytest.fixture
async def console(tmp_path: Path, cheap_hashing: None) -> AsyncIterator[Console]:
    from aiohttp import web

    from bot.escalation import keys, security

    calls: list[str] = []

    async def tracker(request: web.Request) -> web.Response:
        calls.append(request.path)
        return web.json_response({"sender_id": request.match_info["cid"], "events": []})

    rasa_app = web.Application()
    rasa_app.router.add_route("*", "/conversations/{cid}/tracker{tail:.*}", tracker)
    rasa = TestServer(rasa_app, host="127.0.0.1")
    await rasa.start_server()
    nlu = tmp_path / "nlu"
    nlu.mkdir()
    app = create_escalation(Settings(
        database_url=f"sqlite:///{tmp_path}/app.db", internal_token=TOKEN,
        rasa_url=str(rasa.make_url("")).rstrip("/"), rasa_token="x",
        session_secret="fuzz-session-secret", coach_hours=parse_coach_hours("mon=00:00-23:59"),
        close_on_holidays=False, sweep_interval_seconds=3600, rasa_timeout_seconds=2,
        nlu_dir=str(nlu), tracker_db_url=f"sqlite:///{tmp_path}/tracker.db",
    ))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    store = app[keys.STORE]
    await store.run(store.create_coach, "fuzzadmin", security.hash_password(ADMIN_PASSWORD),
                    "admin")
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
    assert token
    resp = await client.post("/login", allow_redirects=False, data={
        "username": "fuzzadmin", "password": ADMIN_PASSWORD, "csrf_token": token.group(1),
        "next": "/queue"})
    assert resp.status == 302, await resp.text()
    meta = re.search(r'<meta name="csrf-token" content="([^"]*)">',
                     await (await client.get("/queue")).text())
    assert meta
    resp = await client.post("/internal/cases", headers={"Authorization": f"Bearer {TOKEN}"},
                             json={"conversation_id": "fuzz-conversation", "channel": "rest",
                                   "language": "sv", "trigger": "request_human",
                                   "intents_seen": ["request_human"], "summary": "fuzz"})
    assert resp.status in (200, 201), await resp.text()
    case_id = (await resp.json())["case_id"]
    yield Console(client, meta.group(1), case_id, calls)
    await client.close()
    await rasa.close()


CONSOLE_POSTS = ["/api/presence", "/api/cases/{case}/claim", "/api/cases/{case}/messages",
                 "/api/cases/{case}/handback", "/api/cases/{case}/close",
                 "/api/cases/{case}/events/1/flag", "/admin/canned", "/admin/canned/1",
                 "/admin/canned/1/delete", "/review/action", "/api/cases/{case}/notes",
                 "/api/cases/{case}/transfer", "/api/cases/{case}/export"]
CONSOLE_GETS = ["/", "/queue", "/cases/{case}", "/admin/canned", "/api/queue", "/api/canned",
                "/api/cases/{case}", "/api/cases/{case}/transcript", "/review", "/admin/stats",
                "/admin/stats.csv", "/admin/stats/{case}.png", "/favicon.ico", "/healthz",
                "/desk", "/api/colleagues"]


@FUZZ
@given(post=st.sampled_from(CONSOLE_POSTS), get=st.sampled_from(CONSOLE_GETS),
       case=st.one_of(st.none(), st.text(min_size=1, max_size=40)),
       body=st.one_of(BODY, st.dictionaries(st.sampled_from(
           ["text", "outcome", "note", "status", "title", "intent", "action", "ids", "to",
            "csrf_token"]), st.text(max_size=100), max_size=4)),
       query=QUERY, use_csrf=st.booleans())
async def test_logged_in_console_never_answers_5xx(
        console: Console, post: str, get: str, case: str | None,
        body: bytes | dict[str, str], query: dict[str, str], use_csrf: bool) -> None:
    TRIED["escalation console as a logged-in admin"] += 1
    client = console.client
    case_part = console.case_id if case is None else quote(case, safe="")
    headers = {"X-CSRF-Token": console.csrf} if use_csrf else {}
    if isinstance(body, dict) and use_csrf:
        body = {**body, "csrf_token": console.csrf}
    resp = await client.post(post.format(case=case_part), data=body, headers=headers,
                             allow_redirects=False)
    status = answered("escalation console as a logged-in admin", resp.status)
    assert status < 500, (post, await resp.text())
    resp = await client.get(get.format(case=case_part), params=query, allow_redirects=False)
    status = answered("escalation console as a logged-in admin", resp.status)
    assert status < 500, (get, query, await resp.text())
    # state intact: still logged in, the service answers, the case still exists
    resp = await client.get(f"/api/cases/{console.case_id}")
    assert resp.status == 200, await resp.text()


@FUZZ
@given(frame=st.one_of(
    st.text(max_size=300), JSON.map(json.dumps),
    st.fixed_dictionaries({"type": st.sampled_from(["message", "ping", "x"]) | st.text(max_size=8)},
                          optional={"text": JSON, "case_id": JSON}).map(json.dumps)))
async def test_console_case_socket_never_fails(console: Console, frame: str) -> None:
    TRIED["escalation /ws/cases/{id} frames"] += 1
    ws = await console.client.ws_connect(f"/ws/cases/{console.case_id}?csrf={console.csrf}")
    try:
        await ws.send_str(frame)
        await ws.send_json({"type": "ping"})
        while True:
            msg = await ws.receive(timeout=10)
            assert msg.type == WSMsgType.TEXT, (frame, msg)  # not closed by a crash
            if msg.json().get("type") == "pong":
                break
    finally:
        await ws.close()


@FUZZ
@given(query=QUERY, path=st.text(max_size=40),
       headers=st.dictionaries(st.sampled_from(["Accept-Language", "X-Forwarded-For", "Accept",
                                                "User-Agent", "Cookie", "Range"]),
                               HEADER_VALUE, max_size=3))
async def test_web_chat_page_and_static_files_never_answer_5xx(
        gateway: TestClient, query: dict[str, str], path: str, headers: dict[str, str]) -> None:
    TRIED["gateway / and /static"] += 1
    resp = await gateway.get("/", params=query, headers=headers)
    assert resp.status == 200 and "text/html" in resp.headers["Content-Type"]
    resp = await gateway.get("/static/" + quote(path, safe="/"), headers=headers)
    assert resp.status < 500, (path, resp.status)
    assert (await gateway.get("/healthz", params=query)).status == 200


WEB_FRAME = st.fixed_dictionaries(
    {"type": st.sampled_from(["hello", "message", "language", "ping", "x"]) | st.text(max_size=8)},
    optional={"token": st.sampled_from(["a" * 40]) | JSON, "text": JSON,
              "payload": st.sampled_from(["/affirm", "/greet"]) | JSON,
              "lang": st.sampled_from(["sv", "en"]) | JSON, "fresh": JSON,
              "id": st.from_regex(r"[A-Za-z0-9_-]{8,64}", fullmatch=True) | JSON,
              "resend": JSON})


@FUZZ
@given(frame=st.one_of(st.text(max_size=300), JSON.map(json.dumps), WEB_FRAME.map(json.dumps)),
       binary=st.binary(max_size=50), hello=st.booleans())
async def test_web_chat_socket_never_fails(gateway: TestClient, frame: str,
                                           binary: bytes, hello: bool) -> None:
    TRIED["gateway /ws frames"] += 1
    ws = await gateway.ws_connect("/ws")
    try:
        if hello:  # a conversation is open: message frames reach the ids and the limits
            await ws.send_json({"type": "hello", "token": "a" * 40, "fresh": True})
        await ws.send_bytes(binary)
        await ws.send_str(frame)
        await ws.send_json({"type": "ping"})
        while True:
            msg = await ws.receive(timeout=10)
            assert msg.type == WSMsgType.TEXT, (frame, msg)  # not closed by a crash
            data = msg.json()
            assert data.get("code") != "internal", frame  # an exception in the handler
            if data.get("type") == "pong":
                break
    finally:
        await ws.close()


RASA_CALLBACK_TOKEN = "fuzz-rasa-callback-token-0123456789"


@pytest.fixture
async def rasa_channels(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """Rasa's REST and callback channels (real blueprints, real Sanic server); the callback
    channel's answers go to a small receiver in the same loop."""
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    from bot.rasa_plugins.channels.callback import GatewayCallbackInput
    from bot.rasa_plugins.channels.rest import ValidatedRestInput
    from tests.sanic_channels import serve_channels

    monkeypatch.setenv("REST_RATE_PER_CONVERSATION", "1000000/60")  # limits: see
    monkeypatch.setenv("REST_RATE_PER_ADDRESS", "1000000/60")  # tests/test_channel_limits.py
    monkeypatch.setenv("GATEWAY_CALLBACK_TOKEN", RASA_CALLBACK_TOKEN)
    monkeypatch.delenv("RASA_REST_GATEWAY_ONLY", raising=False)

    async def receive(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="ok")

    receiver_app = web.Application()
    receiver_app.router.add_post("/rasa/callback", receive)
    receiver = TestServer(receiver_app, host="127.0.0.1")
    await receiver.start_server()
    callback = GatewayCallbackInput(EndpointConfig(str(receiver.make_url("/rasa/callback"))))
    async with serve_channels([ValidatedRestInput(), callback]) as served:
        yield served
    await receiver.close()


MESSAGE_BODY = st.fixed_dictionaries(
    {"message": st.text(max_size=300) | JSON},
    optional={"sender": st.text(max_size=140) | JSON, "metadata": JSON,
              "input_channel": st.text(max_size=10) | JSON},
).map(lambda v: json.dumps(v).encode())
# well-formed, so the accepted path (and ?stream=true) gets arbitrary text too
GOOD_MESSAGE = st.fixed_dictionaries(
    {"sender": st.text(min_size=1, max_size=40).filter(str.strip),
     "message": st.text(max_size=500)},
    optional={"metadata": st.dictionaries(st.text(max_size=8), JSON, max_size=3)},
).map(lambda v: json.dumps(v).encode())


@FUZZ
@given(body=st.one_of(BODY, MESSAGE_BODY, GOOD_MESSAGE),
       query=st.dictionaries(st.sampled_from(["stream", "token", "x"]), st.text(max_size=20),
                             max_size=2),
       content_type=st.sampled_from(["application/json", "text/plain", ""]) | HEADER_VALUE,
       forwarded=HEADER_VALUE,
       secret=st.sampled_from([RASA_CALLBACK_TOKEN, None, ""]) | HEADER_VALUE)
async def test_rasa_rest_and_callback_channels_never_answer_5xx(
        rasa_channels: Any, body: bytes, query: dict[str, str], content_type: str,
        forwarded: str, secret: str | None) -> None:
    TRIED["Rasa REST + callback channels (real blueprints)"] += 1
    headers = {"Content-Type": content_type, "X-Forwarded-For": forwarded}
    if secret is not None:
        headers[CALLBACK_HEADER] = secret
    async with aiohttp.ClientSession() as http:
        for path in ("/webhooks/rest/webhook", "/webhooks/callback/webhook"):
            before = len(rasa_channels.agent.received)
            async with http.post(rasa_channels.url + path, data=body, params=query,
                                 headers=headers) as resp:
                text = await resp.text()
                status = answered("Rasa REST + callback channels (real blueprints)", resp.status)
                assert status < 500, (path, body, text)
            if path.startswith("/webhooks/callback") and secret != RASA_CALLBACK_TOKEN:
                assert status == 403, (path, secret, status)  # only the gateway posts there
            # a message reaches the assistant exactly when the channel accepted it
            assert len(rasa_channels.agent.received) == before + (resp.status == 200), \
                (path, resp.status, text)


ACTION_TOKEN = "fuzz-action-server-token-0123456789"
TRACKER = st.fixed_dictionaries(
    {"sender_id": st.text(max_size=40)},
    optional={"slots": st.dictionaries(st.text(max_size=10), JSON, max_size=3),
              "events": st.lists(st.dictionaries(st.sampled_from(
                  ["event", "text", "parse_data", "name", "input_channel"]),
                  st.sampled_from(["user", "action", "session_started"]) | JSON, max_size=4),
                  max_size=5),
              "latest_message": JSON, "paused": JSON, "active_loop": JSON,
              "latest_action_name": JSON})
ACTION_CALL = st.one_of(
    st.fixed_dictionaries(
        {"next_action": st.sampled_from(["action_escalate", "", "action_listen"]) | JSON},
        optional={"tracker": TRACKER | JSON, "domain": JSON, "version": JSON,
                  "sender_id": JSON}),
    # the shape Rasa sends, with arbitrary tracker contents: the action itself must cope
    st.fixed_dictionaries({"next_action": st.just("action_escalate"), "tracker": TRACKER,
                           "domain": st.just({}), "version": st.just("3.6.21")}),
).map(lambda v: json.dumps(v).encode())


@pytest.fixture
async def action_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """bot.action_server's app on a real Sanic server in this loop; action_escalate reaches a
    small escalation stand-in (the real service's API is fuzzed above)."""
    from aiohttp import web
    from sanic import Sanic

    from bot.action_server import create_app

    async def open_case(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"case_id": "c", "accepting": False}, status=201)

    stub_app = web.Application()
    stub_app.router.add_post("/internal/cases", open_case)
    stub = TestServer(stub_app, host="127.0.0.1")
    await stub.start_server()
    monkeypatch.setenv("ESCALATION_URL", str(stub.make_url("")).rstrip("/"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/app.db")
    Sanic.test_mode = True
    try:
        async with serve_sanic(create_app(ACTION_TOKEN)) as url:
            yield url
    finally:
        await stub.close()


@FUZZ
@given(body=st.one_of(BODY, ACTION_CALL),
       auth=st.sampled_from([None, f"Bearer {ACTION_TOKEN}", "Bearer wrong"]) | HEADER_VALUE,
       path=st.sampled_from(["/webhook", "/actions", "/health", "/webhook/"]) | st.text(
           st.characters(min_codepoint=33, max_codepoint=126), max_size=20).map(
           lambda p: "/" + quote(p, safe="/")),
       encoding=st.sampled_from(["plain", "deflate", "not-deflate"]))
async def test_action_server_needs_its_token_and_never_answers_5xx(
        action_server: str, body: bytes, auth: str | None, path: str, encoding: str) -> None:
    TRIED["action server (token, action calls)"] += 1
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = auth
    if encoding != "plain":  # rasa-sdk inflates a deflate body itself
        headers["Content-Encoding"] = "deflate"
        body = zlib.compress(body) if encoding == "deflate" else body
    authorised = {**headers, "Authorization": f"Bearer {ACTION_TOKEN}"}
    attempts = [("POST", path, headers), ("GET", path, headers),
                ("POST", "/webhook", authorised)]  # the same body past the token check
    async with aiohttp.ClientSession() as http:
        for method, where, sent in attempts:
            async with http.request(method, action_server + where, data=body,
                                    headers=sent) as resp:
                text = await resp.text()
                status = answered("action server (token, action calls)", resp.status)
                assert status < 500, (method, where, body, text)
                if where.rstrip("/") in ("/webhook", "/actions") and \
                        sent.get("Authorization") != f"Bearer {ACTION_TOKEN}":
                    assert status in (401, 405), (method, where, status)
