"""action_escalate against real Tracker objects and the real escalation service.

The escalation service runs for real (aiohttp app factory, SQLite in tmp); the action talks
to it over HTTP exactly as in production. Rasa itself is not needed for an action test.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.escalation import ActionEscalate, case_request, trigger_for
from bot import content
from bot.case_request import PendingCases, drain
from bot.clients.escalation import EscalationClient
from bot.escalation import keys, texts
from bot.escalation.app import create_app
from bot.escalation.settings import Settings
from bot.hours import parse_coach_hours
from bot.settings import load

TOKEN = "actions-test-token"


def user(text: str, intent: str, channel: str = "rest") -> dict[str, Any]:
    return {"event": "user", "text": text, "input_channel": channel,
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": []}}


def make_tracker(*turns: tuple[str, str], language: str = "sv",
                 sender: str = "conv-1") -> Tracker:
    events: list[dict[str, Any]] = [{"event": "session_started"}]
    for text, intent in turns:
        events.append(user(text, intent))
        events.append({"event": "action", "name": "utter_x"})
    return Tracker(sender, {"language": language}, events[-2]["parse_data"], events, False,
                   None, None, "action_listen")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def escalation_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> dict[str, str]:
    port = free_port()
    db = f"sqlite:///{tmp_path}/app.db"
    monkeypatch.setenv("ESCALATION_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ESCALATION_INTERNAL_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.setenv("ESCALATION_TIMEOUT", "2")
    monkeypatch.setenv("ACTION_QUEUE_PATH", str(tmp_path / "pending_cases.db"))
    return {"port": str(port), "db": db}


async def start_service(aiohttp_server: Any, env: dict[str, str], coach_online: bool) -> Any:
    settings = Settings(
        database_url=env["db"], internal_token=TOKEN, rasa_url="http://127.0.0.1:9",
        rasa_token="x", session_secret="s", coach_hours=parse_coach_hours(
            "mon=00:00-23:59,tue=00:00-23:59,wed=00:00-23:59,thu=00:00-23:59,"
            "fri=00:00-23:59,sat=00:00-23:59,sun=00:00-23:59"),
        close_on_holidays=False, sweep_interval_seconds=0.2,
    )
    app = create_app(settings)
    server = await aiohttp_server(app, port=int(env["port"]))
    if coach_online:
        store = app[keys.STORE]
        coach = await store.run(store.create_coach, "anna", "x", "coach")
        await store.run(store.set_presence, coach.id, "online")
        await store.run(store.touch, coach.id)
    return app, server


def test_trigger_is_the_most_urgent_intent_of_the_session() -> None:
    tracker = make_tracker(("ja har skulder", "help_debt"), ("vill inte leva", "crisis_suicidal"),
                           ("kan ja prata me nån", "request_human"))
    assert trigger_for(tracker) == "crisis_suicidal"
    assert trigger_for(make_tracker(("prata me nån", "request_human"))) == "request_human"


def test_summary_is_scrubbed_and_short() -> None:
    tracker = make_tracker(("ring mig på 070-123 45 67 eller mejla a.b@c.se", "request_human"),
                           ("mitt personnummer e 20050101-1234", "ask_anonymity"))
    payload = case_request(tracker)
    assert "070" not in payload["summary"] and "a.b@c.se" not in payload["summary"]
    assert "20050101" not in payload["summary"]
    assert "[telefon]" in payload["summary"] and len(payload["summary"]) <= 1000
    assert payload["channel"] == "rest" and payload["conversation_id"] == "conv-1"


async def test_coach_online_pauses_the_bot_and_tells_the_wait(
    escalation_env: dict[str, str], aiohttp_server: Any
) -> None:
    app, _ = await start_service(aiohttp_server, escalation_env, coach_online=True)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(("dom hotar min familj", "fear_retaliation"),
                           ("ja", "affirm"), language="en", sender="conv-online")
    events = await ActionEscalate().run(dispatcher, tracker, {})
    assert [e["event"] for e in events] == ["pause"]
    text = dispatcher.messages[0]["text"]
    assert "has gone to a coach" in text and "can take longer" in text and "112" in text
    store = app[keys.STORE]
    case = await store.run(store.open_case_for, "conv-online")
    assert case is not None and case.priority == 2 and case.language == "en"


async def test_no_coach_online_is_said_honestly_and_the_case_is_kept(
    escalation_env: dict[str, str], aiohttp_server: Any
) -> None:
    app, _ = await start_service(aiohttp_server, escalation_env, coach_online=False)
    dispatcher = CollectingDispatcher()
    events = await ActionEscalate().run(
        dispatcher, make_tracker(("vill prata me en människa", "request_human"),
                                 sender="conv-offline"), {})
    assert events == []
    hours = Settings.from_env().hours_text("sv")  # the real COACH_HOURS, not the placeholder
    assert dispatcher.messages[0]["text"] == content.text("utter_coach_unavailable", "sv",
                                                          hours=hours)
    assert "{hours}" not in dispatcher.messages[0]["text"]
    store = app[keys.STORE]
    assert await store.run(store.open_case_for, "conv-offline") is not None


async def test_service_down_gives_numbers_now_and_the_case_appears_when_it_is_back(
    escalation_env: dict[str, str], aiohttp_server: Any
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(("ja vill dö", "crisis_suicidal"), sender="conv-down")
    events = await ActionEscalate().run(dispatcher, tracker, {})
    assert events == []
    text = dispatcher.messages[0]["text"]
    assert text == content.text("utter_escalation_failed", "sv")
    assert "90101" in text and "112" in text
    # the request waits in the action server's own retry queue, not in the service's database
    assert [p["conversation_id"] for _, p, _ in PendingCases().entries()] == ["conv-down"]
    # the service comes back: the action server's retry pass (every few seconds) delivers it
    app, _ = await start_service(aiohttp_server, escalation_env, coach_online=False)
    store = app[keys.STORE]
    settings = load()
    async with EscalationClient(settings.escalation_url,
                                settings.escalation_internal_token) as client:
        assert await drain(PendingCases(), client) == 1
    case = await store.run(store.open_case_for, "conv-down")
    assert case is not None and case.priority == 1
    assert PendingCases().entries() == []
    # the coach reads that the user was told the request was saved
    assert texts.FROM_RETRY_QUEUE in [e.text for e in await store.run(store.events, case.id)]
