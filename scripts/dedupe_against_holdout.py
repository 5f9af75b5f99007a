"""Remove training examples that (nearly) repeat a held-out or blind-set example.

The held-out and blind sets (tests/data/nlu_holdout.yml, nlu_blind_1.yml, nlu_blind_2.yml)
must measure generalisation; a training example within SIMILARITY of one of their messages
(on folded text) would let the model memorise the answer. Only the training text is printed:
nlu_blind_2 stays blind. Run after adding
training data; tests/test_data_hygiene.py fails if any such pair remains.

    .venv/bin/python scripts/dedupe_against_holdout.py [--dry-run]
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.textnorm import fold  # noqa: E402

SIMILARITY = 0.9
EXAMPLE = re.compile(r"^(\s*)- (.*)$")


TEST_SETS = ("nlu_holdout.yml", "nlu_blind_1.yml", "nlu_blind_2.yml")


def holdout_texts() -> list[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    return [fold(e.get("text")) for name in TEST_SETS for e in
            load_data(str(ROOT / "tests" / "data" / name)).intent_examples]


def too_close(text: str, held: list[str]) -> bool:
    folded = fold(text)
    return any(folded == h or difflib.SequenceMatcher(None, folded, h).ratio() >= SIMILARITY
               for h in held)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    held = holdout_texts()
    removed = 0
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = []
        for line in lines:
            match = EXAMPLE.match(line.rstrip("\n"))
            if match and len(match.group(1)) >= 4 and too_close(match.group(2), held):
                removed += 1
                print(f"{path.name}: {match.group(2)}")
                continue
            kept.append(line)
        if not args.dry_run:
            path.write_text("".join(kept), encoding="utf-8")
    print(f"{'would remove' if args.dry_run else 'removed'} {removed} examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
