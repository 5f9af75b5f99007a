"""Drop the case-request outbox: the callers' retry queue replaced it.

Since the action server keeps a request it could not deliver in its own retry queue
(`var/pending_cases.db`, bot.clients.escalation.PendingCases) and posts it again, nothing
writes `case_request_outbox` any more, and the service no longer drains it.

Leftover rows are not moved into `cases` here: opening a case checks the request, applies the
limits per conversation and client, sets the priority and tells the coach what the user was
told, all of which lives in the service; a frozen copy in a migration would open cases by
other rules. A row still here is a young person's request for a coach, so the upgrade stops
rather than drop it: the previous release's service opens these cases at start (its sweeper
drains the table first), then this migration runs on an empty table.

Revision ID: 0004
Revises: 0003
Create Date: 2025-03-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "case_request_outbox"


class OutboxNotEmpty(RuntimeError):
    """Rows remain in the outbox: they would be lost by dropping it."""


def upgrade() -> None:
    bind = op.get_bind()
    outbox = sa.table(TABLE, sa.column("id", sa.Integer()))
    remaining = bind.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one()
    if remaining:
        raise OutboxNotEmpty(
            f"{TABLE} still holds {remaining} case request(s) queued while the escalation "
            "service was down; dropping the table would lose them. Start the escalation "
            "service of the previous release once (its sweeper opens them as cases at start, "
            f"then the table is empty) and upgrade again. Only if they are known to be "
            f"handled already: DELETE FROM {TABLE}; then upgrade again."
        )
    op.drop_table(TABLE)


def downgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
