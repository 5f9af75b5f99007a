"""User-facing texts for the gateway, from data/content/content.yml (bot.content, which
keeps the parsed file until it changes on disk)."""

from __future__ import annotations

import re
from typing import Any

from bot import content

WEB_KEYS = (
    "utter_web_title", "utter_web_intro", "utter_web_input_label", "utter_web_send",
    "utter_web_quick_exit", "utter_web_quick_exit_hint", "utter_web_language_switch",
    "utter_web_typing", "utter_web_log_label", "utter_web_you_label", "utter_web_bot_label",
    "utter_web_coach_label", "utter_web_coach_joined", "utter_web_coach_left",
    "utter_web_reconnecting", "utter_web_noscript", "utter_gateway_rate_limited",
    "utter_gateway_too_long", "utter_gateway_unavailable", "utter_web_quick_exit_keys",
    "utter_web_exit_info", "utter_web_title_short", "utter_web_starters",
    "utter_web_status_online", "utter_web_status_offline", "utter_web_status_closed",
    "utter_web_status_unknown", "utter_web_status_numbers", "utter_web_more", "utter_web_less",
    "utter_web_coach_typing", "utter_web_intro_more_label", "utter_web_intro_more",
    "utter_web_pending", "utter_web_pending_offline", "utter_web_not_sent",
)
# numbers and sites in answers become tel: and https: links on the page
NUMBER_FACTS = ("emergency_number", "police_non_emergency", "bris_phone", "mind_phone",
                "vardguiden", "kontakt_norrkoping", "socialjour_norrkoping")
SITE_FACTS = ("bris_web", "mind_web")
_NUMBER_RE = re.compile(r"(?<![\d.])(?:0\d{1,3}-)?\d[\d ]*\d(?![\d.])")


def text(name: str, lang: str = "sv", **variables: object) -> str:
    """One answer in `lang` ("sv" unless "en"), variables filled."""
    return content.text(name, lang, **variables)


def web_texts() -> dict[str, dict[str, Any]]:
    """Every page text in both languages, keyed without the `utter_` prefix."""
    out: dict[str, dict[str, Any]] = {}
    for lang in content.LANGUAGES:
        out[lang] = {k.removeprefix("utter_"): text(k, lang) for k in WEB_KEYS}
        out[lang]["starter_buttons"] = buttons("utter_web_starters", lang)
        out[lang]["button_titles"] = button_titles(lang)
    return out


def links() -> dict[str, list[str]]:
    """The phone numbers and sites of the content's facts, as they appear in answers."""
    loaded = content.load_cached()
    numbers = {m.group(0) for key in NUMBER_FACTS for lang in content.LANGUAGES
               for m in _NUMBER_RE.finditer(loaded.fact(key, lang))}
    sites = {loaded.fact(key, lang) for key in SITE_FACTS for lang in content.LANGUAGES}
    # longest first, so "011-15 00 00" is linked before any number inside it
    return {"numbers": sorted(numbers, key=len, reverse=True),
            "sites": sorted(sites, key=len, reverse=True)}



def buttons(name: str, lang: str) -> list[str]:
    """The button titles of a content entry in `lang`."""
    entry = content.load_cached().responses[name]
    return [str(b["title"].get(lang) or b["title"]["sv"]) if isinstance(b["title"], dict)
            else str(b["title"]) for b in entry.get("buttons") or []]


def button_titles(lang: str) -> dict[str, str]:
    """Every button title of the content, in any language, to its title in `lang`: a choice
    still open when the user switches language is shown in the new one."""
    out: dict[str, str] = {}
    for entry in content.load_cached().responses.values():
        for button in entry.get("buttons") or []:
            title = button["title"]
            if isinstance(title, dict):
                for other in title.values():
                    out[str(other)] = str(title.get(lang) or title["sv"])
    return out


def sms_friendly(text: str) -> str:
    """Numbers in a form phones make tappable in an SMS: no spaces inside ("114 14" becomes
    "11414", "011-15 00 00" becomes "011-150000")."""
    for number in links()["numbers"]:
        if " " in number:
            text = text.replace(number, number.replace(" ", ""))
    return text

