"""Would a second, differently built intent classifier help? Measure before building it.

Trains a linear model on character n-grams (TF-IDF char_wb 1-4 on folded text, logistic
regression: the same family as bot/nlu/safety_classifier.py) on data/nlu, and compares on the
labelled sets: the trained Rasa model as deployed, the linear model alone, and their average
(the linear model's probabilities averaged with DIET's ranking, the way an ensemble component
after DIET would combine them). Only the regression and held-out sets: nlu_blind_2 stays blind.

    python -m bench.char_ngram_ensemble --model models/X.tar.gz
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.evaluation import load_examples

from bench.fallback_threshold import parse_all
from bot.textnorm import fold

ROOT = Path(__file__).resolve().parent.parent
SETS = ("nlu_blind_1.yml", "nlu_holdout.yml")
WEIGHTS = (0.0, 0.3, 0.5, 1.0)  # share of the linear model in the average


def main(argv: list[str] | None = None) -> int:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    parser = argparse.ArgumentParser(prog="python -m bench.char_ngram_ensemble")
    parser.add_argument("--model", type=Path, required=True)
    args = parser.parse_args(argv)
    train = load_examples(ROOT / "data" / "nlu")
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True,
                                 min_df=1)
    features = vectorizer.fit_transform([fold(t) for t, _ in train])
    linear = LogisticRegression(C=10.0, max_iter=2000).fit(features, [g for _, g in train])
    classes = list(linear.classes_)
    print(f"{'set':<18}" + "".join(f"{'w=' + format(w, 'g'):>10}" for w in WEIGHTS)
          + f"{'deployed':>10}")
    for name in SETS:
        examples = load_examples(ROOT / "tests" / "data" / name)
        gold = [g for _, g in examples]
        parses = parse_all(args.model, [t for t, _ in examples])
        probs = linear.predict_proba(vectorizer.transform([fold(t) for t, _ in examples]))
        scores = []
        for w in WEIGHTS:
            pred = []
            for parse, row in zip(parses, probs, strict=True):
                diet = {r["name"]: r["confidence"] for r in parse.get("intent_ranking") or []
                        if r["name"] != "nlu_fallback"}
                mixed = {c: (1 - w) * diet.get(c, 0.0) + w * p
                         for c, p in zip(classes, row, strict=True)}
                pred.append(max(mixed, key=mixed.get))
            scores.append(f1_score(gold, pred, average="macro", labels=sorted(set(gold))))
        deployed = [(p.get("intent") or {}).get("name") or "None" for p in parses]
        scores.append(f1_score(gold, deployed, average="macro", labels=sorted(set(gold))))
        print(f"{name:<18}" + "".join(f"{s:>10.4f}" for s in scores))
    print("w = the linear model's share; w=0 is DIET's own top intent without the fallback "
          "and safety net, 'deployed' the whole pipeline (macro-F1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
