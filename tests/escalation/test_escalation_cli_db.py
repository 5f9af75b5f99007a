"""Coach account CLI and the Alembic migration (both engines)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.db.engine import alembic_config, make_engine, upgrade_database
from bot.escalation import cli
from bot.escalation.security import verify_password
from bot.escalation.settings import Settings
from bot.escalation.store import Store
from bot.runtimes import bot_command

ROOT = Path(__file__).resolve().parents[2]
TABLES = {
    "coaches",
    "coach_sessions",
    "cases",
    "case_events",
    "canned_replies",
    "case_request_outbox",
}


def test_migration_up_down_up(db_url: str) -> None:
    from alembic import command

    engine = make_engine(db_url)
    try:
        upgrade_database(engine)
        upgrade_database(engine)  # idempotent
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade_database(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.begin() as conn:  # 0002 down and up again, alone
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        names = set(inspect(engine).get_table_names())
        assert "case_request_outbox" not in names and "cases" in names
        upgrade_database(engine)
        assert "case_request_outbox" in set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _run(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return cli.main(argv)


def test_coach_create_list_disable(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    args = ["create", "--username", "anna", "--role", "admin", "--password-stdin"]
    assert _run(monkeypatch, args, "a long enough password\n") == 0
    assert _run(monkeypatch, args, "a long enough password\n") == 1  # exists
    assert _run(monkeypatch, ["create", "--username", "bo", "--password-stdin"], "short\n") == 2
    assert _run(monkeypatch, ["create", "--username", "b o", "--password-stdin"], "x" * 20) == 2
    capsys.readouterr()
    assert _run(monkeypatch, ["list"]) == 0
    out = capsys.readouterr().out
    assert "anna" in out and "admin" in out and "aktiv" in out
    assert _run(monkeypatch, ["disable", "anna"]) == 0
    assert _run(monkeypatch, ["disable", "nobody"]) == 1
    engine = make_engine(Settings.from_env().database_url)
    try:
        coach = Store(engine).coach_by_username("anna")
        assert coach is not None and coach.active is False and coach.role == "admin"
        assert coach.password_hash.startswith("$argon2")
        assert verify_password(coach.password_hash, "a long enough password")
    finally:
        engine.dispose()


def test_python_m_bot_coach_dispatch(tmp_path: Path) -> None:
    """The real entry point: `python -m bot coach create` on a fresh SQLite file."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    done = subprocess.run(
        [
            *bot_command("coach"),
            "create",
            "--username",
            "cli-user",
            "--password-stdin",
        ],
        input="another long password\n",
        text=True,
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "cli-user" in done.stdout
    assert (tmp_path / "cli.db").exists()
