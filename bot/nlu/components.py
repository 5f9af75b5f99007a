"""Custom Rasa NLU components: input guard, language detector and the safety net.

They live in the Rasa pipeline (config.yml) so they work with nothing but the Rasa server
running: no action server, no escalation service. Order in config.yml matters:
InputGuard first (before tokenisation), LanguageDetector anywhere, SafetyNet last (after the
FallbackClassifier, so it can overrule a fallback).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import language, safety
from bot.textnorm import clean_control, letter_scripts, strip_diacritics

UNSUPPORTED_INTENT = "unsupported_input"
FALLBACK_INTENT = "nlu_fallback"
INPUT_ISSUE = "input_issue"  # message attribute set by InputGuard, read by SafetyNet
READABLE_TEXT = "readable_text"  # cleaned text before diacritic folding (for language/safety)
SAFETY_RULE = "safety_rule"  # parse-data key: which safety rule fired (for review, no text)


class _ConfiguredComponent(GraphComponent):
    """Stateless component built from its config alone (nothing to train or persist)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config)



@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class InputGuard(_ConfiguredComponent):
    """Cleans control characters, caps very long messages, and flags text we cannot read.

    A 10 000-character paste or a string of control characters must not slow down or break
    the classifier; the original text still reaches the tracker untouched.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"max_chars": 1000, "fold_diacritics": False}

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._max_chars = int(config.get("max_chars", 1000))
        self._fold = bool(config.get("fold_diacritics", False))

    def _classifier_text(self, text: str) -> str:
        """What the classifier sees: with folding on, "är" and "ar" become one feature."""
        return strip_diacritics(text) if self._fold else text

    def _guard(self, message: Message) -> None:
        raw = message.get(TEXT)
        if raw is None:
            return
        text = " ".join(clean_control(str(raw)).split())
        if len(text) > self._max_chars:
            # Keep head and tail: people often state the point at the end.
            half = self._max_chars // 2
            text = f"{text[:half]} {text[-half:]}"
        message.set(READABLE_TEXT, text)
        message.set(TEXT, self._classifier_text(text))
        scripts = letter_scripts(text)
        if not text:
            message.set(INPUT_ISSUE, "empty")
        elif scripts["latin"] == 0 and scripts["other"] > 0:
            message.set(INPUT_ISSUE, "other_script")
        elif scripts["latin"] == 0 and not any(ch.isdigit() for ch in text):
            message.set(INPUT_ISSUE, "no_text")

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            if example.get(TEXT) is not None:
                cleaned = " ".join(clean_control(example.get(TEXT)).split())
                example.set(TEXT, self._classifier_text(cleaned))
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._guard(message)
        return messages


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class LanguageDetector(_ConfiguredComponent):
    """Adds a `language` entity (sv/en) when the message clearly is in that language.

    The `language` slot is filled from this entity by Rasa's own slot mapping, and responses
    pick their English variation by a condition on that slot: no custom action involved.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(READABLE_TEXT) or message.get(TEXT) or ""
            lang = language.detect(text)
            if lang is None:
                continue
            entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != "language"]
            entities.append(
                {
                    "entity": "language",
                    "value": lang,
                    "start": 0,
                    "end": len(text),
                    "confidence_entity": 1.0,
                    "extractor": self.__class__.__name__,
                }
            )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class SafetyNet(_ConfiguredComponent):
    """Forces crisis_suicidal / emergency_danger when the deterministic rules say so.

    Also picks a safety intent that the classifier ranked with a real share of probability
    when the FallbackClassifier replaced the prediction by nlu_fallback (low confidence must
    never mean no crisis answer), and routes
    unreadable input (empty, emoji only, another script) to `unsupported_input`.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"candidate_threshold": 0.25}

    @staticmethod
    def _force(message: Message, intent: str, rule: str) -> None:
        forced = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [
            r for r in message.get(INTENT_RANKING_KEY, []) if r.get(INTENT_NAME_KEY) != intent
        ]
        message.set(INTENT, forced, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)
        message.set(SAFETY_RULE, rule, add_to_output=True)

    def _safety_candidate(self, message: Message) -> str | None:
        """A safety intent the classifier considered but did not dare to pick.

        When the prediction fell back (low confidence or ambiguous) and a safety intent has
        a real share of the probability, the safety answer is the better mistake to make.
        """
        current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        if current != FALLBACK_INTENT:
            return None
        threshold = float(self._config.get("candidate_threshold", 0.25))
        for entry in message.get(INTENT_RANKING_KEY, []):
            name = entry.get(INTENT_NAME_KEY)
            confidence = entry.get(PREDICTED_CONFIDENCE_KEY) or 0
            if name in safety.SAFETY_INTENTS and confidence >= threshold:
                return name
        return None

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            match = safety.detect(message.get(READABLE_TEXT) or message.get(TEXT) or "")
            if match:
                self._force(message, match.intent, match.rule)
                continue
            candidate = self._safety_candidate(message)
            if candidate:
                self._force(message, candidate, "classifier_safety_candidate")
                continue
            issue = message.get(INPUT_ISSUE)
            if issue:
                self._force(message, UNSUPPORTED_INTENT, f"input_{issue}")
        return messages
