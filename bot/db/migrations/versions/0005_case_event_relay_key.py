"""A relayed user message is stored once per case: `case_events.relay_key`.

A user message reaches a case along two ways: the Rasa relay broker's post (the fast way,
retried, so it may come twice) and the escalation service's reconciliation with Rasa's
tracker (the durable way, for a relay lost with a killed Rasa process). Both name the
message the same (Rasa's `message_id`, else its timestamp), and the unique index makes the
second copy a no-op even when two service instances store it at the same moment. Older rows
keep NULL, which the index does not compare.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = "ux_case_events_case_relay_key"


def upgrade() -> None:
    op.add_column("case_events", sa.Column("relay_key", sa.String(128), nullable=True))
    op.create_index(INDEX, "case_events", ["case_id", "relay_key"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="case_events")
    with op.batch_alter_table("case_events") as batch:  # SQLite drops a column by copying
        batch.drop_column("relay_key")
