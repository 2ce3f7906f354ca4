"""parcels on their way: the order's outbound tracking as the carrier last reported it, and
logistics tickets for a parcel stalled or signed for but not received

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("courier", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("tracking_no", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("last_scan", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("last_scan_at", sa.DateTime(), nullable=True))
    op.create_table(
        "parcel_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("problem", sa.String(length=16), nullable=False),
        sa.Column("remedy", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("check_due", sa.DateTime(), nullable=False),
        sa.Column("claim_deadline", sa.Date(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_parcel_tickets_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel_tickets")),
        sa.UniqueConstraint("public_id", name=op.f("uq_parcel_tickets_public_id")),
    )
    with op.batch_alter_table("parcel_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parcel_tickets_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("parcel_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parcel_tickets_order_id"))
    op.drop_table("parcel_tickets")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("last_scan_at")
        batch_op.drop_column("last_scan")
        batch_op.drop_column("tracking_no")
        batch_op.drop_column("courier")
