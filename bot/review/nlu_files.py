"""Write reviewed examples into the Rasa NLU training files, keeping them as people wrote them.

The files in data/nlu/ carry comments that explain choices (what an intent must not contain,
why an example is there). A YAML dump, even ruamel's round-trip, can re-indent or re-wrap
them, so this module inserts lines as text: after the last example of the intent's
`examples: |` block, with that block's indentation. Every other byte of the file stays as it
was, and the result is parsed again before it replaces the file.

One intent lives in one file; an intent no file has yet goes to `new_intents.yml`.
Duplicates (same normalised text) are skipped; a text that is already an example of another
intent is reported as a conflict and not written, because the same words under two labels
teach the classifier nothing but confusion.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.review.store import normalise

NEW_INTENTS_FILE = "new_intents.yml"
INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
NEW_FILE_HEADER = (
    "# Intents created from the review inbox (python -m bot escalation, page /review).\n"
    "# The page also writes each one's answer (data/content/content.yml), its rule\n"
    "# (data/rules/new_intents.yml) and its domain entry; a full retrain then learns it.\n\n"
    'version: "3.1"\nnlu:\n'
)


@dataclass
class WriteResult:
    """What happened to each text."""

    file: str | None = None
    added: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (text, other intent)


@dataclass
class ExamplesPlan(WriteResult):
    """The file that would change, its text now and after (nothing written yet)."""

    path: Path | None = None
    old: str = field(default="", repr=False)
    new: str = field(default="", repr=False)


def default_nlu_dir() -> Path:
    return Path(os.environ.get("REVIEW_NLU_DIR") or
                Path(__file__).resolve().parent.parent.parent / "data" / "nlu")


def _examples(block: str) -> list[str]:
    return [line.strip()[2:].strip() for line in block.splitlines()
            if line.strip().startswith("- ")]


def read_intents(nlu_dir: Path) -> tuple[dict[str, Path], dict[str, str]]:
    """(intent -> file holding it, normalised example -> its intent) over all files."""
    files: dict[str, Path] = {}
    examples: dict[str, str] = {}
    for path in sorted(nlu_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            intent = item.get("intent") if isinstance(item, dict) else None
            if not intent:
                continue
            files.setdefault(intent, path)
            for text in _examples(str(item.get("examples") or "")):
                examples.setdefault(normalise(_plain(text)), intent)
    return files, examples


def _plain(text: str) -> str:
    """Rasa's inline entity markup `[words](entity)` -> words, for duplicate checks."""
    return re.sub(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}", lambda m: m.group(1) or
                  m.group(2) or "", text)


def clean_example(text: str) -> str:
    """One line, no markup that Rasa would read as an entity annotation."""
    text = " ".join(text.split())
    return text.replace("](", "] (").replace("]{", "] {")


def prepare_example(text: str) -> str:
    """Exactly what goes into the training file: scrubbed again with today's scrubber (the
    inbox text was scrubbed when it arrived, perhaps by an older one), then cleaned."""
    from bot.privacy import scrub

    return clean_example(scrub(text))


def _insert(lines: list[str], intent: str, new: list[str]) -> list[str] | None:
    """Lines with `new` examples after the intent's last example; None if the intent is absent."""
    head = re.compile(r"^(\s*)-\s+intent:\s*['\"]?" + re.escape(intent) + r"['\"]?\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if head.match(line.rstrip("\n"))), None)
    if start is None:
        return None
    item_indent = len(head.match(lines[start].rstrip("\n")).group(1))  # type: ignore[union-attr]
    ex_line = None
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        indent = len(lines[i]) - len(lines[i].lstrip())
        if stripped and indent <= item_indent and not stripped.startswith("#"):
            break  # next item
        if re.match(r"^\s*examples:\s*[|>]", lines[i]):
            ex_line = i
            break
    if ex_line is None:
        raise ValueError(f"intent {intent!r} has no 'examples: |' block")
    key_indent = len(lines[ex_line]) - len(lines[ex_line].lstrip())
    last, dash_indent = ex_line, key_indent + 2
    for i in range(ex_line + 1, len(lines)):
        stripped = lines[i].strip()
        indent = len(lines[i]) - len(lines[i].lstrip())
        if not stripped:
            continue
        if indent <= key_indent:
            break
        last = i
        if stripped.startswith("- "):
            dash_indent = indent
    eol = "\r\n" if lines[last].endswith("\r\n") else "\n"
    if not lines[last].endswith("\n"):
        lines[last] += eol
    added = [" " * dash_indent + "- " + text + eol for text in new]
    return lines[: last + 1] + added + lines[last + 1:]


def atomic_write(path: Path, content: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def plan_examples(intent: str, texts: list[str], nlu_dir: Path,
                  allow_new: bool = False) -> ExamplesPlan:
    """Which texts would be added to which file, and that file's new text (checked by
    parsing it again); nothing is written. `allow_new=False` refuses an intent no file has
    (a typo must not create an intent)."""
    if not INTENT_NAME.match(intent):
        raise ValueError("intent names are lower case letters, digits and _")
    files, known = read_intents(nlu_dir)
    result = ExamplesPlan()
    fresh: list[str] = []
    for raw in texts:
        text = prepare_example(raw)  # nothing reaches data/nlu unscrubbed
        if not text:
            continue
        key = normalise(_plain(text))
        other = known.get(key)
        if other == intent or key in {normalise(t) for t in fresh}:
            result.duplicates.append(text)
        elif other is not None:
            result.conflicts.append((text, other))
        else:
            fresh.append(text)
    if not fresh:
        return result
    path = files.get(intent)
    if path is None:
        if not allow_new:
            raise ValueError(f"no training file has intent {intent!r}")
        path = nlu_dir / NEW_INTENTS_FILE
    original = path.read_text(encoding="utf-8") if path.exists() else NEW_FILE_HEADER
    lines = original.splitlines(keepends=True)
    updated = _insert(lines, intent, fresh)
    if updated is None:  # a new intent: a new item at the end of the file
        tail = "" if not lines or lines[-1].endswith("\n") else "\n"
        updated = [*lines, tail + f"- intent: {intent}\n  examples: |\n",
                   *[f"    - {t}\n" for t in fresh]]
    content = "".join(updated)
    _verify(content, intent, fresh, path)
    result.path, result.file, result.added = path, path.name, fresh
    result.old = path.read_text(encoding="utf-8") if path.exists() else ""
    result.new = content
    return result


def add_examples(intent: str, texts: list[str], nlu_dir: Path | None = None,
                 allow_new: bool = False) -> WriteResult:
    """Add `texts` as examples of `intent`, in the file that holds it (or new_intents.yml)."""
    planned = plan_examples(intent, texts, nlu_dir or default_nlu_dir(), allow_new)
    if planned.path is not None:
        atomic_write(planned.path, planned.new)
    return planned


def _verify(content: str, intent: str, fresh: list[str], path: Path) -> None:
    """Parse the new content; refuse to write a file whose meaning is not what we intended."""
    data = yaml.safe_load(content) or {}
    examples = [
        ex for item in data.get("nlu") or [] if isinstance(item, dict)
        and item.get("intent") == intent for ex in _examples(str(item.get("examples") or ""))
    ]
    missing = [t for t in fresh if t not in examples]
    if missing:
        raise ValueError(f"writing {path.name} would not add {missing!r}; file left unchanged")
