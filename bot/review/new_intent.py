"""A new intent from the review inbox, complete: examples, answer, rule and domain entry.

A maintainer who creates an intent writes its answer in Swedish and English on the review page.
`plan` computes every file the change touches, without writing anything:

- `data/nlu/new_intents.yml`: the labelled messages as examples (scrubbed again, see nlu_files),
- `data/content/content.yml`: the answer `utter_<intent>` under `answers:`,
- `data/rules/new_intents.yml`: a rule "intent -> utter_<intent>",
- `domain.yml`: the intent in `intents:`, and the responses regenerated from the content file.

The page shows the answer as the user will read it and a unified diff of each file; `apply`
writes them only when the maintainer confirms, and only if no file changed in between. Then
the usual `./dev retrain`, `./dev gate` and `./dev ship` pick the change up (a new intent means
a full train: fine-tuning cannot add a label).

Files are changed by inserting text, never by re-dumping them: every comment and line of the
hand-written files stays as it is. The inserted answer block is emitted by ruamel.yaml (so any
quote, colon or `#` a maintainer types is escaped correctly), and each new file is parsed again
and compared with what was meant before anything is written.
"""

from __future__ import annotations

import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import content
from bot.review import nlu_files

RULES_FILE = "new_intents.yml"
MAX_ANSWER_CHARS = 1200
NEW_RULES_HEADER = (
    "# Rules for intents created from the review inbox (page /review): one answer each.\n"
    "# The answers are in data/content/content.yml.\n"
    'version: "3.1"\nrules:\n'
)
# a number in an answer must come from a fact ({emergency_number}), never be typed in
_DIGIT = re.compile(r"\d")


class DraftError(ValueError):
    """The draft cannot become files; `status` is the HTTP status the page answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Draft:
    """What the maintainer typed."""

    intent: str
    answer_sv: str
    answer_en: str

    @property
    def response(self) -> str:
        return f"utter_{self.intent}"


@dataclass
class Plan:
    """Every file the draft changes: path -> (text now, text after)."""

    draft: Draft
    root: Path
    changes: dict[Path, tuple[str, str]]
    rendered: dict[str, str]  # the answer as the user reads it, per language
    examples: list[str]
    duplicates: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)

    def diffs(self) -> list[tuple[str, str]]:
        """(path relative to the project, unified diff) per changed file."""
        out = []
        for path, (old, new) in self.changes.items():
            rel = path.relative_to(self.root).as_posix()
            lines = difflib.unified_diff(old.splitlines(keepends=True),
                                         new.splitlines(keepends=True),
                                         f"a/{rel}", f"b/{rel}", n=2)
            out.append((rel, "".join(lines)))
        return out


def paths(root: Path) -> dict[str, Path]:
    return {"content": root / "data" / "content" / "content.yml", "domain": root / "domain.yml",
            "rules": root / "data" / "rules" / RULES_FILE, "nlu": root / "data" / "nlu"}


def clean_answer(text: str) -> str:
    """Lines stripped at the end, Windows line ends and trailing blank lines gone."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n").strip()


def validate(draft: Draft, root: Path) -> None:
    """Refuse a bad name, an empty or too long answer, a typed number, or anything taken."""
    p = paths(root)
    if not nlu_files.INTENT_NAME.match(draft.intent):
        raise DraftError("Avsiktens namn: små bokstäver a–z, siffror och _, 2–64 tecken, "
                         "börjar med en bokstav (t.ex. ask_school).")
    for lang, text in (("svenska", draft.answer_sv), ("engelska", draft.answer_en)):
        if not text:
            raise DraftError(f"Skriv svaret på {lang}.")
        if len(text) > MAX_ANSWER_CHARS:
            raise DraftError(f"Svaret på {lang} är längre än {MAX_ANSWER_CHARS} tecken.")
        if _DIGIT.search(content._PLACEHOLDER.sub("", text)):
            raise DraftError(f"Svaret på {lang} innehåller en siffra. Nummer och tider kommer "
                             "bara från faktalistan: skriv t.ex. {emergency_number}.")
    facts = content.load(p["content"]).facts
    unknown = sorted({m.strip() for text in (draft.answer_sv, draft.answer_en)
                      for m in content._PLACEHOLDER.findall(text)} - set(facts))
    if unknown:
        raise DraftError("Okänd fakta i svaret: " + ", ".join("{" + u + "}" for u in unknown)
                         + ". Tillgängliga: " + ", ".join("{" + k + "}" for k in facts) + ".")
    domain = yaml.safe_load(p["domain"].read_text(encoding="utf-8")) or {}
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []}
    files, _ = nlu_files.read_intents(p["nlu"])
    if draft.intent in intents or draft.intent in files:
        raise DraftError(f"Avsikten {draft.intent} finns redan. Välj den under "
                         "”Befintlig avsikt”, eller ett annat namn.", 409)
    if draft.response in content.load(p["content"]).responses:
        raise DraftError(f"Svaret {draft.response} finns redan i content.yml.", 409)


def _stored(draft: Draft) -> dict[str, str]:
    """The answer's texts as the content file holds them: a text of several lines as a block
    (`|`, ending in a line break, like the file's other answers), one line as it is."""
    return {lang: text + "\n" if "\n" in text else text
            for lang, text in (("sv", draft.answer_sv), ("en", draft.answer_en))}


