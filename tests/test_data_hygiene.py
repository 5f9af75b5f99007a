"""Training data hygiene: the held-out and blind sets stay unseen, examples do not contradict.

nlu_blind_1 may be read and learned from (it is a regression set now), but never copied:
a copy would make it measure memory instead of understanding. nlu_blind_2 stays blind, so a
leak into it is reported with the training text only, never the blind text.
"""

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


def _near_copies(test_set: str) -> list[tuple[str, str]]:
    """(training text, test text) pairs at least SIMILARITY alike after folding."""
    held = [fold(t) for t, _ in _examples(ROOT / "tests" / "data" / test_set)]
    leaks = []
    for text, _ in _examples(ROOT / "data" / "nlu"):
        folded = fold(text)
        for h in held:
            matcher = difflib.SequenceMatcher(None, folded, h)
            if (matcher.real_quick_ratio() >= SIMILARITY and matcher.quick_ratio() >= SIMILARITY
                    and matcher.ratio() >= SIMILARITY):
                leaks.append((text, h))
    return leaks


def test_no_training_example_repeats_a_held_out_message() -> None:
    leaks = _near_copies("nlu_holdout.yml")
    assert not leaks, f"run scripts/dedupe_against_holdout.py: {leaks[:10]}"


def test_no_training_example_copies_the_regression_blind_set() -> None:
    leaks = _near_copies("nlu_blind_1.yml")
    assert not leaks, f"write new phrasings, not copies of nlu_blind_1: {leaks[:10]}"


def test_no_training_example_is_in_the_blind_set() -> None:
    leaks = [text for text, _ in _near_copies("nlu_blind_2.yml")]
    assert not leaks, f"these training texts repeat a blind message, remove them: {leaks[:10]}"


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


def test_no_training_example_repeats_a_follow_up_of_the_multi_turn_set() -> None:
    import yaml

    conversations = yaml.safe_load(
        (ROOT / "tests" / "data" / "followups.yml").read_text(encoding="utf-8"))["conversations"]
    measured = [fold(turn["text"]) for conv in conversations for turn in conv["turns"]]
    trained = {fold(text) for text, _ in _examples(ROOT / "data" / "nlu")}
    leaks = [t for t in measured if any(
        difflib.SequenceMatcher(None, t, x).ratio() >= SIMILARITY for x in trained)]
    assert not leaks, f"tests/data/followups.yml must stay unseen: {leaks}"
