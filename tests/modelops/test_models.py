"""With the trained model: the gate on the committed data, and a swap mid-conversation.

The swap test uses the same trained model file copied under two names (CI stays fast; Rasa
loads each copy as a separate model, which is what a swap exercises).
"""

from __future__ import annotations

import json
import shutil
import threading
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.ops.modelops import gate, live, safety_corpus, ship

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_gate_passes_the_trained_model_on_committed_data(
        trained_model: Path, corpus_results: dict[str, safety_corpus.Result],
        monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """The whole gate on the trained model. Its corpus replay is the one the corpus floors
    share (the same function on the same model), so CI replays the corpora once, not twice."""
    replays: list[object] = []

    def shared_replay(talker: object) -> dict[str, safety_corpus.Result]:
        replays.append(talker)
        return corpus_results

    monkeypatch.setattr(safety_corpus, "run_all", shared_replay)
    code = gate.main(["--candidate", str(trained_model), "--live", str(trained_model)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PASS" in out
    assert len(replays) == 1  # candidate and live are one model: replayed once
    assert all(f"{name}:" in out or f"{name} (blind):" in out for name in corpus_results)


def _say(url: str, sender: str, text: str) -> list[dict]:
    req = urllib.request.Request(f"{url}/webhooks/rest/webhook", method="POST",
                                 data=json.dumps({"sender": sender, "message": text}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def test_conversation_continues_across_a_swap_and_rollback(
        rasa_server: dict, trained_model: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELOPS_LIVE_FILE", str(tmp_path / "live.json"))
    a, b = tmp_path / "model-a.tar.gz", tmp_path / "model-b.tar.gz"
    shutil.copy(trained_model, a)
    shutil.copy(trained_model, b)
    url, token = rasa_server["url"], rasa_server["token"]
    sender = uuid.uuid4().hex
    ship.ship(a, url, token)
    assert _say(url, sender, "hej")
    # users keep talking while the model is swapped
    answers: list[int] = []
    errors: list[Exception] = []
    stop = threading.Event()

    def chatter() -> None:
        # many people: one conversation writing this fast would get 429s (REST flood limit)
        while not stop.is_set():
            try:
                answers.append(len(_say(url, uuid.uuid4().hex, "vad e sluta skjut")))
            except Exception as exc:  # a lost answer
                errors.append(exc)

    thread = threading.Thread(target=chatter)
    thread.start()
    seconds = ship.ship(b, url, token)
    stop.set()
    thread.join()
    assert not errors and answers and all(answers), (errors, answers)
    assert Path(ship.status(url, token)["model_file"]).name == b.name
    after = _say(url, sender, "vad e sluta skjut")
    assert after and after[0].get("text")
    with urllib.request.urlopen(f"{url}/conversations/{sender}/tracker?token={token}") as r:
        events = json.loads(r.read())["events"]
    user_texts = [e.get("text") for e in events if e["event"] == "user"]
    assert user_texts == ["hej", "vad e sluta skjut"]  # one conversation across the swap
    target = live.previous()
    assert target is not None and target.name == a.name
    ship.ship(target, url, token, action="rollback")
    assert Path(ship.status(url, token)["model_file"]).name == a.name
    print(f"\nswap took {seconds:.1f} s; {len(answers)} answers during it, none lost")
