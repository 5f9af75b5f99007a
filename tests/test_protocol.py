"""The protocol between processes never depends on a text in the content file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import content, protocol
from bot.clients.rasa import RasaClient
from bot.gateway.conversation import CoachTracker, history
from bot.rasa_plugins.channels.callback import GatewayCallbackOutput


def _edited_content(tmp_path: Path) -> Path:
    """A copy of the content file with every hand-back text rewritten."""
    data = yaml.safe_load(content.CONTENT_PATH.read_text(encoding="utf-8"))
    for name in ("utter_coach_handed_back", "utter_coach_closed", "utter_coach_user_left"):
        data["answers"][name] = {"sv": f"Helt ny text {name}", "en": f"New text {name}"}
    path = tmp_path / "content.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _notices(events: list[dict[str, Any]]) -> list[str]:
    """The page's "joined" notices and its "the coach has left" lines (the marked goodbye)."""
    return [i["kind"] if i["type"] == "notice" else "coach_left" for i in history(events)
            if i["type"] == "notice" or i.get("handoff")]


def test_editing_the_content_text_does_not_change_the_hand_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session = [{"event": "bot", "text": "Hej, coach här.", "metadata": {"coach": True}},
               {"event": "bot", "text": content.text("utter_coach_handed_back", "sv"),
                "metadata": protocol.handoff_ended(protocol.HANDED_BACK)}]
    before = _notices(session)
    first = CoachTracker()
    live_before = [first.notice("w", {"text": e["text"], **e["metadata"]}) for e in session]
    monkeypatch.setattr(content, "CONTENT_PATH", _edited_content(tmp_path))
    edited = [session[0], {**session[1],
                           "text": content.text("utter_coach_handed_back", "sv",
                                                path=content.CONTENT_PATH)}]
    assert edited[1]["text"].startswith("Helt ny text")
    assert _notices(edited) == before == ["coach_joined", "coach_left"]
    tracker = CoachTracker()
    assert [tracker.notice("w", {"text": e["text"], **e["metadata"]}) for e in edited] == \
        live_before == ["coach_joined", None]
    # and the old text without the event is just a bot message
    assert _notices([session[0], {"event": "bot", "text": session[1]["text"]}]) == \
        ["coach_joined"]


def test_leave_words_are_one_list() -> None:
    for word in protocol.LEAVE_WORDS:
        assert protocol.leave_word(f"  {word.upper()} ") == word
    assert protocol.leave_word("jag vill sluta med allt") is None
    assert protocol.leave_word("avsluta!") is None  # the whole message, as typed
    assert protocol.LEAVE_WORD in protocol.LEAVE_WORDS


async def test_resume_marks_the_end_of_the_hand_off(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Any] = []

    async def record(self: RasaClient, conversation_id: str, events: list[Any],
                     channel: str | None = "latest") -> None:
        sent.append(events)

    monkeypatch.setattr(RasaClient, "append_events", record)
    await RasaClient("http://127.0.0.1:1", "t").resume("c", "valfri text", None,
                                                        protocol.USER_LEFT)
    assert sent[0][-1]["metadata"] == {"handoff": "ended", "reason": "user_left"}


async def test_callback_channel_forwards_the_hand_off_as_one_message() -> None:
    posted: list[dict[str, Any]] = []

    class Recorder(GatewayCallbackOutput):
        async def _persist_message(self, message: dict[str, Any]) -> None:
            posted.append(message)

    out = Recorder.__new__(Recorder)
    out.messages = []
    await out.send_text_message("web-x", "Första.\n\nAndra.",
                                **protocol.handoff_ended(protocol.CLOSED))
    # the goodbye is one message (the page shows it as one line), with the event on it
    assert [(m["text"], m.get("handoff")) for m in posted] == [("Första.\n\nAndra.", "ended")]
    posted.clear()
    await out.send_text_message("web-x", "Första.\n\nAndra.", coach=True)
    assert [(m["text"], m.get("coach")) for m in posted] == [("Första.", True), ("Andra.", True)]
