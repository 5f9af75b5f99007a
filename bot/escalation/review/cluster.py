"""Group inbox messages by similarity so that a maintainer decides once for many.

TF-IDF over character n-grams (within word boundaries) copes with slang, typos and missing
å/ä/ö far better than word features on short chat messages; average-linkage clustering on
cosine distance with a distance cut keeps unrelated messages apart instead of forcing a
fixed number of groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

DEFAULT_DISTANCE = 0.75


def group_texts(texts: Sequence[str], max_distance: float = DEFAULT_DISTANCE) -> list[list[int]]:
    """Indices of `texts` grouped by similarity; biggest groups first, order kept inside."""
    n = len(texts)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    from bot.textnorm import fold

    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                              preprocessor=lambda t: fold(t.lower())).fit_transform(texts)
    # scikit-learn renamed `affinity` to `metric` in 1.2 (the service runtime has 1.9; the
    # review tests that need Rasa run this on the Rasa runtime's 1.1)
    import sklearn

    distance = ("metric" if tuple(int(x) for x in sklearn.__version__.split(".")[:2]) >= (1, 2)
                else "affinity")
    labels = AgglomerativeClustering(
        n_clusters=None, linkage="average", distance_threshold=max_distance,
        **{distance: "cosine"},
    ).fit_predict(vectors.toarray())
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def group_items(items: Sequence[T], texts: Sequence[str],
                max_distance: float = DEFAULT_DISTANCE) -> list[list[T]]:
    return [[items[i] for i in g] for g in group_texts(texts, max_distance)]
