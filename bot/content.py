"""The content file: facts and answer texts that maintainers edit without touching code.

`data/content/content.yml` holds every fact shown to users (numbers, hours, what help exists,
what is promised about confidentiality), each with its source and a `verified` flag, and the
answer texts with `{fact_key}` placeholders. `build` renders the texts into the `responses:`
section of `domain.yml`: Swedish as the default variation, English as a variation conditioned
on the `language` slot. Rendering into the domain (instead of filling texts at run time in a
custom action) keeps the safety answers working when the action server is down.

    python -m bot content build   # rewrite domain.yml responses from the content file
    python -m bot content check   # exit 1 if domain.yml is out of date, the content is invalid
                                  # or an answer over 20 words has LIX > 40
    python -m bot content facts   # list facts, flagging those still to be verified locally
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.settings import ROOT

CONTENT_PATH = ROOT / "data" / "content" / "content.yml"
DOMAIN_PATH = ROOT / "domain.yml"
MARKER = "# ---- GENERATED BELOW:"
LANGUAGES = ("sv", "en")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
DID_YOU_MEAN = "did_you_mean"  # a response's "Menade du ...?" form (bot/nlu/did_you_mean.py)


class ContentError(ValueError):
    """The content file is not valid; the message says where."""


@dataclass(frozen=True)
class Content:
    """Parsed content file."""

    facts: dict[str, dict[str, Any]]
    responses: dict[str, dict[str, Any]]
    intent_titles: dict[str, dict[str, str]] = field(default_factory=dict)

    def fact(self, key: str, lang: str = "sv") -> str:
        """The text of one fact in one language (falls back to Swedish)."""
        item = self.facts[key]
        return str(item.get(lang) or item["sv"])

    def unverified(self) -> list[str]:
        return sorted(k for k, v in self.facts.items() if not v.get("verified", False))

    def render(self, template: str, lang: str, variables: frozenset[str] = frozenset()) -> str:
        """Fill `{fact_key}` placeholders with the fact's text in `lang`.

        Names listed in an answer's `variables:` stay as `{name}`: a custom action fills them
        when it sends the response (e.g. the estimated wait in minutes).
        """

        def fill(match: re.Match[str]) -> str:
            key = match.group(1).strip()
            if key in variables:
                return match.group(0)
            if key not in self.facts:
                raise ContentError(f"unknown fact '{key}' in text: {template[:60]!r}")
            return self.fact(key, lang)

        return _PLACEHOLDER.sub(fill, template).strip()


def text(name: str, lang: str, path: Path = CONTENT_PATH, **variables: object) -> str:
    """One answer rendered in `lang` ("sv" unless "en"), variables filled.

    For texts our own services send (coach joined/left, no coach now): the action server and
    the escalation service read the same content file as the domain, so a maintainer edits
    every user-facing text in one place. The parsed file is cached and parsed again only when
    it changes on disk, so a call does not block an event loop for the YAML parse.
    """
    content = load_cached(path)
    answer = content.responses[name]
    lang = lang if lang in LANGUAGES else "sv"
    template = _variations(answer[lang])[0]
    rendered = content.render(template, lang, _variables(answer))
    return rendered.format(**variables) if variables else rendered


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0.0


@lru_cache(maxsize=8)
def _load_version(path: Path, mtime: float) -> Content:
    return load(path)


def load_cached(path: Path = CONTENT_PATH) -> Content:
    """`load`, parsed again only when the file's modification time changes."""
    return _load_version(path, _mtime(path))


