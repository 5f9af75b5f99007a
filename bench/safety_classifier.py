"""Would a second, differently built safety classifier help? Measure before deciding.

Trains a calibrated linear model (logistic regression on character and word n-grams of the
folded text) on the NLU training data plus the safety corpora already learned from, and
tests it on a held-out learned corpus whose texts were never read while writing the rules
(blind_6 by default). It prints, side by side on the same messages: the rules alone
(`bot.safety.detect`, sure and ask bands), the linear model at several thresholds, and the
two together (rules OR model). It never touches the newest blind corpus unless told to.

    .venv/bin/python bench/safety_classifier.py [--test blind_6] [--train blind_4 blind_5 ...]
        [--extra data/safety_training]   # folders of training messages beside the corpora
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

import yaml

from bot import safety
from bot.ops.modelops import safety_corpus
from bot.rasa_plugins.nlu import safety_classifier as classifier
from bot.rasa_plugins.nlu.safety_classifier import INTENT_KIND, LABEL_KIND, build_model


def nlu_examples() -> list[tuple[str, str]]:
    out = []
    for path in (safety_corpus.ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            kind = INTENT_KIND.get(block.get("intent"), "other")
            for line in (block.get("examples") or "").splitlines():
                text = line.strip()[2:].strip()
                if text:
                    out.append((text, kind))
    return out


def corpus_examples(names: Iterable[str]) -> list[tuple[str, str]]:
    """The component's own loader, by corpus name instead of path."""
    by_name = {c.name: c for c in safety_corpus.ALL_CORPORA}
    return classifier.corpus_examples(
        [str(by_name[name].path.relative_to(safety_corpus.ROOT)) for name in names])


def rules_kind(text: str) -> str:
    match = safety.detect(text)
    if match is None or match.kind == "threat":
        return "other"
    return match.kind


def score(name: str, gold: list[str], raised: list[bool]) -> str:
    def recall(kind: str) -> str:
        hits = [r for g, r in zip(gold, raised, strict=True) if g == kind]
        return f"{sum(hits)}/{len(hits)}"
    ordinary = [r for g, r in zip(gold, raised, strict=True) if g == "other"]
    return (f"| {name} | {recall('crisis')} | {recall('danger')} | "
            f"{sum(ordinary)}/{len(ordinary)} ({sum(ordinary) / len(ordinary):.1%}) |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", nargs="+",
                        default=["phrases_1", "phrases_2", "phrases_3", "blind_4", "blind_5"])
    parser.add_argument("--test", default="blind_6")
    parser.add_argument("--extra", nargs="*", default=[],
                        help="more training folders (paths from the project root)")
    args = parser.parse_args()
    train = nlu_examples() + corpus_examples(args.train) + classifier.corpus_examples(args.extra)
    by_name = {c.name: c for c in safety_corpus.ALL_CORPORA}
    messages, _ = safety_corpus.load_corpus(by_name[args.test].path)
    test = [m for m in messages if m["label"] != "threat"]  # threats go to their own answer
    texts = [m["text"] for m in test]
    gold = [LABEL_KIND.get(m["label"], "other") for m in test]
    clf = build_model()
    clf.fit([t for t, _ in train], [k for _, k in train])
    classes = list(clf.classes_)
    probs = clf.predict_proba(texts)
    safety_p = [max(p[classes.index("crisis")], p[classes.index("danger")]) for p in probs]
    rules = [rules_kind(t) != "other" for t in texts]
    print(f"trained on {len(train)} examples ({', '.join(args.train + args.extra)} + NLU data); "
          f"tested on {args.test}: {len(test)} messages (threats left out)\n")
    print("| method | crisis raised | danger raised | ordinary raised (false alarms) |")
    print("|---|---|---|---|")
    print(score("rules (sure + ask)", gold, rules))
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.85):
        alone = [p >= threshold for p in safety_p]
        print(score(f"linear model, p >= {threshold}", gold, alone))
        both = [r or a for r, a in zip(rules, alone, strict=True)]
        print(score(f"rules OR linear model, p >= {threshold}", gold, both))


if __name__ == "__main__":
    main()
