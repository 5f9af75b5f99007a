"""Property-based fuzzing of the public input surfaces (hypothesis).

Every public endpoint and every function that reads user text gets arbitrary input: the
answer must be a clear 4xx or a normal answer, never a 5xx or an exception. The number of
inputs tried per target is printed at the end of the module.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import language, privacy, safety
from bot.escalation.app import create_app as create_escalation
from bot.escalation.hours import parse_coach_hours
from bot.escalation.settings import Settings
from bot.gateway.app import create_app as create_gateway
from bot.gateway.settings import ElksSettings, GatewaySettings, TwilioSettings
from bot.textnorm import fold

TRIED: Counter[str] = Counter()
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
        rasa_url="http://127.0.0.1:9", rasa_token="t", secret="fuzz-gateway-secret",
        vault_url=f"sqlite:///{tmp_path}/vault.db", rasa_timeout_seconds=1,
        twilio=TwilioSettings("ACfuzz", "fuzz-twilio-token", "", "http://127.0.0.1:9"),
        elks=ElksSettings("u", "p", "fuzz-elks-secret", "", "http://127.0.0.1:9/a1"),
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
                        ("/sms/46elks/fuzz-elks-secret", {}), ("/sms/46elks/wrong", {})):
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
                              headers={"Content-Type": "application/json"})
    assert resp.status < 500, await resp.text()


def test_rest_channel_validation_never_fails() -> None:
    """The REST channel's validator, on arbitrary JSON bodies (Sanic request stand-in)."""
    from bot.channels.rest import validation_error

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
