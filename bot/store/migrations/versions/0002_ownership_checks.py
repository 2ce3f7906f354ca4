"""ownership checks: failed and successful proofs of order ownership, kept in the store

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 03:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ownership_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("proof_kind", sa.String(length=8), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_ownership_checks_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ownership_checks")),
    )
    with op.batch_alter_table("ownership_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ownership_checks_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ownership_checks_order_id"), ["order_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ownership_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ownership_checks_order_id"))
        batch_op.drop_index(batch_op.f("ix_ownership_checks_conversation_id"))
    op.drop_table("ownership_checks")
