"""User-facing texts for the gateway, from data/content/content.yml (bot.content).

`bot.content.text` parses the YAML on every call (tens of ms); the gateway needs texts on
hot paths (every SMS with choices, every rate-limit answer), so they are cached and the
cache is dropped when the content file changes on disk.
"""

from __future__ import annotations

from functools import lru_cache

from bot import content

WEB_KEYS = (
    "utter_web_title", "utter_web_intro", "utter_web_input_label", "utter_web_send",
    "utter_web_quick_exit", "utter_web_quick_exit_hint", "utter_web_language_switch",
    "utter_web_typing", "utter_web_log_label", "utter_web_you_label", "utter_web_bot_label",
    "utter_web_coach_label", "utter_web_coach_joined", "utter_web_coach_left",
    "utter_web_reconnecting", "utter_web_noscript", "utter_gateway_rate_limited",
    "utter_gateway_too_long", "utter_gateway_unavailable",
)


def _mtime() -> float:
    try:
        return content.CONTENT_PATH.stat().st_mtime
    except OSError:
        return 0.0


@lru_cache(maxsize=512)
def _cached(name: str, lang: str, mtime: float) -> str:
    return content.text(name, lang)


def text(name: str, lang: str = "sv", **variables: object) -> str:
    """One answer in `lang` ("sv" unless "en"), variables filled."""
    lang = lang if lang in content.LANGUAGES else "sv"
    template = _cached(name, lang, _mtime())
    return template.format(**variables) if variables else template


def web_texts() -> dict[str, dict[str, str]]:
    """Every page text in both languages, keyed without the `utter_` prefix."""
    return {lang: {k.removeprefix("utter_"): text(k, lang) for k in WEB_KEYS}
            for lang in content.LANGUAGES}
