""""Menade du ...?": when the classifier falls back, offer its best guesses as buttons.

Rasa's two-stage fallback asks about one intent at a time through a custom action; here the
NLU pipeline does it with nothing but the Rasa server, like the language slot: after the
safety net, a fallback message gets `dym_*` entities (the top one to three answerable intents
and their plain-word titles from data/content/content.yml, Swedish and English), Rasa's slot
mapping copies them into slots, and `utter_did_you_mean` (rendered from the content file) fills
its buttons from those slots. A button's payload is the intent itself (`/help_debt`), so a
choice is answered by the intent's own rule and seen by the review inbox as a label.

Never offered: a safety intent as a choice, nor anything for a message the safety net flagged
(the safety dialogue owns those turns; its policy also outranks the rules during a safety
conversation). Chitchat (hej, tack, ja, nej) is no useful "did you mean" either.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from bot import content, safety_actions
from bot.protocol import DID_YOU_MEAN_COUNT_ENTITY as COUNT_ENTITY
from bot.protocol import DID_YOU_MEAN_MAX_CHOICES as MAX_CHOICES
from bot.protocol import did_you_mean_slot_names as slot_names
from bot.rasa_plugins.nlu.components import FALLBACK_INTENT, SAFETY_RULE, _ConfiguredComponent

MIN_CONFIDENCE = 0.08  # a guess below this share of the classifier's belief is no real candidate
NEVER_OFFERED = frozenset({
    "crisis_suicidal", "emergency_danger",  # the safety dialogue asks directly, never a button
    FALLBACK_INTENT, "out_of_scope", "unsupported_input", "switch_to_english",
    "switch_to_swedish", "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge",
})


@lru_cache(maxsize=1)
def titles() -> dict[str, dict[str, str]]:
    """Plain-word button titles per intent, from the content file's `intent_titles`."""
    return content.load().intent_titles


def choices_from_ranking(ranking: list[dict[str, Any]],
                         offerable: frozenset[str] | None = None) -> list[str]:
    """The top answerable intents of a ranking worth offering (at most three)."""
    allowed = offerable if offerable is not None else frozenset(titles())
    picked = [r["name"] for r in ranking
              if r.get("name") in allowed and r.get("name") not in NEVER_OFFERED
              and float(r.get("confidence") or 0) >= MIN_CONFIDENCE]
    return picked[:MAX_CHOICES]


def _flagged_for_safety(message: Message) -> bool:
    signal = message.get(safety_actions.SIGNAL_KEY) or {}
    return bool(message.get(SAFETY_RULE)) or signal.get("kind") in {"crisis", "danger"}


def _entity(name: str, value: str, text_len: int) -> dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": text_len,
            "confidence_entity": 1.0, "extractor": DidYouMean.__name__}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class DidYouMean(_ConfiguredComponent):
    """Puts the best guesses of a fallback message into `dym_*` entities (see module doc)."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            fell_back = (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == FALLBACK_INTENT
            # a count on every message: an old guess must never reappear in a later rephrase
            picked = choices_from_ranking(message.get(INTENT_RANKING_KEY) or []) if (
                fell_back and not _flagged_for_safety(message)) else []
            text_len = len(message.get("text") or "")
            entities = [e for e in message.get(ENTITIES, [])
                        if not str(e.get("entity", "")).startswith("dym_")]
            entities.append(_entity(COUNT_ENTITY, str(len(picked)), text_len))
            for k, intent in enumerate(picked, start=1):
                names = slot_names(k)
                entities.append(_entity(names[0], intent, text_len))
                for name, lang in zip(names[1:], content.LANGUAGES, strict=True):
                    entities.append(_entity(name, titles()[intent][lang], text_len))
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
