"""Masking of personal data before text is stored outside Rasa's tracker.

Case summaries for coaches, the review inbox and logs get scrubbed text: phone numbers,
personnummer, e-mail and IP addresses and street addresses are replaced by a tag, so no
identifier travels further than the conversation itself.
"""

from __future__ import annotations

import re

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("[e-post]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("[ip]", re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")),
    ("[personnummer]", re.compile(r"\b(?:19|20)?\d{2}[01]\d[0-3]\d[-+ ]?\d{4}\b")),
    ("[telefon]", re.compile(r"(?<!\w)(?:\+46|0046|0)[\s-]?\d(?:[\s-]?\d){5,11}\b")),
    (
        "[adress]",
        re.compile(
            r"\b[A-ZÅÄÖa-zåäö]{2,}(?:gatan|vägen|vagen|gränd|grand|torget|allén|allen|stigen"
            r"|backen|plan|leden|gata|väg)\s+\d{1,4}\s?[A-Za-z]?\b",
            re.IGNORECASE,
        ),
    ),
]


def scrub(text: str) -> str:
    """Replace personal identifiers in `text` with neutral tags."""
    for tag, pattern in _PATTERNS:
        text = pattern.sub(tag, text)
    return text
