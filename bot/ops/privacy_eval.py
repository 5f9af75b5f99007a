"""How well the scrubber (bot.privacy.scrub) removes personal data: measured on a blind corpus.

A corpus is a YAML list of `{text, pii: [substrings that must disappear], kind}`; kind `none`
lines hold things that must stay (112, 90101, times, prices, ages). Written by someone who
never saw the scrubber, so the figure says how it does on text it was not tuned to.

- **recall** per kind: the share of pii substrings of which nothing is left. "Nothing left"
  is strict: every word or digit group of the substring (2+ characters) must be gone from the
  output, so "jag heter Kalle Anka" -> "jag heter [namn] Anka" is a miss, not a hit.
- **false scrubs**: the share of `none` lines the scrubber changed at all.

    python -m bot scrub-eval [tests/data/scrub/blind_1.yml] [--misses]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.settings import ROOT

DEFAULT_CORPUS = ROOT / "tests" / "data" / "scrub" / "blind_1.yml"
_TOKEN = re.compile(r"\w{2,}")


@dataclass(frozen=True)
class Entry:
    text: str
    pii: list[str]
    kind: str


@dataclass
class KindFigures:
    total: int = 0
    removed: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # text, pii, output

    @property
    def recall(self) -> float:
        return self.removed / self.total if self.total else 1.0


@dataclass
class Report:
    kinds: dict[str, KindFigures]
    none_lines: int
    false_scrubs: list[tuple[str, str]]  # text, output

    @property
    def recall(self) -> float:
        total = sum(k.total for k in self.kinds.values())
        return sum(k.removed for k in self.kinds.values()) / total if total else 1.0

    @property
    def false_scrub_rate(self) -> float:
        return len(self.false_scrubs) / self.none_lines if self.none_lines else 0.0

    def table(self) -> str:
        lines = [f"{'kind':<14}{'removed':>10}{'recall':>9}"]
        for kind, figures in sorted(self.kinds.items()):
            lines.append(f"{kind:<14}{figures.removed:>5}/{figures.total:<4}"
                         f"{figures.recall:>9.1%}")
        total = sum(k.total for k in self.kinds.values())
        removed = sum(k.removed for k in self.kinds.values())
        lines.append(f"{'all':<14}{removed:>5}/{total:<4}{self.recall:>9.1%}")
        lines.append(f"false scrubs on 'none' lines: {len(self.false_scrubs)}/{self.none_lines}"
                     f" ({self.false_scrub_rate:.1%})")
        return "\n".join(lines)


def load_corpus(path: Path = DEFAULT_CORPUS) -> list[Entry]:
    """The corpus entries; a malformed entry is an error, not a silent skip."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of entries")
    entries = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ValueError(f"{path}: entry {i} has no text")
        pii = [str(p) for p in item.get("pii") or []]
        missing = [p for p in pii if p not in item["text"]]
        if missing:
            raise ValueError(f"{path}: entry {i}: pii {missing} not in its text")
        entries.append(Entry(item["text"], pii, str(item.get("kind") or "none")))
    return entries


def left_over(text: str, pii: str, output: str) -> bool:
    """True if any word or digit group of `pii` is still in `output` (beyond the copies
    that the rest of the text had anyway)."""
    rest = Counter(t.lower() for t in _TOKEN.findall(text.replace(pii, " ", 1)))
    out = Counter(t.lower() for t in _TOKEN.findall(output))
    return any(out[t.lower()] > rest[t.lower()] for t in _TOKEN.findall(pii))


def measure(entries: list[Entry], scrub: Callable[[str], str] | None = None) -> Report:
    if scrub is None:
        from bot.privacy import scrub
    kinds: dict[str, KindFigures] = {}
    none_lines, false_scrubs = 0, []
    for entry in entries:
        output = scrub(entry.text)
        if entry.kind == "none":
            none_lines += 1
            if output != entry.text:
                false_scrubs.append((entry.text, output))
            continue
        figures = kinds.setdefault(entry.kind, KindFigures())
        for pii in entry.pii:
            figures.total += 1
            if left_over(entry.text, pii, output):
                figures.misses.append((entry.text, pii, output))
            else:
                figures.removed += 1
    return Report(kinds, none_lines, false_scrubs)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot scrub-eval")
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--misses", action="store_true", help="list every miss and false scrub")
    args = parser.parse_args(argv)
    report = measure(load_corpus(Path(args.corpus)))
    print(report.table())
    if args.misses:
        for kind, figures in sorted(report.kinds.items()):
            for text, pii, output in figures.misses:
                print(f"MISS {kind}: {pii!r} in {text!r} -> {output!r}")
        for text, output in report.false_scrubs:
            print(f"FALSE {text!r} -> {output!r}")
    return 0
