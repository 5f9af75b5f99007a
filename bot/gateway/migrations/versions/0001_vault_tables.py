"""The vault's tables: encrypted numbers, seen provider message ids, sent SMS.

Vaults made before the vault had migrations (`create_all`) already hold these tables: they
are kept as they are and only the version is recorded.

Revision ID: v0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "sms_contacts" not in existing:
        op.create_table(
            "sms_contacts",
            sa.Column("sender_id", sa.String(80), primary_key=True),
            sa.Column("provider", sa.String(16), nullable=False),
            sa.Column("number_enc", sa.Text(), nullable=False),
            sa.Column("via", sa.String(32), nullable=False),
            sa.Column("buttons", sa.Text(), nullable=True),
            sa.Column("last_active", sa.Float(), nullable=False),
        )
    if "sms_seen_messages" not in existing:
        op.create_table(
            "sms_seen_messages",
            sa.Column("key", sa.String(80), primary_key=True),
            sa.Column("seen_at", sa.Float(), nullable=False),
        )
    if "sms_sent_messages" not in existing:
        op.create_table(
            "sms_sent_messages",
            sa.Column("key", sa.String(80), primary_key=True),
            sa.Column("sender_id", sa.String(80), nullable=False),
            sa.Column("message_ids", sa.Text(), nullable=False),
            sa.Column("sent_at", sa.Float(), nullable=False),
        )
        op.create_index("ix_sms_sent_messages_sender_id", "sms_sent_messages", ["sender_id"])


def downgrade() -> None:
    op.drop_table("sms_sent_messages")
    op.drop_table("sms_seen_messages")
    op.drop_table("sms_contacts")
