"""The content file is the single source of user-facing facts; the domain follows it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import content

ROOT = Path(__file__).resolve().parent.parent
FACTS_MD = ROOT.parent / "shared" / "domain" / "facts.md"
PHONE = re.compile(r"(?<![\d-])(?:\d[\d -]{1,12}\d)(?![\d])")


def _texts(responses: dict[str, list[dict[str, Any]]], name: str, lang: str) -> list[str]:
    out = []
    for variation in responses[name]:
        is_en = any(c.get("value") == "en" for c in variation.get("condition", []))
        if (lang == "en") == is_en:
            out.append(variation["text"])
    return out


def test_content_loads_and_domain_is_in_sync() -> None:
    loaded = content.load()
    current = content.DOMAIN_PATH.read_text(encoding="utf-8")
    assert content.render_domain(loaded, current) == current, "run: python -m bot content build"


def test_every_fact_has_a_source_and_a_verified_flag() -> None:
    for key, item in content.load().facts.items():
        assert item["source"], key
        assert isinstance(item["verified"], bool), key


def test_unsourced_local_items_are_flagged_for_verification() -> None:
    unverified = set(content.load().unverified())
    # facts.md marks these VERIFY or leaves them to the programme
    assert {"kontakt_norrkoping", "socialjour_norrkoping", "coach_hours"} <= unverified


@pytest.mark.skipif(not FACTS_MD.exists(), reason="shared/domain/facts.md not beside the repo")
def test_every_number_shown_to_users_comes_from_facts_md(domain_responses: dict) -> None:
    allowed = {re.sub(r"\D", "", m) for m in PHONE.findall(FACTS_MD.read_text(encoding="utf-8"))}
    # durations we state about this service itself (docs/privacy.md): 30 days retention, age 18
    allowed |= {"30", "18"}
    for name, variations in domain_responses.items():
        for variation in variations:
            for number in PHONE.findall(variation["text"]):
                digits = re.sub(r"\D", "", number)
                assert digits in allowed, (name, number)


def test_no_placeholder_left_unrendered(domain_responses: dict) -> None:
    for name, variations in domain_responses.items():
        for variation in variations:
            assert "{" not in variation["text"] and "}" not in variation["text"], name


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_crisis_answer_follows_safe_messaging(domain_responses: dict, lang: str) -> None:
    for text in _texts(domain_responses, "utter_crisis", lang):
        for needed in ("90101", "mind.se", "112", "116 111"):
            assert needed in text, (lang, needed)
    # then one question, whether they are safe now, answered with a tap
    for text in _texts(domain_responses, "utter_ask_safe_now", lang):
        assert text.count("?") == 1
    buttons = [b["payload"] for v in domain_responses["utter_ask_safe_now"] for b in v["buttons"]]
    assert set(buttons) == {"/affirm", "/deny", "/unsure"}


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_safety_step_repeats_a_number(domain_responses: dict, lang: str) -> None:
    """Nobody has to scroll back for a number in the middle of a safety conversation."""
    from bot import safety_actions as sa

    for name in sa.KINDS:
        if name == sa.UTTER_ASK_SAFE_NOW:
            continue
        for text in _texts(domain_responses, name, lang):
            assert "112" in text or "90101" in text, (name, lang)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_emergency_answer_has_112_in_the_first_line(domain_responses: dict, lang: str) -> None:
    for text in _texts(domain_responses, "utter_emergency", lang):
        assert "112" in text.splitlines()[0]
        assert all(len(line) < 80 for line in text.splitlines())  # short sentences


def test_every_response_exists_in_both_languages(domain_responses: dict) -> None:
    for name in domain_responses:
        assert _texts(domain_responses, name, "sv"), name
        assert _texts(domain_responses, name, "en"), name


def test_never_promises_the_police_will_never_know(domain_responses: dict) -> None:
    for variations in domain_responses.values():
        for variation in variations:
            text = variation["text"].lower()
            assert "polisen kommer aldrig" not in text and "police will never know" not in text


def test_every_contract_intent_has_an_answer() -> None:
    rules = []
    for path in (ROOT / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            rules.extend(s["intent"] for s in rule["steps"] if "intent" in s)
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for intent in domain["intents"]:
        assert intent in rules, f"no rule answers {intent}"


def test_reading_level_is_checked_and_every_answer_passes() -> None:
    hard = ("Sekretessmarkering och skyddad folkbokföring beslutas av Skatteverket medan "
            "fingerade personuppgifter beslutas av Polismyndigheten efter särskild prövning "
            "av hotbilden och omständigheterna i varje enskilt ärende som handläggs.")
    value, words = content.lix(hard)
    assert words > 20 and value > content.LIX_MAX
    easy = "Du kan prata med oss. Vi finns här. Ring om du vill. Du bestämmer själv."
    assert content.lix(easy)[0] < 25
    assert content.reading_level_problems(content.load()) == []


def test_gang_debt_answer_leads_with_danger_and_the_threat_line() -> None:
    for lang, threat, relief in (("sv", "hotad", "skuldsanering"),
                                 ("en", "threatened", "debt relief")):
        lines = content.text("utter_help_debt", lang).splitlines()
        assert "112" in lines[0]
        assert threat in lines[1] and "114 14" in lines[1]
        assert relief in " ".join(lines[2:])


def test_coach_texts_promise_no_time_and_send_nobody_elsewhere() -> None:
    for lang in ("sv", "en"):
        connecting = content.text("utter_coach_connecting", lang)
        assert "112" in connecting
        for absent in ("90101", "114 14", "minut", "minute"):
            assert absent not in connecting, (lang, absent)
        coming = content.text("utter_coach_coming", lang, minutes=2)
        assert ("kan ta längre" if lang == "sv" else "can take longer") in coming
        assert "strax" not in coming and "soon" not in coming


def test_opening_hours_come_from_coach_hours_not_the_placeholder() -> None:
    from bot.escalation.hours import parse_coach_hours
    from bot.escalation.settings import Settings

    settings = Settings(coach_hours=parse_coach_hours(
        "mon=09:00-17:00,tue=09:00-17:00,wed=09:00-17:00,thu=09:00-17:00,fri=09:00-17:00"))
    placeholder = content.load().fact("coach_hours", "sv")
    text = content.text("utter_opening_hours", "sv", hours=settings.hours_text("sv"))
    assert "mån–fre 09.00–17.00" in text and placeholder not in text
    assert "Mon–Fri 09.00–17.00" in settings.hours_text("en")
    assert Settings(coach_hours=parse_coach_hours("")).hours_text("sv") == placeholder
