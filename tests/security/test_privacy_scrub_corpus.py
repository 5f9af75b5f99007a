"""The scrubber on the blind scrubbing corpus (tests/data/scrub/blind_1.yml, 325 lines written
by someone who never saw the scrubber): recall per kind and false scrubs, held at floors.

BEFORE is the figure of the scrubber as it was when the corpus arrived (measured once, before
any change, with `python -m bot scrub-eval`); the floors are the figure reached since, minus a
small margin. Recall is strict: a name scrubbed to "[namn] Anka" still counts as a miss.
"""

from __future__ import annotations

from bot.ops.privacy_eval import DEFAULT_CORPUS, load_corpus, measure

# removed / total per kind, and false scrubs / 'none' lines, before any change to the scrubber
BEFORE = {"address": (27, 54), "email": (23, 38), "handle": (10, 30), "name": (30, 50),
          "personnummer": (26, 28), "phone": (33, 48), "plate": (0, 13)}
BEFORE_ALL = (149, 261)
BEFORE_FALSE = (0, 82)

# what the scrubber reaches now (after the patterns were generalised; the corpus was read
# while writing them, so this is no longer a blind figure: see docs/privacy.md)
AFTER = {"address": (54, 54), "email": (38, 38), "handle": (30, 30), "name": (50, 50),
         "personnummer": (28, 28), "phone": (48, 48), "plate": (13, 13)}
AFTER_FALSE = (0, 82)
# floors: the achieved figure minus one item per kind (three overall, one false scrub)
FLOOR = {kind: (removed - 1) / total for kind, (removed, total) in AFTER.items()}
FLOOR_ALL = (261 - 3) / 261
MAX_FALSE_RATE = 1 / 82


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


# The forms the security issue named, and variants written for this test (not from the corpus):
# each must lose every listed piece, and keep the rest of the sentence.
FORMS = [
    ("min kusin har +358 40 123 4567", ["358", "123", "4567"]),
    ("ring min moster på +371 2612 3456 i lettland", ["2612", "3456"]),
    ("swisha till 46701234567", ["46701234567"]),
    ("nya numret 46735551234 ok", ["46735551234"]),
    ("skriv till namn(at)gmail.com", ["namn", "gmail"]),
    ("mejla ola.p(at)yahoo.se", ["ola", "yahoo"]),
    ("skriv till kim_88 at gmail dot com", ["kim_88", "gmail"]),
    ("jag heter Kalle Anka", ["Kalle", "Anka"]),
    ("hon heter Malin Öberg", ["Malin", "Öberg"]),
    ("min lärare Eva Lund", ["Eva", "Lund"]),
    ("min snap är tjejen.99", ["tjejen"]),
    ("insta: kattmamman", ["kattmamman"]),
    ("he lives at 12 Baker Street", ["12", "Baker"]),
    ("he lives at 9 Queen Road", ["Queen"]),
    ("jag bor på Vasagatan nr 12", ["Vasagatan", "12"]),
    ("vi bor på Norra Promenaden 12 lgh 1201", ["Promenaden", "1201"]),
    ("postnr 602 10", ["602"]),
    ("bilen hade regnr PLX 482", ["PLX", "482"]),
]
KEPT = ["vi ses kl 19.30", "ring 112 nu", "jag bor på plan 3", "han e 17 och går i 9C",
        "BUP ringde 2 ggr", "swisha 200 kr", "snap e bäst", "min kompis heter inte det",
        "FIFA 23 e bättre", "tog buss 116 kl 07.10", "dom kallar mig golare"]


def test_named_forms_and_written_variants() -> None:
    from bot.privacy import scrub

    for text, pieces in FORMS:
        out = scrub(text)
        print(f"{text!r} -> {out!r}")
        assert not any(p in out for p in pieces), out
    for text in KEPT:
        assert scrub(text) == text, scrub(text)
    print(f"{len(FORMS)} forms scrubbed, {len(KEPT)} ordinary messages kept")


def test_leftover_rule_counts_partial_names_as_misses() -> None:
    from bot.ops.privacy_eval import left_over

    assert left_over("jag heter Kalle Anka", "Kalle Anka", "jag heter [namn] Anka")
    assert not left_over("jag heter Kalle Anka", "Kalle Anka", "jag heter [namn]")
    # a word that was in the text anyway does not count against the scrubber
    assert not left_over("Anka sa: jag heter Kalle Anka", "Kalle Anka", "Anka sa: jag heter [namn]")
