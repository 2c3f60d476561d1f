"""The VAT breakdown is derived from the invoice lines (their VAT is an exact allocation of it)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 11:54:57.834405
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import invoicing_plugin.db.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoice_vat_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_vat_lines_invoice_id'))

    op.drop_table('invoice_vat_lines')


def downgrade() -> None:
    op.create_table('invoice_vat_lines',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('vat_category', sa.String(length=2), nullable=False),
    sa.Column('vat_rate', invoicing_plugin.db.types.ExactDecimal(scale=3, precision=6), nullable=False),
    sa.Column('taxable_amount', invoicing_plugin.db.types.ExactDecimal(scale=4, precision=18), nullable=False),
    sa.Column('vat_amount', invoicing_plugin.db.types.ExactDecimal(scale=4, precision=18), nullable=False),
    sa.Column('gross_amount', invoicing_plugin.db.types.ExactDecimal(scale=4, precision=18), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_vat_lines_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_invoice_vat_lines_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_vat_lines'))
    )
    with op.batch_alter_table('invoice_vat_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_vat_lines_invoice_id'), ['invoice_id'], unique=False)
