""""Menade du ...?" through the real trained assistant (Agent, real pipeline and policies).

The guesses come from the classifier (bot/nlu/did_you_mean.py), the button titles from the
content file's `intent_titles`, the answer from the rephrase response's `did_you_mean` form.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bot import content
from bot.rasa_plugins.nlu.did_you_mean import NEVER_OFFERED, choices_from_ranking, slot_names

pytestmark = pytest.mark.model

SAFETY = {"crisis_suicidal", "emergency_danger"}
# messages between topics, written for this test: which of them the model is unsure about
# depends on the model, so the test finds them by parsing and requires at least one
UNCLEAR = [
    "de e så mycket nu med para och stället jag bor på och skolan",
    "vet inte riktigt vad jag ska fråga om",
    "grejen med dom där och allt det andra",
    "asså allt e rörigt med typ folk och pengar",
    "hjälp mig med det där du vet",
    "it's complicated, money and where i stay and stuff",
    "idk what to ask, its about them and everything",
    "kan ni fixa det med grejen",
]


def _fallback_payload(guesses: list[str]) -> str:
    """What the pipeline yields for an unclear message with these guesses, as a payload."""
    titles = content.load().intent_titles
    entities: dict[str, str] = {"dym_count": str(len(guesses))}
    for k, intent in enumerate(guesses, 1):
        intent_slot, sv_slot, en_slot = slot_names(k)
        entities.update({intent_slot: intent, sv_slot: titles[intent]["sv"],
                         en_slot: titles[intent]["en"]})
    return "/nlu_fallback" + json.dumps(entities, ensure_ascii=False)


def _buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in messages for b in m.get("buttons") or []]


def test_guesses_never_include_a_safety_intent_or_chitchat() -> None:
    ranking = [{"name": "crisis_suicidal", "confidence": 0.4},
               {"name": "emergency_danger", "confidence": 0.2},
               {"name": "greet", "confidence": 0.15},
               {"name": "help_debt", "confidence": 0.12},
               {"name": "help_housing", "confidence": 0.09},
               {"name": "ask_help_options", "confidence": 0.05}]
    assert choices_from_ranking(ranking) == ["help_debt", "help_housing"]
    assert not SAFETY & set(content.load().intent_titles)
    assert SAFETY <= NEVER_OFFERED


def test_an_unclear_message_gets_its_guesses_as_buttons_in_plain_words(
    agent: Any, conversation: Any,
) -> None:
    parses = [asyncio.run(agent.parse_message(t)) for t in UNCLEAR]
    offered = [(t, p) for t, p in zip(UNCLEAR, parses, strict=True)
               if p["intent"]["name"] == "nlu_fallback"
               and any(e["entity"] == "dym_intent_1" for e in p["entities"])]
    assert offered, [(t, p["intent"]) for t, p in zip(UNCLEAR, parses, strict=True)]
    text, parse = offered[0]
    guesses = [e["value"] for e in sorted(
        (e for e in parse["entities"] if e["entity"].startswith("dym_intent_")),
        key=lambda e: e["entity"])]
    ranked = [r["name"] for r in parse["intent_ranking"] if r["name"] in guesses]
    assert guesses == ranked and 1 <= len(guesses) <= 3 and not SAFETY & set(guesses)
    titles = content.load().intent_titles
    messages = conversation.say(text)
    assert "Menade du" in messages[0]["text"] and "112" in messages[0]["text"]
    assert [(b["title"], b["payload"]) for b in _buttons(messages)] == [
        (titles[g]["sv"], f"/{g}") for g in guesses
    ] + [("Något annat", "/deny"), ("Prata med en människa", "/request_human")]


def test_english_conversation_gets_english_guesses(conversation: Any) -> None:
    conversation.say("hi, can we talk in english")
    messages = conversation.say(_fallback_payload(["help_debt", "fear_retaliation"]))
    assert "Did you mean" in messages[0]["text"]
    # Rasa's payload parser lowers the entity values sent here; from the pipeline (the test
    # above) the titles keep their case
    assert [b["title"].casefold() for b in _buttons(messages)] == [
        "debts", "scared of revenge", "something else", "talk to a person"]


def test_tapping_a_guess_answers_that_topic(conversation: Any, domain_responses: Any) -> None:
    messages = conversation.say(_fallback_payload(["help_housing", "help_debt", "ask_call_in"]))
    assert len(_buttons(messages)) == 5
    answer = conversation.texts(_buttons(messages)[1]["payload"])
    debt_texts = {v["text"] for v in domain_responses["utter_help_debt"]}
    assert answer and answer[0] in debt_texts


def test_something_else_asks_in_own_words_then_offers_people(conversation: Any) -> None:
    messages = conversation.say(_fallback_payload(["help_debt"]))
    assert [b["payload"] for b in _buttons(messages)] == ["/help_debt", "/deny", "/request_human"]
    free = conversation.texts("/deny")
    assert free and "egna ord" in free[0]
    people = "\n".join(conversation.texts("/nlu_fallback"))
    assert "114 14" in people and "112" in people


def test_a_plain_rephrase_never_shows_old_guesses(conversation: Any) -> None:
    conversation.say(_fallback_payload(["help_debt", "help_housing"]))
    conversation.say("hej")  # a clear message: the guesses are cleared
    again = conversation.say("/nlu_fallback")
    assert "Menade du" not in again[0]["text"]
    assert "/help_debt" not in [b["payload"] for b in _buttons(again)]


def test_no_guesses_during_a_safety_conversation(conversation: Any) -> None:
    crisis = "\n".join(conversation.texts("jag vill inte leva längre"))
    assert "90101" in crisis
    reply = conversation.say(_fallback_payload(["help_debt", "help_mental_health"]))
    assert reply and all("Menade du" not in m.get("text", "") for m in reply)
    assert "/help_debt" not in [b["payload"] for b in _buttons(reply)]
