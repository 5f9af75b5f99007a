"""Masking of personal data before text is stored outside Rasa's tracker.

Case summaries for coaches, the review inbox and logs get scrubbed text: names, phone numbers
(Swedish and international), personnummer and samordningsnummer, e-mail addresses (also
written "namn(at)gmail.com" or "namn snabel-a live punkt se"), IP addresses, street addresses,
apartment numbers and postcodes, registration plates and social-media handles ("min snap är
…") are replaced by a tag, so no identifier travels further than the conversation itself.

Two layers, because a miss here is a privacy leak and a false hit only costs a word:

1. spaCy's Swedish tokenizer (a blank "sv" pipeline, no model download) with rule-based
   `Matcher` patterns. Token patterns see what a regex cannot easily see: a name after
   "jag heter" / "mitt namn är", a capitalised or well-known first name, an address whose
   number is a separate token ("Drottninggatan 12 B"), a phone number typed in groups.
2. The character regexes below, run before (identifiers with a format of their own, so that
   "omar at gmail dot com" is one e-mail, not a name) and afterwards over the result: they
   catch identifiers the tokenizer split in unexpected ways (and work even if spaCy cannot be
   loaded), and extend a masked first name over the surname that follows it.

The patterns describe forms (how numbers are grouped, what a handle looks like, which words
announce a name or a plate), not a list of examples; `python -m bot scrub-eval` measures them
on a blind corpus (docs/privacy.md).

`scrub(text) -> str` is the only public API that other modules rely on.
"""

from __future__ import annotations

import functools
import re
from typing import Any

NAME, PHONE, PNR, EMAIL, IP, ADDRESS, PLATE, HANDLE = (
    "[namn]", "[telefon]", "[personnummer]", "[e-post]", "[ip]", "[adress]", "[regnr]",
    "[användarnamn]",
)

_STREET_SUFFIX = (
    r"(?:gatan|gata|vägen|vagen|väg|vag|gränd|grand|torget|torg|allén|allen|allé|alle|stigen"
    r"|backen|plan|leden|esplanaden|promenaden|parken|gången|gangen|kajen|vallen|street|road)"
)

# --- e-mail, also spelled out: "(at)", "[at]", " at ", "snabel-a", "(dot)", " punkt ", ","
_TLD = r"(?:com|se|net|org|nu|io|info|eu|co\.uk|uk|co|de|fi|no|dk|me|edu)"
_AT = (r"(?:\s*@\s*|\s*[(\[{]\s*(?:at|a|@)\s*[)\]}]\s*"
       r"|\s+(?:at|snabel-?a|snabel\s+a)\s+)")
_DOT = r"(?:\s*\.\s*|\s*[(\[{]\s*(?:dot|punkt)\s*[)\]}]\s*|\s+(?:dot|punkt)\s+)"
_SPELLED_EMAIL = re.compile(
    r"(?<![\w.+-])[\w+-]+(?:" + _DOT + r"[\w+-]+)*" + _AT + r"[\w-]+(?:" + _DOT + r"[\w-]+)*?"
    + r"(?:" + _DOT + r"|,)" + _TLD + r"\b", re.IGNORECASE)
# --- personnummer and samordningsnummer (day + 60)
_PNR = re.compile(r"\b(?:19|20)?\d{2}[01]\d(?:[0-3]\d|[6-9]\d)[-+ ]?\d{4}\b")
# --- phone numbers: any run of digit groups; what it starts with decides (see _phone)
_PHONE_CANDIDATE = re.compile(r"(?<![\w+])(?:\+|00)?[\d(][\d\s().\-/–—]{4,26}\d(?![\w])")
# --- registration plates: ABC 123 / ABC 12D (no I, Q, V); in lower case only after a cue
_PLATE_LETTERS = "A-HJ-PR-UW-Z"
_PLATE = re.compile(rf"\b[{_PLATE_LETTERS}]{{3}}\s?\d{{2}}[{_PLATE_LETTERS}\d]\b")
_PLATE_CUE = re.compile(
    r"\b(?:regg?(?:nr|nummer|istreringsnummer)?|registreringsnummer|skylt(?:en)?"
    r"|nummerplåt(?:en)?|plate|number plate)\W{0,3}(?:(?:e|är|was|is)\s+)?"
    rf"([{_PLATE_LETTERS.lower()}]{{3}}\s?\d{{2}}[{_PLATE_LETTERS.lower()}\d])\b",
    re.IGNORECASE)
# --- addresses
_STREET_PREFIX = r"(?:södra|norra|östra|västra|gamla|nya|stora|lilla|st\.?|s:t|sankt)"
_STREET = re.compile(
    r"\b(?:" + _STREET_PREFIX + r"\s+[A-ZÅÄÖa-zåäöé]*|[A-ZÅÄÖa-zåäöé]{2,})" + _STREET_SUFFIX
    + r"\s+(?:nr\.?\s*)?\d{1,4}(?:\s?[A-Za-z](?![\w]))?", re.IGNORECASE)
