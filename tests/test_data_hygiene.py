"""Training data hygiene: the held-out set stays unseen, and examples do not contradict."""

from __future__ import annotations

import difflib
from collections import defaultdict
from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data

from bot import language
from bot.textnorm import fold

ROOT = Path(__file__).resolve().parent.parent
SIMILARITY = 0.9  # same threshold as scripts/dedupe_against_holdout.py


def _examples(path: Path) -> list[tuple[str, str]]:
    return [(e.get("text"), e.get("intent")) for e in load_data(str(path)).intent_examples]


def test_no_training_example_repeats_a_held_out_message() -> None:
    held = [fold(t) for t, _ in _examples(ROOT / "tests" / "data" / "nlu_holdout.yml")]
    leaks = []
    for text, _ in _examples(ROOT / "data" / "nlu"):
        folded = fold(text)
        for h in held:
            matcher = difflib.SequenceMatcher(None, folded, h)
            if (matcher.real_quick_ratio() >= SIMILARITY and matcher.quick_ratio() >= SIMILARITY
                    and matcher.ratio() >= SIMILARITY):
                leaks.append((text, h))
    assert not leaks, f"run scripts/dedupe_against_holdout.py: {leaks[:10]}"


def test_no_text_is_an_example_of_two_intents() -> None:
    intents_by_text: dict[str, set[str]] = defaultdict(set)
    for text, intent in _examples(ROOT / "data" / "nlu"):
        intents_by_text[fold(text)].add(intent)
    conflicts = {t: i for t, i in intents_by_text.items() if len(i) > 1 and t}
    assert not conflicts, conflicts


def test_every_intent_has_enough_swedish_and_english_examples() -> None:
    per_intent: dict[str, dict[str, int]] = defaultdict(lambda: {"total": 0, "en": 0})
    for text, intent in _examples(ROOT / "data" / "nlu"):
        per_intent[intent]["total"] += 1
        per_intent[intent]["en"] += language.detect(text) == "en"
    # one-word chitchat ("hi", "bye", "yes", "idk") is too short for the detector to call English
    short_form = {"greet", "goodbye", "thank", "affirm", "deny", "unsure"}
    for intent, counts in per_intent.items():
        if intent in {"unsupported_input", "switch_to_english", "switch_to_swedish"}:
            continue
        assert counts["total"] - counts["en"] >= 25, (intent, counts)
        assert counts["en"] >= (3 if intent in short_form else 8), (intent, counts)
