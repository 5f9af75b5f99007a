"""Custom Rasa NLU components: input guard, language detector and the safety net.

They live in the Rasa pipeline (config.yml) so they work with nothing but the Rasa server
running: no action server, no escalation service. Order in config.yml matters:
InputGuard first (before tokenisation), LanguageDetector anywhere, SafetyNet last (after the
FallbackClassifier, so it can overrule a fallback).
"""

from __future__ import annotations

import json
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
    METADATA,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import language, protocol, safety, safety_actions
from bot.rasa_plugins.nlu.safety_classifier import SAFETY_P
from bot.textnorm import clean_control, letter_scripts, strip_diacritics

UNSUPPORTED_INTENT = "unsupported_input"
FALLBACK_INTENT = protocol.FALLBACK_INTENT
INPUT_ISSUE = "input_issue"  # message attribute set by InputGuard, read by SafetyNet
READABLE_TEXT = "readable_text"  # cleaned text before diacritic folding (for language/safety)
SAFETY_RULE = "safety_rule"  # parse-data key: which safety rule fired (for review, no text)
SAFETY_SIGNAL = safety_actions.SIGNAL_KEY  # read by bot.rasa_plugins.dialogue's SafetyPolicy


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
    """Adds a `language` entity (sv/en): the language the user asks for in the message, else
    the one chosen on the page (message metadata `language`), else the one the message
    clearly is in.

    The `language` slot is filled from this entity by Rasa's own slot mapping, and responses
    pick their English variation by a condition on that slot: no custom action involved. The
    page's choice comes with the message itself, so an answer to a choice left open over a
    language switch is already in the new language (a separate switch turn would close it).
    """

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(READABLE_TEXT) or message.get(TEXT) or ""
            chosen = page_language(message.get(METADATA))
            if text.startswith("/"):
                if chosen:
                    _payload_with_language(message, chosen)
                continue
            lang = language.explicit_request(text) or chosen or language.detect(text)
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


def page_language(metadata: Any) -> str | None:
    """The language chosen on the page, if the message's metadata names a valid one."""
    chosen = metadata.get("language") if isinstance(metadata, dict) else None
    return chosen if chosen in language.LANGUAGES else None


