"""Test stories (tests/stories/) through `rasa test core` on the trained model."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.runtimes import rasa_executable
from bot.settings import process_env

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.model


def test_every_flow_in_the_test_stories_is_predicted(trained_model: Path, tmp_path: Path) -> None:
    rasa = rasa_executable()
    result = subprocess.run(
        [rasa, "test", "core", "--model", str(trained_model), "--stories",
         str(ROOT / "tests" / "stories"), "--out", str(tmp_path), "--fail-on-prediction-errors",
         "--no-plot"],
        cwd=ROOT, capture_output=True, text=True,
        env=process_env(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore"),
    )
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text(encoding="utf-8") if failed.exists() else result.stdout[-3000:]
    assert result.returncode == 0, detail
    assert "Correct:" in result.stdout or (tmp_path / "story_report.json").exists()
