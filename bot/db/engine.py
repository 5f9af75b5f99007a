"""Engine/session helpers and programmatic migrations.

`upgrade_database` runs `alembic upgrade head` from code so that a fresh machine (SQLite
`var/app.db`) works without a manual migration step.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.future import create_engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def private_sqlite_file(database: str) -> None:
    """Make a SQLite file (and the directories it needs) readable by the owner only.

    The databases hold conversations and encrypted phone numbers: directories we create get
    0700, the file 0600 before SQLite first opens it (SQLite gives its -wal and -shm files the
    database file's mode), and an existing file or a `var/` directory is tightened.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=0o700)
        os.chmod(directory, 0o700)
    if path.parent.name == "var":
        os.chmod(path.parent, 0o700)
    if not path.exists():
        # never open a file SQLite may already have open in this process: closing any
        # descriptor of it drops every POSIX lock the process holds on it (a second tracker
        # store after Rasa's PUT /model lost all later writes that way)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            os.chmod(file, 0o600)


def sqlite_privacy_pragmas(dbapi_conn: Any) -> None:
    """secure_delete: deleted rows are overwritten with zeros, not left in free pages."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def checkpoint_sqlite(engine: Engine, attempts: int = 20) -> bool:
    """Copy the WAL into the database file and truncate it to 0 bytes; False if readers kept
    it busy for every attempt.

    With WAL, a deleted row's old page stays in the -wal file until a checkpoint, and a
    normal checkpoint does not shrink the file: only TRUNCATE removes those bytes from disk.
    """
    if engine.dialect.name != "sqlite" or not engine.url.database or \
            engine.url.database == ":memory:":
        return True
    for attempt in range(attempts):
        with engine.connect() as conn:
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
        if busy is None or busy[0] == 0:
            return True
        time.sleep(0.05 * (attempt + 1))
    return False


def with_driver(database_url: str | URL) -> URL:
    """The URL with PostgreSQL's driver named: a bare `postgresql://` means psycopg2, the
    driver installed on both runtimes (SQLAlchemy 2.1 would otherwise pick psycopg 3, which
    is not installed; 1.4 and 2.0 pick psycopg2 already)."""
    url = make_url(database_url)
    if url.drivername == "postgresql":
        return url.set(drivername="postgresql+psycopg2")
    return url


def make_engine(database_url: str) -> Engine:
    """Create a `future=True` engine; for SQLite: owner-only files, WAL, secure delete."""
    url = with_driver(database_url)
    kwargs: dict[str, Any] = {"future": True, "pool_pre_ping": True}
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        private_sqlite_file(database)
        # requests run in worker threads; a generous timeout rides out concurrent writers
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        kwargs.pop("pool_pre_ping")
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if url.database and url.database != ":memory:":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()
            sqlite_privacy_pragmas(dbapi_conn)

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker:
    """Session factory with 2.0-style behaviour (`future=True`, no autoflush surprises)."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False, class_=Session)


def alembic_config(engine: Engine | None = None) -> Any:
    """Alembic config pointing at this package's migrations, independent of the cwd."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Run Alembic migrations up to `revision` on `engine` (idempotent)."""
    from alembic import command

    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