def _payload_with_language(message: Message, lang: str) -> None:
    """A button's payload ("/affirm") is parsed by Rasa's RegexMessageHandler after every
    component and keeps only the entities written in it: so the page's language is written
    into a payload that has none ("/affirm{"language": "en"}")."""
    text = str(message.get(TEXT) or "").strip()
    if "{" in text or "@" in text or len(text.split()) != 1:
        return
    message.set(TEXT, text + json.dumps({"language": lang}))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class SafetyNet(_ConfiguredComponent):
    """Decides what the safety dialogue needs to know about a message, after the classifier.

    Writes `safety` into the parse data ({"kind", "band", "rule"}: what bot.rasa_plugins.dialogue's
    SafetyPolicy reads) and, where the rules are sure, forces the intent:
    - a rule that is sure (bot.safety) forces crisis_suicidal / emergency_danger, or
      fear_retaliation for a threat that is not happening now, whatever the classifier said;
    - a rule in the "ask" band, a classifier safety guess, or a safety intent with a real share
      (`candidate_threshold`) when the FallbackClassifier fell back, becomes the "ask" band:
      the dialogue asks directly instead of guessing either way (the band comes from the
      rules, so the same message is always asked about, whatever a retrained model says);
    - a classifier safety guess in a context the rules recognise as no safety situation (a
      past event, a film, hyperbole, a question about the law), or in a message with no risk
      word at all, is replaced by its next intent (the classifier is overconfident far from
      its training data);
    - unreadable input (empty, emoji only, another script) goes to `unsupported_input`.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"candidate_threshold": 0.25, "ask_threshold": 0.5}

    @staticmethod
    def _force(message: Message, intent: str, rule: str) -> None:
        forced = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [
            r for r in message.get(INTENT_RANKING_KEY, []) if r.get(INTENT_NAME_KEY) != intent
        ]
        message.set(INTENT, forced, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)
        message.set(SAFETY_RULE, rule, add_to_output=True)

    @staticmethod
    def _signal(message: Message, kind: str, band: str, rule: str, **extra: bool) -> None:
        signal = {**(message.get(SAFETY_SIGNAL) or {}), "kind": kind, "band": band, "rule": rule,
                  **extra}
        message.set(SAFETY_SIGNAL, signal, add_to_output=True)
        message.set(SAFETY_RULE, rule, add_to_output=True)

    @staticmethod
    def _read_answer(message: Message, text: str) -> None:
        """How the message reads as an answer ("nah i'm good", "im home now"): the dialogue
        uses it only while a safety question is open, so it is noted, never forced."""
        answer = safety.read_answer(text)
        notes = {key: value for key, value in (
            ("answer", answer.word), ("safe_now", answer.safe_now), ("not_safe", answer.not_safe),
            ("leans_yes", answer.leans_yes), ("declines_coach", answer.declines_coach),
            ("risk_talk", answer.risk_talk), ("asks_person", answer.asks_person),
            ("silent", answer.silent)) if value}
        if notes:
            message.set(SAFETY_SIGNAL, notes, add_to_output=True)

    @staticmethod
    def _demote(message: Message) -> None:
        """Replace a safety guess by the classifier's best other intent (or a fallback)."""
        ranking = [r for r in message.get(INTENT_RANKING_KEY, [])
                   if r.get(INTENT_NAME_KEY) not in safety.SAFETY_INTENTS]
        best = ranking[0] if ranking else {INTENT_NAME_KEY: FALLBACK_INTENT,
                                           PREDICTED_CONFIDENCE_KEY: 1.0}
        message.set(INTENT, best, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        message.set(SAFETY_RULE, "classifier_vetoed_by_context", add_to_output=True)

    def _classifier_guess(self, message: Message) -> tuple[str, float] | None:
        """The safety intent the classifier picked, or considered before falling back."""
        intent = message.get(INTENT) or {}
        name = intent.get(INTENT_NAME_KEY)
        if name in safety.SAFETY_INTENTS:
            return name, float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0)
        if name != FALLBACK_INTENT:
            return None
        threshold = float(self._config.get("candidate_threshold", 0.25))
        for entry in message.get(INTENT_RANKING_KEY, []):
            confidence = float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0)
            if entry.get(INTENT_NAME_KEY) in safety.SAFETY_INTENTS and confidence >= threshold:
                return entry[INTENT_NAME_KEY], 0.0  # never sure: it fell back
        return None

    def _judge(self, message: Message) -> None:
        text = message.get(READABLE_TEXT) or message.get(TEXT) or ""
        self._read_answer(message, text)
        match = safety.detect(text)
        guess = self._classifier_guess(message)
        if match and match.band == safety.SURE:
            keep_classifier = match.intent == safety.THREAT and guess and guess[1] > 0
            if not keep_classifier:
                self._force(message, match.intent, match.rule)
                suicide = match.kind == "danger" and safety.also_suicidal(text)
                self._signal(message, match.kind, safety.SURE, match.rule,
                             **({"suicide": True} if suicide else {}))
                return
        second = message.get(SAFETY_P)
        if second is not None and not match:
            self._second_opinion(message, text, second, guess)
            return
        if guess and not match:
            kind = safety.SafetyMatch(guess[0], "").kind
            # danger now is the one miss that cannot wait: a danger guess is only dropped in a
            # context the rules recognise (past, film, joke, law); otherwise it is asked about
            quiet = kind == "crisis" and not safety.has_risk_words(text, kind)
            if safety.not_a_safety_context(text) or quiet:
                self._demote(message)
                return
        if match:  # the rules' ask band
            self._signal(message, match.kind, safety.ASK, match.rule)
            return
        if guess:
            kind = safety.SafetyMatch(guess[0], "classifier").kind
            self._signal(message, kind, safety.ASK, "classifier_unsure")
            return
        issue = message.get(INPUT_ISSUE)
        if issue:
            self._force(message, UNSUPPORTED_INTENT, f"input_{issue}")

    def _second_opinion(self, message: Message, text: str, second: dict[str, float],
                        guess: tuple[str, float] | None) -> None:
        """With the SafetyClassifier in the pipeline, its probability replaces DIET's guess:
        at `ask_threshold` or more (and no veto) the dialogue asks; otherwise a safety intent
        DIET picked alone is replaced by its next intent."""
        kind, p = max(second.items(), key=lambda item: item[1]) if second else ("crisis", 0.0)
        if p >= float(self._config.get("ask_threshold", 0.5)) \
                and not safety.not_a_safety_context(text):
            self._signal(message, kind, safety.ASK, "safety_classifier")
        elif guess:
            self._demote(message)
        elif message.get(INPUT_ISSUE):
            self._force(message, UNSUPPORTED_INTENT, f"input_{message.get(INPUT_ISSUE)}")

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._judge(message)
        return messages
