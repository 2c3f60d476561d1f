"""orders by invoice: an index for looking up an invoice's orders (finalising, cancelling, invoice runs)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 23:45:00
"""

from __future__ import annotations

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_invoice', ['invoice_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_invoice')
