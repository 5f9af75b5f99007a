"""Phone-number vault: pseudonymous conversation ids and numbers kept only encrypted.

A phone number never appears in clear outside the request that carried it: the Rasa sender
id is HMAC-SHA256(GATEWAY_SECRET, number), and the number itself is stored Fernet-encrypted
(GATEWAY_FERNET_KEY) only because replies, including a coach's message hours later, must
reach it. The row is deleted after GATEWAY_SMS_NUMBER_TTL_HOURS without activity and at
once on STOP/SLUTA. The vault has its own small database (GATEWAY_VAULT_URL), apart from
the project database, so the encrypted numbers are easy to audit and wipe. Its schema comes
from its own Alembic history (bot/gateway/migrations, version table `vault_alembic_version`):
SQLite in the embedded default, PostgreSQL in the production profile, where every gateway
instance shares it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import (
    Column,
    Float,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from bot.db.engine import private_sqlite_file, sqlite_privacy_pragmas, with_driver

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "vault_alembic_version"
# PostgreSQL advisory lock key: gateway instances starting together migrate one at a time
_MIGRATION_LOCK = 0x5641554C54  # "VAULT"

SMS_PREFIX = "sms-"
WEB_PREFIX = "web-"
_NUMBER_RE = re.compile(r"^\+?[0-9]{5,16}$")

metadata = MetaData()
contacts = Table(
    "sms_contacts",
    metadata,
    Column("sender_id", String(80), primary_key=True),
    Column("provider", String(16), nullable=False),
    Column("number_enc", Text, nullable=False),
    Column("via", String(32), nullable=False, default=""),  # our number the user texted
    Column("buttons", Text, nullable=True),  # JSON list of the last choices' payloads
    Column("last_active", Float, nullable=False),
)
# Provider message ids already handled (keyed hash, not the id): a replayed or retried webhook
# is answered and not processed twice. Kept SEEN_TTL_SECONDS, then swept.
seen_messages = Table(
    "sms_seen_messages",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("seen_at", Float, nullable=False),
)
SEEN_TTL_SECONDS = 30 * 24 * 3600
# SMS the provider accepted, until its delivery report: keyed hash of the provider's message
# id -> conversation id and the coach messages it carried (ids the escalation service gave
# them). Never the number or the text. Kept SENT_TTL_SECONDS, then swept.
sent_messages = Table(
    "sms_sent_messages",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("sender_id", String(80), nullable=False, index=True),
    Column("message_ids", Text, nullable=False),  # JSON list
    Column("sent_at", Float, nullable=False),
)
SENT_TTL_SECONDS = 7 * 24 * 3600


def normalise_number(raw: str) -> str | None:
    """E.164-ish digits with an optional leading +, or None if it is not a phone number."""
    number = re.sub(r"[\s\-().]", "", raw or "")
    if number.startswith("00"):
        number = "+" + number[2:]
    return number if _NUMBER_RE.match(number) else None


def pseudonym(secret: str, value: str, prefix: str) -> str:
    """Keyed hash: the same number (or browser token) always gives the same conversation id,
    and the id cannot be turned back into the number without the secret."""
    digest = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"{prefix}{digest}"


@dataclass(frozen=True)
class Sent:
    sender_id: str
    message_ids: list[str]
    sent_at: float


@dataclass(frozen=True)
class Contact:
    sender_id: str
    provider: str
    number: str
    via: str
    buttons: list[str]
    last_active: float


def make_vault_engine(url: str) -> Engine:
    if url in ("sqlite://", "sqlite:///:memory:"):
        return create_engine("sqlite://", poolclass=StaticPool,
                             connect_args={"check_same_thread": False}, future=True)
    if url.startswith("sqlite:///"):
        private_sqlite_file(url.removeprefix("sqlite:///"))
        engine = create_engine(url, future=True, pool_pre_ping=True)
        event.listen(engine, "connect", lambda conn, _record: sqlite_privacy_pragmas(conn))
        return engine
    return create_engine(with_driver(url), future=True, pool_pre_ping=True)


def upgrade_vault(engine: Engine) -> None:
    """Bring the vault's schema to the newest Alembic revision (idempotent). On PostgreSQL
    an advisory lock makes instances that start together migrate one after the other."""
    if engine.url.database in (None, "", ":memory:"):  # a throwaway in-memory vault (tests)
        metadata.create_all(engine)
        return
    from alembic import command
    from alembic.config import Config

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _upsert(engine: Engine, table: Table, values: dict[str, Any], key: str) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE for SQLite and PostgreSQL (one statement: two
    gateway instances may write the same row at once)."""
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(**values)
    return stmt.on_conflict_do_update(index_elements=[key],
                                      set_={k: stmt.excluded[k] for k in values if k != key})


