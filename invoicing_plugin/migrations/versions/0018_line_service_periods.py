"""line service periods: the service period of each order line and invoice line, as dates

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('order_lines', 'invoice_lines'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('service_period_start', sa.Date(), nullable=True))
            batch_op.add_column(sa.Column('service_period_end', sa.Date(), nullable=True))


def downgrade() -> None:
    for table in ('invoice_lines', 'order_lines'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('service_period_end')
            batch_op.drop_column('service_period_start')
