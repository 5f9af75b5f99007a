"""`forget` and retention leave nothing behind: not in a table, not in the bytes on disk.

Known personal data is written through the project's real stores (Rasa's tracker store as
`rasa run` uses it, the escalation service's store, the action server's retry queue, the
review inbox, the SMS vault) into a fresh data directory. After `forget`, the raw bytes of
every file in that directory (databases, -wal, -shm) are searched for it. Another
conversation written the same way must still be found, so the search is shown to see what is
there.
On PostgreSQL every row of every table is searched instead.
"""

from __future__ import annotations

import asyncio
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from bot.clients.escalation import PendingCases
from bot.db.engine import make_engine, upgrade_database
from bot.escalation.review.store import ReviewStore
from bot.escalation.store import Store
from bot.gateway.vault import Vault, contacts, make_vault_engine
from bot.ops.retention import Databases, forget, purge
from bot.rasa_plugins.tracker_store import SQLTrackerStore
from tests.conftest import fresh_postgres_database

PNR, EMAIL, PHONE = "200501021234", "kalle.anka.7731@example.com", "0701234567"


@pytest.fixture(autouse=True)
def retry_queue_beside_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The action server's retry queue (var/pending_cases.db) in the searched directory."""
    monkeypatch.setenv("ACTION_QUEUE_PATH", str(tmp_path / "data" / "var" / "pending_cases.db"))


def _message(marker: str) -> str:
    return f"{marker} mitt personnummer {PNR} mejl {EMAIL} ring {PHONE}"


def _tracker_store(url: str) -> SQLTrackerStore:
    parsed = make_url(url)
    return SQLTrackerStore(Domain.empty(), dialect=parsed.get_backend_name(), host=parsed.host,
                           port=parsed.port, db=parsed.database, username=parsed.username,
                           password=parsed.password)


def _write_everywhere(dbs: Databases, store: SQLTrackerStore, vault: Vault, cid: str,
                      marker: str) -> bytes:
    """One conversation with personal data in every place the system keeps something; returns
    the vault's encrypted number (its ciphertext must go too)."""
    tracker = DialogueStateTracker(cid, [])
    tracker.update(UserUttered(_message(marker)))
    tracker.update(UserUttered(f"{marker} jag heter Kalle Anka"))
    asyncio.run(store.save(tracker))
    engine = make_engine(dbs.app_url)
    upgrade_database(engine)
    cases = Store(engine)
    case = cases.open_case(cid, "sms", "sv", "request_human", ["request_human"],
                           f"{marker} vill prata").case
    cases.add_event(case.id, "user", _message(marker))
    cases.add_event(case.id, "note", f"anteckning-{marker}: ring {PHONE}")  # a coach's note
    ReviewStore(cases.sessions).add_item(f"{marker} jag heter Kalle Anka", "fallback", None,
                                          0.2, "sv")
    engine.dispose()
    PendingCases().put({"conversation_id": cid, "channel": "sms", "language": "sv",
                        "trigger": "request_human", "summary": f"{marker} hjälp"})
    vault.remember(cid, "twilio", "+46701234567", "+46111111111")
    with vault.engine.connect() as conn:
        return conn.execute(contacts.select().where(contacts.c.sender_id == cid)).one() \
            .number_enc.encode()


