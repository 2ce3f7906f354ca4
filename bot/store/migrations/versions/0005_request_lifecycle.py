"""after the first application: tracking numbers, goods received, refunds withdrawn, repairs
finished, complaint replies, an audit trail of events and a queue of customer notices

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("after_sales_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("courier", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("tracking_no", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("goods_received_on", sa.Date(), nullable=True))
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_on", sa.Date(), nullable=True))
    with op.batch_alter_table("repair_bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply", sa.Text(), nullable=True))
    op.create_table(
        "request_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=24), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("once_key", sa.String(length=96), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_events")),
        sa.UniqueConstraint("once_key", name=op.f("uq_request_events_once_key")),
    )
    with op.batch_alter_table("request_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_events_subject"), ["subject"], unique=False)
    op.create_table(
        "customer_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=24), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=96), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_notices")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_customer_notices_dedupe_key")),
    )
    with op.batch_alter_table("customer_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_notices_conversation_id"), ["conversation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_notices_conversation_id"))
    op.drop_table("customer_notices")
    with op.batch_alter_table("request_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_events_subject"))
    op.drop_table("request_events")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("reply")
    with op.batch_alter_table("repair_bookings", schema=None) as batch_op:
        batch_op.drop_column("finished_at")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_column("cancelled_on")
    with op.batch_alter_table("after_sales_requests", schema=None) as batch_op:
        batch_op.drop_column("goods_received_on")
        batch_op.drop_column("tracking_no")
        batch_op.drop_column("courier")