def load(path: Path = CONTENT_PATH) -> Content:
    """Load and validate the content file."""
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def parse(data: dict[str, Any]) -> Content:
    """Validate the content file's parsed YAML (also a version not yet written to disk)."""
    facts = data.get("facts") or {}
    # "answers", not "responses": Rasa would otherwise read this file as training data
    responses = data.get("answers") or {}
    for key, item in facts.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(key)):
            raise ContentError(f"fact key '{key}' must be lowercase snake_case")
        missing = [f for f in ("sv", "source", "verified") if f not in (item or {})]
        if missing:
            raise ContentError(f"fact '{key}' lacks {', '.join(missing)}")
    intent_titles = data.get("intent_titles") or {}
    for intent, title in intent_titles.items():
        if not isinstance(title, dict) or any(not title.get(lang) for lang in LANGUAGES):
            raise ContentError(f"intent title '{intent}' needs both sv and en")
    content = Content(facts=facts, responses=responses, intent_titles=intent_titles)
    for name, response in responses.items():
        if not str(name).startswith("utter_"):
            raise ContentError(f"response '{name}' must start with utter_")
        for lang in LANGUAGES:
            if lang not in (response or {}):
                raise ContentError(f"response '{name}' lacks its '{lang}' text")
            for text in _variations(response[lang]):
                content.render(text, lang, _variables(response))  # raises on unknown facts
            if response.get(DID_YOU_MEAN):
                content.render(str(response[DID_YOU_MEAN][lang]), lang)
    return content


LIX_MAX = 40
LIX_MIN_WORDS = 20
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"[.!?:;]+(?=\s|$)|\n+")


def lix(text: str) -> tuple[float, int]:
    """(LIX, word count) of a text: words per sentence + percent of words over six letters.

    Lines count as sentences too, since list items and number lines end without a full stop.
    """
    words = _WORD.findall(text)
    if not words:
        return 0.0, 0
    sentences = [s for s in _SENTENCE_END.split(text) if _WORD.search(s)]
    long_words = sum(1 for w in words if len(w.replace("-", "")) > 6)
    return len(words) / max(1, len(sentences)) + 100 * long_words / len(words), len(words)


def reading_level_problems(content: Content) -> list[str]:
    """Every answer over LIX_MIN_WORDS words above LIX_MAX, so each stays readable at 14."""
    problems = []
    for name, response in content.responses.items():
        for lang in LANGUAGES:
            for template in _variations(response[lang]):
                value, words = lix(content.render(template, lang, _variables(response)))
                if words > LIX_MIN_WORDS and value > LIX_MAX:
                    problems.append(f"{name} ({lang}): LIX {value:.0f} > {LIX_MAX}, {words} words")
    return problems


def _variables(response: dict[str, Any]) -> frozenset[str]:
    return frozenset(str(v) for v in response.get("variables") or [])


