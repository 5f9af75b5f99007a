"""SafetyClassifier: a second opinion for the safety net, built differently from DIET.

DIET is sure of itself far from its training data (it put "ja har ett möte med soc imorgon"
at danger 1.0), and the rules only know the phrasings someone thought of. This component is
a calibrated linear model (logistic regression on character and word n-grams of the folded
text) trained on the NLU data plus the safety corpora already learned from (listed in
config.yml; never the newest blind one). It writes its probabilities for crisis and danger
into the message; the SafetyNet decides what they mean. Measured before it was added, on a
corpus never read (bench/safety_classifier.py, docs/safety.md): it caught more crisis and
danger messages than the whole assistant did, with fewer false alarms.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import protocol
from bot.settings import ROOT
from bot.textnorm import fold

SAFETY_P = "safety_p"  # message key: {"crisis": p, "danger": p}
INTENT_KIND = {protocol.CRISIS_INTENT: "crisis", protocol.DANGER_INTENT: "danger"}
LABEL_KIND = {"crisis": "crisis", "danger": "danger"}  # threat and ordinary count as "other"
MODEL_FILE = "safety_classifier.pkl"


def build_model() -> Any:
    """The untrained pipeline (also used by bench/safety_classifier.py)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    features = FeatureUnion([
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                  sublinear_tf=True, preprocessor=fold)),
        ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=1,
                                  sublinear_tf=True, preprocessor=fold)),
    ])
    return make_pipeline(features, LogisticRegression(max_iter=2000, C=4.0,
                                                      class_weight="balanced"))


def corpus_examples(paths: list[str]) -> list[tuple[str, str]]:
    """(text, kind) of every single message in the given corpora (files or folders)."""
    from bot.ops.modelops.safety_corpus import load_corpus

    out: list[tuple[str, str]] = []
    for path in paths:
        messages, _ = load_corpus(ROOT / path)
        out += [(m["text"], LABEL_KIND.get(m["label"], "other")) for m in messages]
    return out


def _corpus_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        full = ROOT / path
        files += sorted(full.rglob("*.yml")) if full.is_dir() else [full]
    return files


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SafetyClassifier(GraphComponent):
    """Writes P(crisis) and P(danger) into every message; decides nothing by itself."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"corpora": []}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: Any = None) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SafetyClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The corpora are read from disk, not given by the graph: retrain when they change."""
        digest = hashlib.sha256()
        for path in _corpus_files(list(config.get("corpora", []))):
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def train(self, training_data: TrainingData) -> Resource:
        examples = [(str(ex.get(TEXT)), INTENT_KIND.get(ex.get(INTENT), "other"))
                    for ex in training_data.intent_examples if ex.get(TEXT)]
        examples += corpus_examples(list(self._config.get("corpora", [])))
        model = build_model()
        model.fit([text for text, _ in examples], [kind for _, kind in examples])
        with self._storage.write_to(self._resource) as directory:
            (Path(directory) / MODEL_FILE).write_bytes(pickle.dumps(model))
        self._model = model
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> SafetyClassifier:
        with model_storage.read_from(resource) as directory:
            model = pickle.loads((Path(directory) / MODEL_FILE).read_bytes())
        return cls(config, model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            return messages
        from bot.rasa_plugins.nlu.components import READABLE_TEXT

        texts = [str(m.get(READABLE_TEXT) or m.get(TEXT) or "") for m in messages]
        classes = list(self._model.classes_)
        for message, probs in zip(messages, self._model.predict_proba(texts), strict=True):
            message.set(SAFETY_P, {kind: float(probs[classes.index(kind)])
                                   for kind in ("crisis", "danger") if kind in classes})
        return messages
