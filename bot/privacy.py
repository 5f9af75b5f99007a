"""Masking of personal data before text is stored outside Rasa's tracker.

Case summaries for coaches, the review inbox and logs get scrubbed text: names, phone numbers,
personnummer, e-mail and IP addresses and street addresses are replaced by a tag, so no
identifier travels further than the conversation itself.

Two layers, because a miss here is a privacy leak and a false hit only costs a word:

1. spaCy's Swedish tokenizer (a blank "sv" pipeline, no model download) with rule-based
   `Matcher` patterns. Token patterns see what a regex cannot easily see: a name after
   "jag heter" / "mitt namn är", a capitalised or well-known first name, an address whose
   number is a separate token ("Drottninggatan 12 B"), a phone number typed in groups.
2. The character regexes below, run afterwards over the result: they catch identifiers the
   tokenizer split in unexpected ways (and work even if spaCy cannot be loaded).

`scrub(text) -> str` is the only public API that other modules rely on.
"""

from __future__ import annotations

import functools
import re
from typing import Any

NAME, PHONE, PNR, EMAIL, IP, ADDRESS = (
    "[namn]", "[telefon]", "[personnummer]", "[e-post]", "[ip]", "[adress]",
)

_STREET_SUFFIX = (
    r"(?:gatan|gata|vägen|vagen|väg|vag|gränd|grand|torget|torg|allén|allen|allé|alle|stigen"
    r"|backen|plan|leden|esplanaden|promenaden|parken|gången|gangen|kajen|vallen|street|road)"
)

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (EMAIL, re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    (IP, re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")),
    (PNR, re.compile(r"\b(?:19|20)?\d{2}[01]\d[0-3]\d[-+ ]?\d{4}\b")),
    (PHONE, re.compile(r"(?<!\w)(?:\+46|0046|0)[\s-]?\d(?:[\s-]?\d){5,11}\b")),
    (
        ADDRESS,
        re.compile(
            r"\b[A-ZÅÄÖa-zåäö]{2,}" + _STREET_SUFFIX + r"\s+\d{1,4}\s?[A-Za-z]?\b",
            re.IGNORECASE,
        ),
    ),
]

# Common first names in Sweden (SCB top lists, and names common among young people in
# Norrköping). Lower case; matched case-insensitively, because young people rarely
# capitalise. Names that are also ordinary Swedish or English words are in _AMBIGUOUS_NAMES
# and only count when capitalised mid-sentence or after a name cue.
_FIRST_NAMES = frozenset(
    """
    adam adrian ahmad ahmed alexander alfred ali alice alicia alma amanda amir andreas anders
    anna anton arvid astrid axel carl caroline charlie daniel david ebba edvin elias elin elina
    elis ella ellen elliot elsa emelie emil emilia emma erik eva felicia felix filip frida fredrik
    gustav hamza hanna hannes hassan hugo ibrahim ida isak jakob jacob jennifer jesper joel johan
    johanna jonas josefin julia kalle karin kevin khalid klara lars leo liam lina linnea lisa
    love lucas ludvig lukas malin maria martin matilda mattias max maya mehmet melvin mikael
    mohamed mohammad mohammed muhammad moa mustafa nils noah noel nora olivia oliver omar oscar
    otto patrik per peter rasmus rebecka robin sara selma simon sofia sofie stina svea theo
    theodor thomas tilde tim tove victor viktor vilma wilma william yasin yousef yusuf zainab
    abdi abdullahi amina aisha fatima hodan hussein layla leila maryam nour samir sami tariq
    """.split()
)
_AMBIGUOUS_NAMES = frozenset(
    {"love", "max", "per", "tim", "otto", "nora", "mohamed", "ali", "eva", "moa", "tove",
     "klara", "svea", "noel", "leo", "sami"}
    & _FIRST_NAMES
) | frozenset({"bo", "mats", "ola", "kim", "siv", "kent", "ulf", "sten", "rut"})
# Words that introduce a name: "jag heter X", "han heter X", "mitt namn är X", "kalla mig X".
_NAME_CUES = ("heter", "kallas", "kallad")
_NOT_NAMES = frozenset(
    """inte int nt ingenting inget inga nån någon nåt något typ bara ju väl då nu så och men
    eller som jag ja du han hon vi ni dom de det den en ett att är e va vad hur var när vem
    the a an is not""".split()
)


@functools.lru_cache(maxsize=1)
def _nlp_and_matcher() -> tuple[Any, Any] | None:
    """The blank Swedish tokenizer and the matcher, built once per process (about 0.3 s)."""
    try:
        import spacy
        from spacy.matcher import Matcher
    except ImportError:  # the regex layer still runs
        return None
    nlp = spacy.blank("sv")
    matcher = Matcher(nlp.vocab)
    matcher.add(EMAIL, [[{"LIKE_EMAIL": True}]])
    matcher.add(PNR, [
        [{"TEXT": {"REGEX": r"^(?:19|20)?\d{2}[01]\d[0-3]\d[-+]?\d{4}$"}}],
        [{"TEXT": {"REGEX": r"^(?:19|20)?\d{2}[01]\d[0-3]\d$"}},
         {"TEXT": {"IN": ["-", "+"]}, "OP": "?"}, {"TEXT": {"REGEX": r"^\d{4}$"}}],
    ])
    matcher.add(PHONE, [
        # 070-123 45 67 / 0701234567 / +46 70 123 45 67 / 011-12 34 56
        [{"TEXT": {"REGEX": r"^(?:\+46|0046|0)\d{1,3}(?:-\d+)?$"}},
         {"TEXT": {"REGEX": r"^-?\d{1,4}$"}, "OP": "*"}],
        [{"TEXT": {"IN": ["+46", "0046"]}}, {"TEXT": {"REGEX": r"^\d{1,4}$"}, "OP": "+"}],
        [{"TEXT": {"REGEX": r"^0\d{1,3}$"}}, {"TEXT": "-"},
         {"TEXT": {"REGEX": r"^\d{1,4}$"}, "OP": "+"}],
    ])
    matcher.add(ADDRESS, [
        [{"LOWER": {"REGEX": r"^[a-zåäöé]{2,}" + _STREET_SUFFIX + r"$"}},
         {"LIKE_NUM": True}, {"TEXT": {"REGEX": r"^[A-Za-z]$"}, "OP": "?"}],
        [{"LOWER": {"REGEX": r"^[a-zåäöé]{2,}" + _STREET_SUFFIX + r"$"}},
         {"TEXT": {"REGEX": r"^\d{1,4}[A-Za-z]?$"}}],
    ])
    word = {"LOWER": {"NOT_IN": sorted(_NOT_NAMES)}, "IS_ALPHA": True}
    matcher.add("CUE_NAME", [
        [{"LOWER": {"IN": list(_NAME_CUES)}}, word],
        [{"LOWER": {"IN": ["mitt", "my"]}}, {"LOWER": {"IN": ["namn", "name"]}},
         {"LOWER": {"IN": ["är", "e", "ä", "is", "är:"]}}, word],
        [{"LOWER": {"IN": ["kalla", "call"]}}, {"LOWER": {"IN": ["mig", "mej", "me"]}}, word],
        [{"LOWER": {"IN": ["i'm", "im"]}}, {"IS_TITLE": True, **word}],
    ])
    matcher.add("KNOWN_NAME", [[{"LOWER": {"IN": sorted(_FIRST_NAMES - _AMBIGUOUS_NAMES)}}]])
    matcher.add("TITLE_KNOWN_NAME", [[{"IS_TITLE": True,
                                       "LOWER": {"IN": sorted(_AMBIGUOUS_NAMES)}}]])
    matcher.add("SOCIAL_HANDLE", [[{"TEXT": {"REGEX": r"^@[\w.]{2,}$"}}]])
    return nlp, matcher


def _spans(text: str) -> list[tuple[int, int, str]]:
    """Character spans (start, end, tag) the token rules want masked."""
    loaded = _nlp_and_matcher()
    if loaded is None:
        return []
    nlp, matcher = loaded
    doc = nlp(text)
    spans: list[tuple[int, int, str]] = []
    for match_id, start, end in matcher(doc):
        label = nlp.vocab.strings[match_id]
        span = doc[start:end]
        if label == "CUE_NAME":
            span = doc[end - 1:end]  # only the name, not "heter"
            tag = NAME
        elif label in ("KNOWN_NAME", "TITLE_KNOWN_NAME", "SOCIAL_HANDLE"):
            # a sentence-initial capital says nothing: only count ambiguous names mid-sentence
            if label == "TITLE_KNOWN_NAME" and start == 0:
                continue
            tag = NAME
        else:
            tag = label
        if tag == PHONE and sum(c.isdigit() for c in span.text) < 7:
            continue  # "0-3" or a short number is not a phone number
        spans.append((span.start_char, span.end_char, tag))
    return _merge(spans)


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Longest-first, non-overlapping spans in text order."""
    chosen: list[tuple[int, int, str]] = []
    for start, end, tag in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if chosen and start < chosen[-1][1]:
            if end > chosen[-1][1]:
                prev = chosen.pop()
                chosen.append((prev[0], end, prev[2]))
            continue
        chosen.append((start, end, tag))
    return chosen


def scrub_tokens(text: str) -> str:
    """Only the spaCy Matcher layer (exposed for tests and measurements)."""
    out, pos = [], 0
    for start, end, tag in _spans(text):
        out.append(text[pos:start])
        out.append(tag)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def scrub(text: str) -> str:
    """Replace personal identifiers in `text` with neutral tags."""
    if not text:
        return text
    # regex first for identifiers with a strict format (so "a.b@c.se" is one tag), then the
    # token rules for names and loosely typed numbers, then the regexes once more
    for tag, pattern in _PATTERNS[:3]:
        text = pattern.sub(tag, text)
    text = scrub_tokens(text)
    for tag, pattern in _PATTERNS:
        text = pattern.sub(tag, text)
    return text