def _variations(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _buttons(spec: list[dict[str, Any]] | None, lang: str) -> list[dict[str, str]]:
    return [{"title": _title(b["title"], lang), "payload": b["payload"]} for b in spec or []]


def _condition(**slots: str) -> list[dict[str, str]]:
    return [{"type": "slot", "name": name, "value": value} for name, value in slots.items()]


def _did_you_mean(content: Content, spec: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """One variation per number of guesses: the guesses' buttons come from the `dym_*` slots
    that bot.rasa_plugins.nlu.did_you_mean fills, then the spec's own buttons."""
    from bot.protocol import DID_YOU_MEAN_COUNT_ENTITY as COUNT_ENTITY
    from bot.protocol import DID_YOU_MEAN_MAX_CHOICES as MAX_CHOICES
    from bot.protocol import did_you_mean_slot_names as slot_names

    variations = []
    for count in range(1, MAX_CHOICES + 1):
        guesses = []
        for k in range(1, count + 1):
            intent_slot, sv_slot, en_slot = slot_names(k)
            title_slot = sv_slot if lang == "sv" else en_slot
            guesses.append({"title": f"{{{title_slot}}}", "payload": f"/{{{intent_slot}}}"})
        variations.append({
            "text": content.render(str(spec[lang]), lang),
            "buttons": guesses + _buttons(spec.get("buttons"), lang),
            "condition": _condition(language=lang, **{COUNT_ENTITY: str(count)}),
        })
    return variations


def domain_responses(content: Content) -> dict[str, list[dict[str, Any]]]:
    """Rasa response variations for every response in the content file.

    Swedish is the default variation, English is conditioned on the `language` slot. A
    response with `did_you_mean` also gets variations with the classifier's guesses as
    buttons; its plain English variation is then conditioned on there being no guesses as
    well (Rasa picks at random among matching conditions, not the most specific one).
    """
    from bot.protocol import DID_YOU_MEAN_COUNT_ENTITY as COUNT_ENTITY

    rendered: dict[str, list[dict[str, Any]]] = {}
    for name, response in content.responses.items():
        if response.get("domain", True) is False:
            continue  # sent by our services with text(), not by Rasa rules
        variations: list[dict[str, Any]] = []
        spec = response.get(DID_YOU_MEAN)
        for lang in LANGUAGES:
            for text in _variations(response[lang]):
                variation: dict[str, Any] = {
                    "text": content.render(text, lang, _variables(response))
                }
                buttons = _buttons(response.get("buttons"), lang)
                if buttons:
                    variation["buttons"] = buttons
                if lang != "sv":
                    plain = {COUNT_ENTITY: "0"} if spec else {}
                    variation["condition"] = _condition(language=lang, **plain)
                variations.append(variation)
            if spec:
                variations += _did_you_mean(content, spec, lang)
        rendered[name] = variations
    return rendered


def _title(title: Any, lang: str) -> str:
    return str(title.get(lang) or title["sv"]) if isinstance(title, dict) else str(title)


def render_domain(content: Content, domain_text: str) -> str:
    """The domain file's text with the generated responses section replaced."""
    if MARKER not in domain_text:
        raise ContentError(f"domain.yml lacks the marker line '{MARKER}'")
    head = domain_text[: domain_text.index(MARKER)]
    marker_line = domain_text[domain_text.index(MARKER) :].splitlines()[0]
    body = yaml.safe_dump(
        {"responses": domain_responses(content)},
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )
    return f"{head}{marker_line}\n{body}"


def build(content_path: Path = CONTENT_PATH, domain_path: Path = DOMAIN_PATH) -> bool:
    """Rewrite domain.yml's responses; returns True if the file changed."""
    new = render_domain(load(content_path), domain_path.read_text(encoding="utf-8"))
    if new == domain_path.read_text(encoding="utf-8"):
        return False
    domain_path.write_text(new, encoding="utf-8")
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot content")
    parser.add_argument("command", choices=["build", "check", "facts"])
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="project folder holding domain.yml and data/ (default: this one)")
    args = parser.parse_args(argv)
    content_path, domain_path = (args.root / CONTENT_PATH.relative_to(ROOT),
                                  args.root / DOMAIN_PATH.relative_to(ROOT))
    try:
        content = load(content_path)
        if args.command == "facts":
            for key, item in content.facts.items():
                flag = "" if item.get("verified") else "  [VERIFY LOCALLY]"
                print(f"{key}: {item['sv']}  ({item['source']}){flag}")
            return 0
        if args.command == "check":
            current = domain_path.read_text(encoding="utf-8")
            if render_domain(content, current) != current:
                print("domain.yml is out of date: run `python -m bot content build`")
                return 1
            hard = reading_level_problems(content)
            if hard:
                print("too hard to read (shorter sentences, shorter words):\n  "
                      + "\n  ".join(hard))
                return 1
            print(f"content ok: {len(content.facts)} facts, {len(content.responses)} responses, "
                  f"every answer over {LIX_MIN_WORDS} words at LIX <= {LIX_MAX}")
        else:
            changed = build(content_path, domain_path)
            print("domain.yml responses rebuilt" if changed else "domain.yml already up to date")
    except ContentError as exc:
        print(f"content error: {exc}")
        return 1
    pending = content.unverified()
    if pending:
        print(f"note: {len(pending)} facts still need local confirmation: {', '.join(pending)}")
    return 0
