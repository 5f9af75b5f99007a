"""Review tests run the real escalation app (SQLite, and PostgreSQL with TEST_DATABASE_URL).

The service fixtures of tests/escalation are reused; the NLU files are a temporary copy of
data/nlu, so assigning examples never touches the repository.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

ESCALATION_TESTS = Path(__file__).resolve().parent.parent / "escalation"
sys.path.insert(0, str(ESCALATION_TESTS))

from tests.escalation.conftest import (  # noqa: E402,F401  (fixtures)
    db_url,
    env,
    fake_rasa,
    fast_password_hashing,
)

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def nlu_copy(tmp_path: Path) -> Path:
    target = tmp_path / "nlu"
    shutil.copytree(ROOT / "data" / "nlu", target)
    return target


@pytest.fixture
def tracker_db(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def settings_overrides(nlu_copy: Path, tracker_db: Path) -> dict[str, Any]:
    return {"nlu_dir": str(nlu_copy), "tracker_db_url": f"sqlite:///{tracker_db}"}