def _raw_bytes(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _sqlite_stores(var: Path) -> tuple[Databases, Any, Vault]:
    """The three SQLite databases under `var`, the tracker store and the SMS vault on them."""
    dbs = Databases(f"sqlite:///{var}/rasa_tracker.db", f"sqlite:///{var}/app.db",
                    f"sqlite:///{var}/gateway_vault.db")
    store = _tracker_store(dbs.tracker_url)
    vault = Vault(make_vault_engine(dbs.vault_url or ""), Fernet.generate_key().decode(), 3600)
    return dbs, store, vault


def test_forget_leaves_no_bytes_on_disk_sqlite(tmp_path: Path) -> None:
    var = tmp_path / "data" / "var"
    dbs, store, vault = _sqlite_stores(var)
    gone, kept = f"sms-{uuid.uuid4().hex}", f"sms-{uuid.uuid4().hex}"
    cipher = _write_everywhere(dbs, store, vault, gone, "zebrakvist")
    _write_everywhere(dbs, store, vault, kept, "ugglemoln")

    before = b"".join(_raw_bytes(var).values())
    searched = [PNR, EMAIL, PHONE, gone, "zebrakvist", "anteckning-zebrakvist"]
    assert all(s.encode() in before for s in searched) and cipher in before

    counts = forget(dbs, gone)
    print(f"forget({gone[:12]}…): {counts}")
    assert counts["tracker_events"] >= 2 and counts["cases"] == 1 and counts["outbox"] == 1
    assert counts["review_items"] == 1 and counts["sms_numbers"] == 1
    files = _raw_bytes(var)
    print("files searched:", {name: len(data) for name, data in files.items()})
    for needle in [*searched, cipher.decode()]:
        hits = [name for name, data in files.items() if needle.encode() in data]
        shown = needle if len(needle) < 40 else needle[:20] + "…"
        print(f"  {shown!r}: found in {hits or 'no file'}")
        if needle in (PNR, EMAIL, PHONE):
            continue  # the other conversation has the same personal data: checked below
        assert not hits, needle
    # the same personal data of the kept conversation: still there, once per place it lives
    everything = b"".join(files.values())
    assert b"ugglemoln" in everything and kept.encode() in everything
    forget(dbs, kept)
    files = _raw_bytes(var)
    for needle in [PNR, EMAIL, PHONE, kept, "ugglemoln"]:
        hits = [name for name, data in files.items() if needle.encode() in data]
        print(f"  after forgetting both, {needle[:20]!r}: found in {hits or 'no file'}")
        assert not hits, needle
    print("nothing of either conversation is left in any file")
    store.engine.dispose()
    vault.engine.dispose()


def test_data_files_are_owner_only(tmp_path: Path) -> None:
    var = tmp_path / "fresh" / "var"
    dbs, store, vault = _sqlite_stores(var)
    _write_everywhere(dbs, store, vault, "conv-perm", "x")
    modes = {p.relative_to(tmp_path).as_posix(): stat.S_IMODE(p.stat().st_mode)
             for p in [var.parent, var, *var.iterdir()]}
    print({k: oct(v) for k, v in modes.items()})
    assert all(mode & 0o077 == 0 for mode in modes.values()), modes
    assert any(name.endswith("-wal") for name in modes)  # the WAL files were checked too
    store.engine.dispose()
    vault.engine.dispose()


def test_retention_purges_vault_and_retry_queue_too(tmp_path: Path) -> None:
    var = tmp_path / "var"
    dbs = Databases(f"sqlite:///{var}/rasa_tracker.db", f"sqlite:///{var}/app.db",
                    f"sqlite:///{var}/gateway_vault.db", sms_ttl_hours=96)
    store = _tracker_store(dbs.tracker_url)
    vault = Vault(make_vault_engine(dbs.vault_url or ""), Fernet.generate_key().decode(),
                  96 * 3600)
    _write_everywhere(dbs, store, vault, "conv-old", "gammal")
    import time

    vault.remember("sms-idle", "twilio", "+46709999999", "+46111111111",
                   now=time.time() - 97 * 3600)
    from datetime import datetime, timedelta, timezone

    later = datetime.now(timezone.utc) + timedelta(days=31)
    counts = purge(dbs, 30, now=later)
    print("retention 31 days later:", counts)
    assert counts["outbox"] == 1 and counts["sms_numbers"] >= 2 and counts["review_items"] == 1
    assert vault.count() == 0
    store.engine.dispose()
    vault.engine.dispose()


def test_retention_deletes_a_closed_cases_notes(tmp_path: Path) -> None:
    """A coach's private notes are case events: past retention they go with the case."""
    from datetime import datetime, timedelta, timezone

    var = tmp_path / "var"
    dbs = Databases(f"sqlite:///{var}/rasa_tracker.db", f"sqlite:///{var}/app.db", None)
    engine = make_engine(dbs.app_url)
    upgrade_database(engine)
    cases = Store(engine)
    case = cases.open_case("web-notes", "callback", "sv", "request_human", [], "").case
    cases.add_event(case.id, "note", f"anteckningsmarkor ring {PHONE}")
    cases.finish(case.id, "closed", "other", None)
    engine.dispose()
    assert b"anteckningsmarkor" in b"".join(_raw_bytes(var).values())
    counts = purge(dbs, 30, now=datetime.now(timezone.utc) + timedelta(days=31))
    assert counts["cases"] == 1
    assert b"anteckningsmarkor" not in b"".join(_raw_bytes(var).values())


@pytest.mark.postgres
def test_forget_leaves_no_row_in_any_table_postgresql() -> None:
    with fresh_postgres_database("forget_pg") as url:
        rendered = url.render_as_string(hide_password=False)
        dbs = Databases(rendered, rendered, None)
        store = _tracker_store(rendered)
        vault = Vault(make_vault_engine("sqlite://"), Fernet.generate_key().decode(), 3600)
        gone, kept = f"web-{uuid.uuid4().hex}", f"web-{uuid.uuid4().hex}"
        _write_everywhere(dbs, store, vault, gone, "zebrakvist")
        _write_everywhere(dbs, store, vault, kept, "ugglemoln")
        print("forget:", forget(dbs, gone))
        engine = make_engine(rendered)
        found: dict[str, list[str]] = {}
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            for table in tables:
                rows = conn.execute(text(f'SELECT t::text FROM "{table}" t')).scalars().all()
                for needle in (gone, "zebrakvist", kept, "ugglemoln"):
                    if any(needle in row for row in rows):
                        found.setdefault(needle, []).append(table)
        engine.dispose()
        store.engine.dispose()
        print(f"searched every row of {len(tables)} tables: {sorted(tables)}")
        print("found:", {k[:14]: v for k, v in found.items()})
        assert gone not in found and "zebrakvist" not in found
        assert set(found[kept]) >= {"events", "cases"}
        assert "ugglemoln" in found


def test_forget_command_prints_what_it_deleted(tmp_path: Path, capsys: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.ops.retention import forget_main

    var = tmp_path / "var"
    monkeypatch.setenv("RASA_TRACKER_DB_URL", f"sqlite:///{var}/rasa_tracker.db")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{var}/app.db")
    monkeypatch.setenv("GATEWAY_VAULT_URL", f"sqlite:///{var}/gateway_vault.db")
    assert forget_main(["nobody"]) == 0
    out = capsys.readouterr().out
    assert "0 tracker events" in out and "0 SMS numbers" in out
    assert not (var / "gateway_vault.db").exists()  # nothing created just to delete from it


def test_dev_setup_makes_env_and_var_owner_only(tmp_path: Path) -> None:
    """`./dev` (any command) creates .env 0600 and var/ 0700, and tightens existing ones."""
    import hashlib
    import os
    import shutil
    import subprocess

    from bot.settings import ROOT

    for name in ("dev", "requirements.lock", "requirements-services.lock", "pyproject.toml",
                 ".env.example"):
        shutil.copy(ROOT / name, tmp_path / name)
    # both runtimes' venvs of its own, each running the real one's python and stamped as
    # installed: `./dev` must not reinstall the shared environments (a lock that differs from
    # its stamp would)
    for venv, lock in ((".venv", "requirements.lock"),
                       (".venv-svc", "requirements-services.lock")):
        venv_bin = tmp_path / venv / "bin"
        venv_bin.mkdir(parents=True)
        (venv_bin / "python").write_text(f'#!/bin/sh\nexec "{ROOT / venv / "bin/python"}" "$@"\n')
        os.chmod(venv_bin / "python", 0o755)
        stamp = hashlib.sha256((ROOT / lock).read_bytes()
                               + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
        (tmp_path / venv / ".requirements.sha").write_text(stamp + "\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # `bot` from this checkout
    (tmp_path / "var").mkdir(mode=0o755)
    os.chmod(tmp_path / "var", 0o755)
    done = subprocess.run(["bash", "-c", "umask 022 && ./dev setup"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=env)
    assert "installing" not in done.stdout
    assert done.returncode == 0, done.stderr
    modes = {name: oct(stat.S_IMODE((tmp_path / name).stat().st_mode)) for name in (".env", "var")}
    print("after ./dev setup with umask 022:", modes)
    assert modes == {".env": "0o600", "var": "0o700"}
    os.chmod(tmp_path / ".env", 0o644)
    subprocess.run(["bash", "-c", "umask 022 && ./dev setup"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=120, env=env)
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600