_EN_STREET = re.compile(
    r"\b\d{1,4}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave"
    r"|Drive|Dr|Close|Way|Place|Pl|Court|Ct|Gardens|Terrace|Crescent|Boulevard|Blvd|Square"
    r"|Sq|Hill|Row|Walk|Grove)\b\.?")
_APARTMENT = re.compile(r"\b(?:lgh|lägenhet(?:snummer)?)\.?\s*(?:nr\.?\s*)?\d{4}\b",
                        re.IGNORECASE)
_POSTCODE = r"[1-9]\d{2}\s?\d{2}"
_POSTCODE_CUE = re.compile(
    r"(\b(?:post\s?nr|postnummer|postnumret|postkod|postadress(?:en)?|zip)\W{0,3}"
    r"(?:(?:e|är|is)\s+)?)(?:SE-?)?" + _POSTCODE + r"\b", re.IGNORECASE)
_POSTCODE_TOWN = re.compile(r"\b(?:SE-?)?" + _POSTCODE + r"(?=\s+[A-ZÅÄÖ][a-zåäö]+)")
_POSTCODE_SE = re.compile(r"\bSE-?" + _POSTCODE + r"\b")
_POSTCODE_AFTER = re.compile(r"(\[adress\],?\s*)" + _POSTCODE + r"\b")
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b")
# --- social-media handles: after a platform, or with a form only handles have
_PLATFORMS = (r"(?:snap(?:chat)?|snapa|sc|insta(?:gram)?|ig|tik\s?tok(?:en)?|discord|kik"
              r"|telegram|twitter(?:/x)?|yt|youtube|twitch|steam|facebook|fb|whatsapp"
              r"|threads|reddit|roblox|psn|xbox|epic)")
_HANDLE_AFTER_PLATFORM = re.compile(
    r"\b" + _PLATFORMS + r"(?:-?namn(?:et)?|\s+kanal|\s+name|\s+account|\s+konto)?"
    r"(?P<link>(?:\s+mig)?[\s,]*(?:(?:e|är|ä|is|heter|namnet)\s+)?(?:[:=]\s*)?)"
    r"(?P<quote>[\"'“”]?)(?P<handle>@?[\w.#-]*\w)", re.IGNORECASE)
_AT_HANDLE = re.compile(r"(?<![\w.@])@[\w.]*\w")
_UNDERSCORE_HANDLE = re.compile(r"(?<![\w@])[^\W\d_]\w*_\w*")
_DISCORD_TAG = re.compile(r"\b\w{2,}#\d{4}\b")
_NOT_HANDLES = frozenset(
    """och men eller som det den du jag ja han hon vi ni dom de e är ä is the a an and but or
    to of on in at me mig min mitt och så nu privat längre igen också inte""".split())
