"""Scrubber, similarity grouping and the NLU file writer (no service, no model)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.escalation.review import cluster, nlu_files
from bot.privacy import scrub, scrub_tokens

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize(
    ("text", "gone", "tag"),
    [
        ("ring mig på 070-123 45 67", "123", "[telefon]"),
        ("ring +46 70 123 45 67 ikväll", "123", "[telefon]"),
        ("mitt nr e 0701234567", "0701234567", "["),  # could be either: masked anyway
        ("mejla a.b@c.se", "a.b@c.se", "[e-post]"),
        ("personnummer 20050101-1234", "1234", "[personnummer]"),
        ("ja e född 050101-1234", "1234", "[personnummer]"),
        ("jag heter Kalle", "Kalle", "[namn]"),
        ("ja heter jonte", "jonte", "[namn]"),
        ("mitt namn är Sara", "Sara", "[namn]"),
        ("kalla mej Jojo", "Jojo", "[namn]"),
        ("ahmed hotar mig", "ahmed", "[namn]"),
        ("ja träffa Per igår", "Per", "[namn]"),
        ("bor på Drottninggatan 12 B", "12", "[adress]"),
        ("vi ses på storgatan 5", "storgatan", "[adress]"),
        ("adda mig @jonte_99", "jonte", "[användarnamn]"),
    ],
)
def test_scrub_masks_personal_data(text: str, gone: str, tag: str) -> None:
    out = scrub(text)
    assert gone not in out and tag in out, out


@pytest.mark.parametrize(
    "text",
    ["ja vill inte leva längre", "kan ni hjälpa mig med skulder", "bo i norrköping",
     "det e 0-3 nu", "vi ses kl 19", "hur gammal måste man va", "Per månad typ"],
)
def test_scrub_keeps_ordinary_messages(text: str) -> None:
    assert scrub(text) == text


def test_token_layer_alone_catches_what_it_should() -> None:
    assert scrub_tokens("jag heter Kalle, ring 070-123 45 67") == "jag heter [namn], ring [telefon]"


def test_grouping_puts_similar_messages_together() -> None:
    texts = ["vad kostar det att gå med", "vad kostar de att ga med", "kostar det nåt",
             "vem e chefen för er", "vem e chef hos er", "asdfgh"]
    groups = cluster.group_texts(texts)
    together = next(g for g in groups if 0 in g)
    assert 1 in together and 3 not in together
    assert any(3 in g and 4 in g for g in groups)
    assert sorted(i for g in groups for i in g) == list(range(len(texts)))
    assert cluster.group_texts([]) == [] and cluster.group_texts(["a"]) == [[0]]


@pytest.fixture
def nlu_dir(tmp_path: Path) -> Path:
    target = tmp_path / "nlu"
    shutil.copytree(ROOT / "data" / "nlu", target)
    return target


def test_assign_inserts_into_the_file_holding_the_intent_keeping_layout(nlu_dir: Path) -> None:
    before = (nlu_dir / "chitchat.yml").read_text(encoding="utf-8")
    greet_before = next(i for i in yaml.safe_load(before)["nlu"] if i.get("intent") == "greet")
    existing = greet_before["examples"].splitlines()[0].removeprefix("- ").strip()
    result = nlu_files.add_examples("greet", ["tjabba tjena mannen", existing], nlu_dir)
    after = (nlu_dir / "chitchat.yml").read_text(encoding="utf-8")
    assert result.file == "chitchat.yml" and result.added == ["tjabba tjena mannen"]
    assert result.duplicates == [existing]  # an example the file already holds
    # only the new line differs: comments and every other byte are unchanged
    assert after.replace("    - tjabba tjena mannen\n", "", 1) == before
    data = yaml.safe_load(after)
    greet = next(i for i in data["nlu"] if i.get("intent") == "greet")
    assert "- tjabba tjena mannen" in greet["examples"]
    assert after.startswith("# Chitchat")
    # no duplicate on a second run, other files untouched
    again = nlu_files.add_examples("greet", ["Tjabba tjena mannen!"], nlu_dir)
    assert again.added == [] and again.duplicates
    for name in ("help.yml", "safety.yml"):
        assert (nlu_dir / name).read_bytes() == (ROOT / "data" / "nlu" / name).read_bytes()


def test_text_of_another_intent_is_a_conflict_not_written(nlu_dir: Path) -> None:
    _files, examples = nlu_files.read_intents(nlu_dir)
    text, intent = next((t, i) for t, i in examples.items() if i != "greet")
    result = nlu_files.add_examples("greet", [text], nlu_dir)
    assert result.added == [] and result.conflicts == [(text, intent)]


def test_new_intent_goes_to_new_intents_file(nlu_dir: Path) -> None:
    with pytest.raises(ValueError):
        nlu_files.add_examples("ask_weather", ["kommer det hagla över hageby på tisdag"], nlu_dir)
    new_texts = ["kommer det hagla över hageby på tisdag",
                 "hur många minusgrader blir det i smedby"]
    result = nlu_files.add_examples("ask_weather", new_texts, nlu_dir,
                                    allow_new=True)
    assert result.file == "new_intents.yml"
    nlu_files.add_examples("ask_weather", ["blir det solsken vid strömmen på lördag"], nlu_dir,
                           allow_new=True)
    data = yaml.safe_load((nlu_dir / "new_intents.yml").read_text(encoding="utf-8"))
    items = [i for i in data["nlu"] if i["intent"] == "ask_weather"]
    assert len(items) == 1 and items[0]["examples"].count("- ") == 3


def test_rasa_reads_the_written_files(nlu_dir: Path) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    nlu_files.add_examples("greet", ["tjabba [namn] läget"], nlu_dir)
    nlu_files.add_examples("ask_weather", ["kommer det hagla över hageby på tisdag"], nlu_dir,
                           allow_new=True)
    data = load_data(str(nlu_dir))
    texts = {(e.get("text"), e.get("intent")) for e in data.intent_examples}
    assert ("tjabba [namn] läget", "greet") in texts
    assert ("kommer det hagla över hageby på tisdag", "ask_weather") in texts


def test_bad_intent_names_are_refused(nlu_dir: Path) -> None:
    with pytest.raises(ValueError):
        nlu_files.add_examples("Greet; rm", ["x"], nlu_dir)
