"""conversation events from the event broker, for analytics; conversations started per client
address, for the rate limit (production profile)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("type_name", sa.String(length=32), nullable=False),
        sa.Column("event_time", sa.DateTime(), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=128), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_events")),
        sa.UniqueConstraint("event_key", name=op.f("uq_conversation_events_event_key")),
    )
    with op.batch_alter_table("conversation_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_events_conversation_id"), ["conversation_id"]
        )
        batch_op.create_index(batch_op.f("ix_conversation_events_event_time"), ["event_time"])
    op.create_table(
        "conversation_starts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("conversation_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_starts")),
        sa.UniqueConstraint(
            "client_key", "conversation_key", name=op.f("uq_conversation_starts_client_key")
        ),
    )
    with op.batch_alter_table("conversation_starts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_starts_created_at"), ["created_at"])


def downgrade() -> None:
    with op.batch_alter_table("conversation_starts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_starts_created_at"))
    op.drop_table("conversation_starts")
    with op.batch_alter_table("conversation_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_events_event_time"))
        batch_op.drop_index(batch_op.f("ix_conversation_events_conversation_id"))
    op.drop_table("conversation_events")
