"""Rasa's usage telemetry is off in every Rasa process the project starts.

Each launcher is called with RASA_TELEMETRY_ENABLED set to "true" in the parent environment
(as a careless .env could), and the environment it hands to the new process is captured: it
must say "false". A real interpreter of the venv then shows that Rasa 3.6.21 honours the
variable even though the user's ~/.config/rasa/global.yml may say `enabled: true`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.ops import runner, training
from bot.ops.modelops import retrain
from bot.ops.production import Ports, ProductionProfile
from bot.runtimes import RASA, interpreter
from bot.settings import NO_TELEMETRY, ROOT, Settings, process_env

VAR = "RASA_TELEMETRY_ENABLED"


class Captured(Exception):
    """Stops the launcher once the environment of the new process is known."""


def _capture(calls: list[dict[str, str]]) -> Any:
    def fake(cmd: list[str], *args: Any, env: dict[str, str] | None = None, **kw: Any) -> Any:
        calls.append(dict(env if env is not None else os.environ))
        raise Captured(cmd[0])

    return fake


@pytest.fixture
def careless_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, "true")


def test_every_launcher_switches_telemetry_off(careless_env: None, monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    seen: dict[str, str | None] = {}
    calls: list[dict[str, str]] = []
    monkeypatch.setattr(subprocess, "Popen", _capture(calls))
    monkeypatch.setattr(subprocess, "run", _capture(calls))
    monkeypatch.setattr(subprocess, "call", _capture(calls))
    monkeypatch.setattr(runner, "LOG_DIR", tmp_path)

    spec = next(s for s in runner.process_specs(Settings(), tmp_path / "m.tar.gz")
                if s.name == "rasa")
    with pytest.raises(Captured):
        runner.launch(spec)
    seen["./dev run: rasa run"] = calls[-1].get(VAR)

    monkeypatch.setattr(runner, "train", lambda: tmp_path / "m.tar.gz")
    monkeypatch.setattr(runner, "start", lambda specs: [])
    monkeypatch.setattr(runner, "stop", lambda procs: None)
    with pytest.raises(Captured):
        runner.shell([])
    seen["./dev shell: rasa shell"] = calls[-1].get(VAR)

    monkeypatch.setattr(training.content, "build", lambda: None)
    monkeypatch.setattr(training, "MODELS_DIR", tmp_path)
    with pytest.raises(Captured):
        training.train(force=True, quiet=True)
    seen["./dev train: rasa train"] = calls[-1].get(VAR)

    monkeypatch.setattr(retrain.training, "fingerprint", lambda **kw: "x")
    with pytest.raises(Captured):
        retrain.finetune(tmp_path / "base.tar.gz", quiet=True)
    seen["./dev retrain: rasa train --finetune"] = calls[-1].get(VAR)

    profile = ProductionProfile(model=tmp_path / "m.tar.gz", workdir=tmp_path, ports=Ports(),
                                env={**os.environ, VAR: "true"})
    seen["./dev run-prod: every instance"] = profile.base_env().get(VAR)

    for launcher, value in seen.items():
        print(f"{launcher}: {VAR}={value}")
    assert all(value == "false" for value in seen.values()), seen


def test_the_command_line_switches_it_off_for_every_command(careless_env: None) -> None:
    """`python -m bot <command>` (what ./dev runs) sets it before any command starts."""
    code = ("import os, sys; from bot.__main__ import main; main(['help']);"
            f" sys.stderr.write(os.environ.get('{VAR}', 'unset'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, VAR: "true", "PYTHONPATH": str(ROOT)}, check=True)
    print(f"python -m bot: {VAR}={done.stderr.strip()}")
    assert done.stderr.strip() == "false"


def test_shell_entry_points_export_it() -> None:
    for script in ("dev", "scripts/test.sh"):
        text = (ROOT / script).read_text(encoding="utf-8")
        exported = any(line.strip().startswith("export") and f"{VAR}=false" in line
                       for line in text.splitlines())
        print(f"{script}: exports {VAR}=false: {exported}")
        assert exported, script


def test_rasa_itself_honours_the_variable() -> None:
    """What Rasa 3.6.21 decides with the project's environment (global config ignored)."""
    code = "import rasa.telemetry as t; print(t.is_telemetry_enabled())"
    done = subprocess.run([interpreter(RASA), "-c", code], cwd=ROOT, capture_output=True,
                          text=True, env=process_env({**os.environ, VAR: "true"}), check=True)
    print(f"rasa.telemetry.is_telemetry_enabled() with the project's environment: "
          f"{done.stdout.strip()}")
    assert done.stdout.strip() == "False"
    assert NO_TELEMETRY == {VAR: "false"}
