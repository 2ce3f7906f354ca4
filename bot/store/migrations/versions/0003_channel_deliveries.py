"""channel deliveries: platform callbacks already handled, so replays are refused everywhere

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("delivery_key", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_deliveries")),
        sa.UniqueConstraint("channel", "delivery_key", name=op.f("uq_channel_deliveries_channel")),
    )
    with op.batch_alter_table("channel_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_deliveries_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_deliveries_received_at"))
    op.drop_table("channel_deliveries")
