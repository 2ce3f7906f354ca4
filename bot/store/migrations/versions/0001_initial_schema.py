"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 00:27:51.655731
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("phone", name=op.f("uq_customers_phone")),
    )
    op.create_table(
        "id_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=4), nullable=False),
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_id_counters")),
        sa.UniqueConstraint("prefix", "day", name=op.f("uq_id_counters_prefix")),
    )
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("product_category", sa.String(length=32), nullable=True),
        sa.Column("team", sa.String(length=32), nullable=True),
        sa.Column("responsiveness", sa.SmallInteger(), nullable=True),
        sa.Column("resolution", sa.SmallInteger(), nullable=True),
        sa.Column("professionalism", sa.SmallInteger(), nullable=True),
        sa.Column("patience", sa.SmallInteger(), nullable=True),
        sa.Column("proactiveness", sa.SmallInteger(), nullable=True),
        sa.Column("overall", sa.SmallInteger(), nullable=False),
        sa.Column("recommend", sa.SmallInteger(), nullable=True),
        sa.Column("solved", sa.Boolean(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("flagged_extreme", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_ratings_conversation_id")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("buyer_phone", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("shipping_fee", sa.BigInteger(), nullable=False),
        sa.Column("payment_route", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("shipping_address", sa.Text(), nullable=False),
        sa.Column("warranty_months", sa.Integer(), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=False),
        sa.Column("shipped_at", sa.DateTime(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("order_no", name=op.f("uq_orders_order_no")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("reply_due", sa.DateTime(), nullable=False),
        sa.Column("solution_due", sa.DateTime(), nullable=False),
        sa.Column("result_due", sa.Date(), nullable=False),
        sa.Column("replied_at", sa.DateTime(), nullable=True),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_complaints_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("public_id", name=op.f("uq_complaints_public_id")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaints_order_id"), ["order_id"], unique=False)

    op.create_table(
        "order_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_name", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_items_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_items")),
    )
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_items_order_id"), ["order_id"], unique=False)

    op.create_table(
        "after_sales_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("quality_problem", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("shipping_payer", sa.String(length=8), nullable=False),
        sa.Column("return_address", sa.Text(), nullable=True),
        sa.Column("review_due", sa.Date(), nullable=False),
        sa.Column("processing_due", sa.Date(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["order_items.id"],
            name=op.f("fk_after_sales_requests_item_id_order_items"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_after_sales_requests_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_after_sales_requests")),
        sa.UniqueConstraint("public_id", name=op.f("uq_after_sales_requests_public_id")),
    )
    with op.batch_alter_table("after_sales_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_after_sales_requests_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_handoff_requests_complaint_id_complaints"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_handoff_requests_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_requests")),
        sa.UniqueConstraint("public_id", name=op.f("uq_handoff_requests_public_id")),
    )
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handoff_requests_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "repair_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("fault", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("covered", sa.Boolean(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("contact_phone", sa.String(length=16), nullable=True),
        sa.Column("slot_start", sa.DateTime(), nullable=True),
        sa.Column("slot_end", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("respond_due", sa.Date(), nullable=False),
        sa.Column("complete_due", sa.Date(), nullable=True),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["order_items.id"], name=op.f("fk_repair_bookings_item_id_order_items")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_repair_bookings_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_bookings")),
        sa.UniqueConstraint("public_id", name=op.f("uq_repair_bookings_public_id")),
    )
    with op.batch_alter_table("repair_bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repair_bookings_order_id"), ["order_id"], unique=False)

    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("quality_problem", sa.Boolean(), nullable=False),
        sa.Column("goods_received_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("paid_out_on", sa.Date(), nullable=True),
        sa.Column("credit_earliest", sa.Date(), nullable=True),
        sa.Column("credit_latest", sa.Date(), nullable=True),
        sa.Column("credited_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["after_sales_requests.id"],
            name=op.f("fk_refunds_request_id_after_sales_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("public_id", name=op.f("uq_refunds_public_id")),
        sa.UniqueConstraint("request_id", name=op.f("uq_refunds_request_id")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_order_id"))

    op.drop_table("refunds")
    with op.batch_alter_table("repair_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_bookings_order_id"))

    op.drop_table("repair_bookings")
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_requests_conversation_id"))

    op.drop_table("handoff_requests")
    with op.batch_alter_table("after_sales_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_after_sales_requests_order_id"))

    op.drop_table("after_sales_requests")
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_items_order_id"))

    op.drop_table("order_items")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_order_id"))

    op.drop_table("complaints")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_customer_id"))

    op.drop_table("orders")
    op.drop_table("ratings")
    op.drop_table("id_counters")
    op.drop_table("customers")