def _answer_block(draft: Draft) -> str:
    """The new entry of `answers:`, two spaces in, as ruamel.yaml writes it."""
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import LiteralScalarString

    out = io.StringIO()
    dumper = YAML()
    dumper.indent(mapping=2, sequence=4, offset=2)
    dumper.width = 4096  # one line per paragraph, as the file's other answers
    dumper.dump({draft.response: {
        lang: LiteralScalarString(text) if "\n" in text else text
        for lang, text in _stored(draft).items()}}, out)
    return "\n" + "".join("  " + line if line.strip() else line
                          for line in out.getvalue().splitlines(keepends=True))


def _top_level_end(text: str, key: str) -> tuple[int, str]:
    """Offset just after the last non-blank line of top-level `key:`'s block, and the line
    end that line lacks (if it is the file's last, without one)."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
    end = start
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line.strip() and not line[0].isspace() and not line.startswith("#"):
            break
        if line.strip() and not line.startswith("#"):
            end = i
    tail = "" if lines[end].endswith("\n") else "\n"
    return sum(len(line) for line in lines[: end + 1]), tail


def _with_answer(text: str, draft: Draft) -> str:
    at, tail = _top_level_end(text, "answers")
    return text[:at] + tail + _answer_block(draft) + text[at:]


def _with_intent(text: str, intent: str) -> str:
    """domain.yml with `- intent` after the last item of `intents:` (before its trailing
    blank line), in that list's indentation."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("intents:"))
    last, indent = start, "  "
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        if stripped and not lines[i][0].isspace() and not stripped.startswith("#"):
            break
        if stripped.startswith("- "):
            last, indent = i, lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    return "".join([*lines[: last + 1], f"{indent}- {intent}\n", *lines[last + 1:]])


def _with_rule(text: str | None, draft: Draft) -> str:
    base = text if text is not None else NEW_RULES_HEADER
    if not base.endswith("\n"):
        base += "\n"
    gap = "" if base.endswith(("rules:\n", "\n\n")) else "\n"
    return (base + gap + f"- rule: {draft.intent}\n  steps:\n  - intent: {draft.intent}\n"
            f"  - action: {draft.response}\n")


def plan(draft: Draft, texts: list[str], root: Path) -> Plan:
    """Every change the draft makes, checked by parsing each result; nothing is written."""
    draft = Draft(draft.intent.strip(), clean_answer(draft.answer_sv),
                  clean_answer(draft.answer_en))
    validate(draft, root)
    p = paths(root)
    old_content = p["content"].read_text(encoding="utf-8")
    new_content = _with_answer(old_content, draft)
    before = yaml.safe_load(old_content)
    after = yaml.safe_load(new_content)
    expected = {**before["answers"], draft.response: _stored(draft)}
    if {k: v for k, v in after.items() if k != "answers"} != {
            k: v for k, v in before.items() if k != "answers"} or after["answers"] != expected:
        raise DraftError("content.yml skulle inte bli som avsett; inget ändrat.", 500)
    loaded = _parse_content(after, content.parse(before))
    rendered = {lang: loaded.render(text, lang) for lang, text in
                (("sv", draft.answer_sv), ("en", draft.answer_en))}
    old_domain = p["domain"].read_text(encoding="utf-8")
    new_domain = content.render_domain(loaded, _with_intent(old_domain, draft.intent))
    domain = yaml.safe_load(new_domain)
    if draft.intent not in domain["intents"] or draft.response not in domain["responses"]:
        raise DraftError("domain.yml skulle inte bli som avsett; inget ändrat.", 500)
    old_rules = p["rules"].read_text(encoding="utf-8") if p["rules"].exists() else None
    new_rules = _with_rule(old_rules, draft)
    rules = yaml.safe_load(new_rules)["rules"]
    if rules[-1] != {"rule": draft.intent, "steps": [{"intent": draft.intent},
                                                      {"action": draft.response}]}:
        raise DraftError("Regelfilen skulle inte bli som avsett; inget ändrat.", 500)
    examples = nlu_files.plan_examples(draft.intent, texts, p["nlu"], allow_new=True)
    if not examples.added:
        raise DraftError("Inget av meddelandena kan bli exempel: de finns redan under en "
                         "annan avsikt. Välj andra meddelanden.", 409)
    changes = {p["content"]: (old_content, new_content), p["domain"]: (old_domain, new_domain),
               p["rules"]: (old_rules or "", new_rules)}
    changes[examples.path] = (examples.old, examples.new)
    return Plan(draft, root, changes, rendered, examples.added, examples.duplicates,
                examples.conflicts)


def _parse_content(data: dict[str, Any], old: content.Content) -> content.Content:
    """The content file as `bot.content` will read it, validated (unknown facts refused)."""
    try:
        return content.parse(data)
    except content.ContentError as exc:
        raise DraftError(f"Svaret går inte att använda: {exc}. Tillgängliga fakta: "
                         + ", ".join("{" + k + "}" for k in old.facts)) from exc


def apply(change: Plan) -> None:
    """Write every file of the plan, or none if any changed since the plan was made."""
    for path, (old, _new) in change.changes.items():
        now = path.read_text(encoding="utf-8") if path.exists() else ""
        if now != old:
            raise DraftError(f"{path.name} ändrades under tiden; förhandsgranska igen.", 409)
    for path, (_old, new) in change.changes.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        nlu_files.atomic_write(path, new)
