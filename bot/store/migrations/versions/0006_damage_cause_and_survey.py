"""how the customer says the damage happened, on returns and repairs; one rating row per
survey (a conversation may rate several services), recording the service it rates and a
survey offered but not (yet) answered (declined, no overall score)

Downgrading deletes the declined rows and all but one rating per conversation.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("after_sales_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("damage_cause", sa.String(length=8), nullable=True))
    with op.batch_alter_table("repair_bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("damage_cause", sa.String(length=8), nullable=True))
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=24), nullable=True))
        batch_op.add_column(
            sa.Column("declined", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.alter_column("overall", existing_type=sa.SmallInteger(), nullable=True)
        batch_op.drop_constraint("uq_ratings_conversation_id", type_="unique")
        batch_op.create_index(batch_op.f("ix_ratings_conversation_id"), ["conversation_id"])
        batch_op.create_index(batch_op.f("ix_ratings_subject"), ["subject"])


def downgrade() -> None:
    op.execute("DELETE FROM ratings WHERE overall IS NULL")
    op.execute(
        "DELETE FROM ratings WHERE id NOT IN "
        "(SELECT max(id) FROM ratings GROUP BY conversation_id)"
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_subject"))
        batch_op.drop_index(batch_op.f("ix_ratings_conversation_id"))
        batch_op.create_unique_constraint("uq_ratings_conversation_id", ["conversation_id"])
        batch_op.alter_column("overall", existing_type=sa.SmallInteger(), nullable=False)
        batch_op.drop_column("declined")
        batch_op.drop_column("subject")
    with op.batch_alter_table("repair_bookings", schema=None) as batch_op:
        batch_op.drop_column("damage_cause")
    with op.batch_alter_table("after_sales_requests", schema=None) as batch_op:
        batch_op.drop_column("damage_cause")
