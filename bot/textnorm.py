"""Text normalisation shared by the deterministic NLU helpers.

Young people write without å/ä/ö, with repeated letters and odd punctuation; the safety net
and language detector match on one folded form so a pattern is written once, not per spelling.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")


def clean_control(text: str) -> str:
    """Remove control and invisible formatting characters, keep newlines and tabs as spaces."""
    return _CONTROL.sub("", text.replace("\t", " ").replace("\r", " "))


def strip_diacritics(text: str) -> str:
    """Lowercase and remove diacritics but keep punctuation and emoji ("Är" -> "ar")."""
    text = unicodedata.normalize("NFKD", text.lower())
    return unicodedata.normalize("NFC", "".join(ch for ch in text if not unicodedata.combining(ch)))


def fold(text: str) -> str:
    """Lowercase, strip diacritics (å→a, ö→o), squeeze 3+ repeated letters, keep [a-z0-9 ]."""
    text = strip_diacritics(text)
    text = text.replace("ß", "ss").replace("æ", "ae").replace("ø", "o")
    text = _NON_WORD.sub(" ", text)
    text = _REPEATS.sub(r"\1\1", text)
    return " ".join(text.split())


def letter_scripts(text: str) -> dict[str, int]:
    """Count letters per script family (latin / other) to spot messages we cannot read."""
    counts = {"latin": 0, "other": 0}
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        counts["latin" if name.startswith("LATIN") else "other"] += 1
    return counts
