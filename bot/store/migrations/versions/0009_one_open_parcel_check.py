"""one open logistics check per order, as a partial unique index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_index(
        "uq_parcel_tickets_open_order", "parcel_tickets", ["order_id"], unique=True,
        sqlite_where=OPEN, postgresql_where=OPEN,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("uq_parcel_tickets_open_order", table_name="parcel_tickets")
