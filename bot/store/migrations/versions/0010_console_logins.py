"""the operator console's sign-in attempts (for its lockout) and sessions (so a sign-out ends one)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=32), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_logins")),
    )
    with op.batch_alter_table("console_logins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_logins_created_at"), ["created_at"])
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("password_key", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
    )


def downgrade() -> None:
    op.drop_table("console_sessions")
    with op.batch_alter_table("console_logins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_logins_created_at"))
    op.drop_table("console_logins")