class Vault:
    """Synchronous store (call it through asyncio.to_thread from the event loop)."""

    def __init__(self, engine: Engine, fernet_key: str, ttl_seconds: float,
                 migrate: bool = True) -> None:
        self.engine = engine
        self.fernet = Fernet(fernet_key.encode())
        self.ttl = ttl_seconds
        if migrate:
            upgrade_vault(engine)

    def remember(self, sender_id: str, provider: str, number: str, via: str,
                 now: float | None = None) -> None:
        """Store (or refresh) the encrypted number; keeps pending choices."""
        now = time.time() if now is None else now
        values = {"sender_id": sender_id, "provider": provider, "via": via,
                  "number_enc": self.fernet.encrypt(number.encode()).decode(),
                  "last_active": now}
        with self.engine.begin() as conn:
            conn.execute(_upsert(self.engine, contacts, values, "sender_id"))

    def lookup(self, sender_id: str, now: float | None = None) -> Contact | None:
        """The contact if it is still within its inactivity period, else None."""
        now = time.time() if now is None else now
        with self.engine.connect() as conn:
            row = conn.execute(
                select(contacts).where(contacts.c.sender_id == sender_id)).first()
        if row is None or now - row.last_active > self.ttl:
            return None
        try:
            number = self.fernet.decrypt(row.number_enc.encode()).decode()
        except InvalidToken:  # key rotated: the number is unrecoverable, treat as gone
            return None
        return Contact(row.sender_id, row.provider, number, row.via,
                       json.loads(row.buttons) if row.buttons else [], row.last_active)

    def set_buttons(self, sender_id: str, payloads: list[str]) -> None:
        with self.engine.begin() as conn:
            conn.execute(contacts.update().where(contacts.c.sender_id == sender_id).values(
                buttons=json.dumps(payloads) if payloads else None))

    def first_sight(self, key: str, now: float | None = None) -> bool:
        """Record a provider message id; False if it was already recorded (a replay)."""
        now = time.time() if now is None else now
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        with self.engine.begin() as conn:
            stmt = insert(seen_messages).values(key=key, seen_at=now)
            return bool(conn.execute(stmt.on_conflict_do_nothing()).rowcount)

    def unsee(self, key: str) -> None:
        """Forget a message id whose handling failed, so the provider's retry is processed."""
        with self.engine.begin() as conn:
            conn.execute(delete(seen_messages).where(seen_messages.c.key == key))

    def record_sent(self, key: str, sender_id: str, message_ids: list[str],
                    now: float | None = None) -> None:
        """Remember an accepted SMS until its delivery report (`key`: keyed hash of the
        provider's message id)."""
        now = time.time() if now is None else now
        with self.engine.begin() as conn:
            conn.execute(delete(sent_messages).where(sent_messages.c.key == key))
            conn.execute(sent_messages.insert().values(
                key=key, sender_id=sender_id, message_ids=json.dumps(message_ids), sent_at=now))

    def sent(self, key: str) -> Sent | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(sent_messages).where(sent_messages.c.key == key)).first()
        return None if row is None else Sent(row.sender_id, json.loads(row.message_ids),
                                             row.sent_at)

    def forget(self, sender_id: str) -> bool:
        with self.engine.begin() as conn:
            conn.execute(delete(sent_messages).where(sent_messages.c.sender_id == sender_id))
            return bool(conn.execute(
                delete(contacts).where(contacts.c.sender_id == sender_id)).rowcount)

    def sweep(self, now: float | None = None) -> int:
        """Delete numbers inactive longer than the TTL; returns how many."""
        now = time.time() if now is None else now
        with self.engine.begin() as conn:
            conn.execute(delete(seen_messages).where(
                seen_messages.c.seen_at < now - SEEN_TTL_SECONDS))
            conn.execute(delete(sent_messages).where(
                sent_messages.c.sent_at < now - SENT_TTL_SECONDS))
            return int(conn.execute(
                delete(contacts).where(contacts.c.last_active < now - self.ttl)).rowcount)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return len(conn.execute(select(contacts.c.sender_id)).all())
