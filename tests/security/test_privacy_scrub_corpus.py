"""The scrubber on the blind scrubbing corpus (tests/data/scrub/blind_1.yml, 325 lines written
by someone who never saw the scrubber): recall per kind and false scrubs, held at floors.

BEFORE is the figure of the scrubber as it was when the corpus arrived (measured once, before
any change, with `python -m bot scrub-eval`); the floors are the figure reached since, minus a
small margin. Recall is strict: a name scrubbed to "[namn] Anka" still counts as a miss.
"""

from __future__ import annotations

from bot.privacy_eval import DEFAULT_CORPUS, load_corpus, measure

# removed / total per kind, and false scrubs / 'none' lines, before any change to the scrubber
BEFORE = {"address": (27, 54), "email": (23, 38), "handle": (10, 30), "name": (30, 50),
          "personnummer": (26, 28), "phone": (33, 48), "plate": (0, 13)}
BEFORE_ALL = (149, 261)
BEFORE_FALSE = (0, 82)

# floors: what the current scrubber reaches, minus a margin of about one item per kind
FLOOR = {"address": 0.50, "email": 0.60, "handle": 0.33, "name": 0.60, "personnummer": 0.92,
         "phone": 0.68, "plate": 0.0}
FLOOR_ALL = 0.57
MAX_FALSE_RATE = 0.0


def test_scrubber_recall_and_false_scrubs_on_the_blind_corpus() -> None:
    entries = load_corpus(DEFAULT_CORPUS)
    assert len(entries) == 325
    report = measure(entries)
    print(f"\nblind scrubbing corpus {DEFAULT_CORPUS.name}: {len(entries)} lines")
    print(f"{'kind':<14}{'before':>16}{'now':>16}")
    for kind, (removed, total) in sorted(BEFORE.items()):
        now = report.kinds[kind]
        print(f"{kind:<14}{removed:>5}/{total:<3}{removed / total:>7.1%}"
              f"{now.removed:>5}/{now.total:<3}{now.recall:>7.1%}")
    b_removed, b_total = BEFORE_ALL
    total = sum(k.total for k in report.kinds.values())
    removed = sum(k.removed for k in report.kinds.values())
    print(f"{'all':<14}{b_removed:>5}/{b_total:<3}{b_removed / b_total:>7.1%}"
          f"{removed:>5}/{total:<3}{report.recall:>7.1%}")
    print(f"false scrubs on 'none' lines: before {BEFORE_FALSE[0]}/{BEFORE_FALSE[1]}, now "
          f"{len(report.false_scrubs)}/{report.none_lines}")
    for text, output in report.false_scrubs:
        print(f"  false scrub: {text!r} -> {output!r}")
    for kind, floor in FLOOR.items():
        assert report.kinds[kind].recall >= floor, (kind, report.kinds[kind].misses)
    assert report.recall >= FLOOR_ALL
    assert report.false_scrub_rate <= MAX_FALSE_RATE, report.false_scrubs


def test_leftover_rule_counts_partial_names_as_misses() -> None:
    from bot.privacy_eval import left_over

    assert left_over("jag heter Kalle Anka", "Kalle Anka", "jag heter [namn] Anka")
    assert not left_over("jag heter Kalle Anka", "Kalle Anka", "jag heter [namn]")
    # a word that was in the text anyway does not count against the scrubber
    assert not left_over("Anka sa: jag heter Kalle Anka", "Kalle Anka", "Anka sa: jag heter [namn]")
