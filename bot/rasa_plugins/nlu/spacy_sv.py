"""Build the small Swedish spaCy pipeline used by the spaCy pipeline variant.

Swedish in spaCy 3.4 needs no model download: a blank "sv" language gives the tokenizer, and
spacy-lookups-data gives a lookup lemmatizer. Rasa's SpacyNLP loads pipelines by name or
path, so we save this one to models/spacy_sv once and point config at that path.
"""

from __future__ import annotations

from pathlib import Path

from bot.settings import ROOT

SPACY_SV_PATH = ROOT / "models" / "spacy_sv"


def build(path: Path = SPACY_SV_PATH) -> Path:
    """Create the pipeline on disk if it is not there yet; return its path."""
    if (path / "config.cfg").exists():
        return path
    import spacy

    nlp = spacy.blank("sv")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    path.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(path)
    return path


if __name__ == "__main__":
    print(build())
