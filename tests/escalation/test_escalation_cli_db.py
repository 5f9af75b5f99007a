"""Coach account CLI and the Alembic migration (both engines)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

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
    "review_items",
}
OUTBOX = "case_request_outbox"  # created by 0002, dropped by 0004
HEAD = "0005"  # the newest migration


def test_migration_up_down_up(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_database(engine)
        upgrade_database(engine)  # idempotent
        assert set(inspect(engine).get_table_names()) >= TABLES
        _downgrade(engine, "base")
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade_database(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert OUTBOX not in set(inspect(engine).get_table_names())
        _downgrade(engine, "0003")  # 0004 down: the (empty) outbox is back
        assert OUTBOX in set(inspect(engine).get_table_names())
        upgrade_database(engine)
        assert OUTBOX not in set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_bare_postgresql_url_means_psycopg2(db_url: str) -> None:
    """`postgresql://` without a driver: SQLAlchemy 2.1 would pick psycopg 3, which neither
    runtime installs; the engine names psycopg2 and works (SQLite URLs stay as they are)."""
    bare = db_url.replace("postgresql+psycopg2://", "postgresql://")
    engine = make_engine(bare)
    try:
        if engine.dialect.name == "postgresql":
            assert bare.startswith("postgresql://")
            assert engine.url.drivername == "postgresql+psycopg2"
        else:
            assert engine.url.drivername == "sqlite"
        upgrade_database(engine)
        assert _version(engine) == HEAD
    finally:
        engine.dispose()


def _downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _version(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def test_dropping_the_outbox_stops_while_it_holds_requests(db_url: str) -> None:
    """0004 drops the table nothing writes any more, but never a young person's queued
    request: with rows left the upgrade fails, saying what to do, and changes nothing."""
    engine = make_engine(db_url)
    try:
        upgrade_database(engine, "0003")
        payload = {"conversation_id": "conv-left", "channel": "callback", "language": "sv",
                   "trigger": "request_human", "summary": ""}
        with engine.begin() as conn:
            for n in range(2):
                conn.execute(text(f"INSERT INTO {OUTBOX} (payload, created_at, attempts) "
                                  "VALUES (:payload, :created, 0)"),
                             {"payload": json.dumps(payload), "created": datetime(2025, 3, n + 1)})
        with pytest.raises(RuntimeError, match="still holds 2 case request") as failed:
            upgrade_database(engine)
        assert "previous release" in str(failed.value)
        assert _version(engine) == "0003"
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {OUTBOX}")).scalar_one() == 2
        with engine.begin() as conn:  # the previous release's sweeper opened them
            conn.execute(text(f"DELETE FROM {OUTBOX}"))
        upgrade_database(engine)
        assert _version(engine) == HEAD
        assert OUTBOX not in set(inspect(engine).get_table_names())
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
