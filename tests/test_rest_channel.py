"""The real Rasa server: REST channel, HTTP API auth, SQLite tracker store, bad input, flood
limit."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.model


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def say(server: dict, sender: str, text: str) -> list[dict[str, Any]]:
    status, body = post(f"{server['url']}/webhooks/rest/webhook",
                        json.dumps({"sender": sender, "message": text}).encode())
    assert status == 200, body
    return body


def test_rest_channel_answers_in_swedish_and_keeps_the_conversation(rasa_server: dict) -> None:
    sender = uuid.uuid4().hex
    greeting = say(rasa_server, sender, "hej")
    assert greeting and "Sluta skjut" in greeting[0]["text"]
    crisis = say(rasa_server, sender, "ja vill inte leva längre")
    assert "90101" in " ".join(m["text"] for m in crisis)
    with sqlite3.connect(rasa_server["db"]) as db:
        rows = db.execute(
            "SELECT type_name FROM events WHERE sender_id = ?", (sender,)
        ).fetchall()
    kinds = [r[0] for r in rows]
    assert kinds.count("user") == 2 and "bot" in kinds


def test_emergency_over_rest_has_112_first(rasa_server: dict) -> None:
    messages = say(rasa_server, uuid.uuid4().hex, "hjälp dom jagar mig med kniv")
    assert "112" in messages[0]["text"].splitlines()[0]


def test_http_api_needs_the_token(rasa_server: dict) -> None:
    sender = uuid.uuid4().hex
    say(rasa_server, sender, "hej")
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(f"{rasa_server['url']}/conversations/{sender}/tracker", timeout=10)
    assert denied.value.code == 401
    url = f"{rasa_server['url']}/conversations/{sender}/tracker?token={rasa_server['token']}"
    with urllib.request.urlopen(url, timeout=10) as resp:
        tracker = json.loads(resp.read())
    assert tracker["sender_id"] == sender


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"sender": "x"}', json.dumps({"message": "hej"}).encode(), b""],
    ids=["malformed", "array", "no-message", "no-sender", "empty-body"],
)
def test_malformed_requests_get_a_4xx_or_an_answer_never_a_crash(
    rasa_server: dict, body: bytes
) -> None:
    status, _ = post(f"{rasa_server['url']}/webhooks/rest/webhook", body)
    assert status < 500
    # the server is still healthy afterwards
    assert say(rasa_server, uuid.uuid4().hex, "hej")


@pytest.mark.parametrize(
    "text", ["", "a" * 10_000, "🙏🙏", "مرحبا", "\u0000\u0007hej"],
    ids=["empty", "10k", "emoji", "arabic", "control"],
)
def test_bad_text_over_rest_gets_a_reply(rasa_server: dict, text: str) -> None:
    messages = say(rasa_server, uuid.uuid4().hex, text)
    assert messages and messages[0]["text"]


def test_a_flooding_conversation_gets_429_and_nothing_more_reaches_rasa(
    rasa_server: dict,
) -> None:
    """REST_RATE_PER_CONVERSATION=20/60 (the default, set by the fixture) on `rasa run`."""
    sender = uuid.uuid4().hex
    url = f"{rasa_server['url']}/webhooks/rest/webhook"
    statuses, refused = [], None
    for _ in range(26):
        request = urllib.request.Request(url, headers={"Content-Type": "application/json"},
                                         data=json.dumps({"sender": sender,
                                                          "message": "hej"}).encode())
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                statuses.append(resp.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
            refused = (exc.headers.get("Retry-After"), json.loads(exc.read()))
    accepted = statuses.count(200)
    assert 20 <= accepted <= 23 and statuses.count(429) == 26 - accepted, statuses
    assert refused is not None and refused[0] == "3"  # 60 s / 20 messages
    assert "112" in refused[1]["sv"] and "112" in refused[1]["en"]
    with sqlite3.connect(rasa_server["db"]) as db:
        users = db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ? AND "
                           "type_name = 'user'", (sender,)).fetchone()[0]
    assert users == accepted  # refused messages never reached the tracker
    assert say(rasa_server, uuid.uuid4().hex, "hej")  # other conversations go on


def test_metrics_of_the_real_server_move_with_a_message(rasa_server: dict) -> None:
    """`rasa run` mounts /metrics from credentials.yml (bot/rasa_plugins/channels/metrics.py):
    a message moves the REST channel's counter and latency; the model is named."""
    from tests.support.metrics import label_values, sample

    def scrape() -> str:
        with urllib.request.urlopen(rasa_server["url"] + "/metrics", timeout=30) as resp:
            assert resp.status == 200
            return resp.read().decode()

    before = scrape()
    sender = uuid.uuid4().hex
    say(rasa_server, sender, "hej")
    after = scrape()
    for name in ("sluta_messages_total", "sluta_message_seconds_count"):
        assert sample(after, name, channel="rest") == sample(before, name, channel="rest") + 1
    models = [line for line in after.splitlines() if line.startswith("sluta_model_info{")]
    assert len(models) == 1 and 'model="model-' in models[0] and models[0].endswith(" 1.0")
    assert sender not in label_values(after)
