"""Alembic environment of the phone-number vault (its own database, GATEWAY_VAULT_URL).

Used only through `bot.gateway.vault.upgrade_vault`, which hands over a connection; the
version is kept in `vault_alembic_version`, so the vault may share a database with the
escalation service's tables without the two histories colliding.
"""

from __future__ import annotations

from alembic import context

from bot.gateway.vault import VERSION_TABLE, metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
