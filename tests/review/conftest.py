"""Review tests run the real escalation app (SQLite, and PostgreSQL with TEST_DATABASE_URL).

The service fixtures of tests/escalation are reused; domain.yml and data/ are a temporary
copy, so assigning examples or creating an intent never touches the repository.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
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


def copy_project(target: Path) -> Path:
    """The files the review pages write (domain.yml, data/) and config.yml, in `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("domain.yml", "config.yml"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "data", target / "data")
    return target


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture
def nlu_copy(project_copy: Path) -> Path:
    return project_copy / "data" / "nlu"


@pytest.fixture
def tracker_db(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def settings_overrides(project_copy: Path, tracker_db: Path) -> dict[str, Any]:
    return {"project_dir": str(project_copy), "tracker_db_url": f"sqlite:///{tracker_db}"}


def write_tracker_events(db: Path, rows: list[tuple[str, str, float, str | None, str | None,
                                                   dict[str, Any]]]) -> None:
    """Rasa's SQL tracker store `events` table with (sender, type, time, intent, action,
    data) rows: what the statistics are computed from."""
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, "
                 "sender_id VARCHAR(255), type_name VARCHAR(255), timestamp FLOAT, "
                 "intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)")
    conn.executemany("INSERT INTO events (sender_id, type_name, timestamp, intent_name, "
                     "action_name, data) VALUES (?, ?, ?, ?, ?, ?)",
                     [(s, k, t, i, a, json.dumps(d)) for s, k, t, i, a, d in rows])
    conn.commit()
    conn.close()