# --- names: a masked first name takes the capitalised surname(s) right after it
_SURNAME = re.compile(
    r"\[namn\]((?:-[A-ZÅÄÖ]?[a-zåäöéü]+)?(?:\s+(?!(?:Jag|Och|Men|Han|Hon|Vi|Det|Hej|The|And)\b)"
    r"[A-ZÅÄÖÉ][a-zåäöéü']+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?)*)")

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (EMAIL, _SPELLED_EMAIL),
    # starts only where a word starts: linear on a 10 000-character run of letters
    (EMAIL, re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    (IP, re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")),
    (PNR, _PNR),
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
_NAME_CUES = ("heter", "kallas", "kallad", "namnet")
_FILLERS = ("typ", "bara", "liksom", "ba")  # "ja heter typ Alex"
# Words after which a capitalised word is a person: "min bror Yusuf", "pappa Reza",
# "ms Andersson", "mvh Thomas", "hälsningar, Gunilla".
_PERSON_CUES = frozenset(
    """bror brorsan brodern syster systern syrran mamma morsan pappa farsan kompis kompisen
    polare polaren vän vännen flickvän flickvännen pojkvän pojkvännen tjej tjejen kille killen
    tränare tränaren lärare läraren mentor mentorn rektor rektorn kurator kuratorn granne
    grannen farbror morbror faster moster mormor morfar farmor farfar kusin kusinen dotter
    dottern son sonen styvpappa styvmamma styvbror styvsyster lillebror lillasyster storebror
    storasyster ex exet sambo brother sister mom mum dad mother father friend boyfriend
    girlfriend teacher cousin uncle aunt son daughter coach mr mrs ms miss fröken herr fru
    mvh hälsningar hälsning vänliga regards cheers kram""".split())
_NOT_NAMES = frozenset(
    """inte int nt ingenting inget inga nån någon nåt något typ bara ju väl då nu så och men
    eller som jag ja du han hon vi ni dom de det den en ett att är e va vad hur var när vem
    till på in om för av med me ut upp hit dit saker the a an is not out up back""".split()
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
    word = {"LOWER": {"NOT_IN": sorted(_NOT_NAMES)},
            "TEXT": {"REGEX": r"^[^\W\d_]+(?:-[^\W\d_]+)*$"}}
    filler = {"LOWER": {"IN": list(_FILLERS)}, "OP": "?"}
    title = {"IS_TITLE": True, **word}
    matcher.add("CUE_NAME", [
        [{"LOWER": {"IN": list(_NAME_CUES)}}, filler, word],
        [{"LOWER": {"IN": ["mitt", "my"]}}, {"LOWER": {"IN": ["namn", "name"]}},
         {"LOWER": {"IN": ["är", "e", "ä", "is", "är:"]}}, word],
        [{"LOWER": {"IN": ["kalla", "call"]}}, {"LOWER": {"IN": ["mig", "mej", "me"]}}, word],
        # "alla kallar mig Soffan" is a name, "dom kallar mig golare" an insult: capitals only
        [{"LOWER": {"IN": ["kallar", "calls", "called"]}},
         {"LOWER": {"IN": ["mig", "mej", "me", "honom", "henne", "him", "her"]}}, title],
        [{"LOWER": {"IN": ["i'm", "im"]}}, title],
        [{"LOWER": "i"}, {"LOWER": "am"}, title],
        [{"LOWER": {"IN": sorted(_PERSON_CUES)}}, {"TEXT": {"IN": [",", ":"]}, "OP": "?"},
         title],
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


def warm_up() -> None:
    """Load the tokenizer now. The first scrub otherwise imports spaCy (3.5 s on a quiet
    2-core machine, 9 s on a busy one) in the middle of a request: in the action server
    that was the first coach request's answer, with every other action call waiting behind
    it on the blocked event loop."""
    _nlp_and_matcher()


def scrub_tokens(text: str) -> str:
    """Only the spaCy Matcher layer (exposed for tests and measurements)."""
    out, pos = [], 0
    for start, end, tag in _spans(text):
        out.append(text[pos:start])
        out.append(tag)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _phone(match: re.Match[str]) -> str:
    """A digit run is a phone number by how it starts and how many digits it has: + or 00
    and 8-15 digits (any country), 0 and 8-11 (Swedish), 46 and 11 digits written together.
    Short numbers (112, 1177, 116 111, 90101), years, dates and times never qualify."""
    raw = match.group(0)
    digits = sum(c.isdigit() for c in raw)
    if raw.startswith(("+", "00")):
        ok = 8 <= digits <= 15
    elif raw.startswith("0"):
        ok = 8 <= digits <= 11
    elif raw.startswith("46"):
        ok = digits == 11 and raw.isdigit()
    else:
        ok = False
    return PHONE if ok else raw


def _handle(match: re.Match[str]) -> str:
    """The handle after a platform name, if it looks like one: announced by ':' or '=',
    quoted, starting with @, or with a digit, '_', '.' or '#' in it."""
    handle = match.group("handle")
    announced = ":" in match.group("link") or "=" in match.group("link") or match.group("quote")
    looks_like = handle.startswith("@") or any(c in handle for c in "_.#0123456789")
    if handle.lower() in _NOT_HANDLES or handle.startswith("[") or not (announced or looks_like):
        return match.group(0)
    return match.group(0)[: match.start("handle") - match.start(0)] + HANDLE


def _formats(text: str) -> str:
    """Identifiers with a format of their own, before the token rules see the text."""
    for tag, pattern in _PATTERNS:
        text = pattern.sub(tag, text)
    text = _PHONE_CANDIDATE.sub(_phone, text)
    text = _HANDLE_AFTER_PLATFORM.sub(_handle, text)
    for pattern in (_AT_HANDLE, _UNDERSCORE_HANDLE, _DISCORD_TAG):
        text = pattern.sub(HANDLE, text)
    text = _PLATE.sub(PLATE, text)
    text = _PLATE_CUE.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + PLATE, text)
    for pattern in (_EN_STREET, _STREET, _APARTMENT, _POSTCODE_SE, _POSTCODE_TOWN, _UK_POSTCODE):
        text = pattern.sub(ADDRESS, text)
    text = _POSTCODE_CUE.sub(lambda m: m.group(1) + ADDRESS, text)
    return _POSTCODE_AFTER.sub(lambda m: m.group(1) + ADDRESS, text)


def scrub(text: str) -> str:
    """Replace personal identifiers in `text` with neutral tags."""
    if not text:
        return text
    # formats first (so "a.b@c.se" is one tag and "omar at gmail dot com" no name), then the
    # token rules for names and loosely typed numbers, then the formats once more
    text = _formats(text)
    text = scrub_tokens(text)
    text = _formats(text)
    return _SURNAME.sub(NAME, text)
