"""credit notes, cancellations, pro forma, credit balances and refunds

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import invoicing_plugin.db.types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('refunds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('refund_id', sa.String(length=120), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', invoicing_plugin.db.types.ExactDecimal(scale=4, precision=18), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_refunds_customer_id_customers')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_refunds_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('tenant_id', 'refund_id', name=op.f('uq_refunds_tenant_id_refund_id'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index('ix_refunds_customer', ['tenant_id', 'customer_id', 'currency'], unique=False)

    op.create_table('allocations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', invoicing_plugin.db.types.ExactDecimal(scale=4, precision=18), nullable=False),
    sa.Column('allocated_on', sa.Date(), nullable=False),
    sa.Column('how', sa.String(length=12), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_allocations_customer_id_customers')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_allocations_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_allocations_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocations'))
    )
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.create_index('ix_allocations_customer', ['tenant_id', 'customer_id', 'currency'], unique=False)
        batch_op.create_index('ix_allocations_invoice', ['invoice_id'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_had_credit', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.alter_column('has_had_credit', server_default=None)

    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credited_line_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('credit_type', sa.String(length=8), nullable=True))
        batch_op.create_index(batch_op.f('ix_invoice_lines_credited_line_id'), ['credited_line_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_invoice_lines_credited_line_id_invoice_lines'), 'invoice_lines', ['credited_line_id'], ['id'])

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('credit_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('credited_amount', invoicing_plugin.db.types.ExactDecimal(scale=4, precision=18), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('allocated_amount', invoicing_plugin.db.types.ExactDecimal(scale=4, precision=18), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('converted_to_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_invoices_credited_invoice_id'), ['credited_invoice_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_invoices_converted_to_id_invoices'), 'invoices', ['converted_to_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_invoices_cancelled_by_id_invoices'), 'invoices', ['cancelled_by_id'], ['id'])

    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_note_series', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('proforma_series', sa.String(length=40), nullable=False, server_default='proforma'))
        batch_op.add_column(sa.Column('apply_credit_automatically', sa.Boolean(), nullable=False, server_default=sa.true()))
    # Existing rows got their values from the server defaults; new rows get them from the models.
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.alter_column('proforma_series', server_default=None)
        batch_op.alter_column('apply_credit_automatically', server_default=None)
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.alter_column('credited_amount', server_default=None)
        batch_op.alter_column('allocated_amount', server_default=None)



def downgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('apply_credit_automatically')
        batch_op.drop_column('proforma_series')
        batch_op.drop_column('credit_note_series')

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invoices_cancelled_by_id_invoices'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_invoices_converted_to_id_invoices'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_invoices_credited_invoice_id'))
        batch_op.drop_column('closed_at')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('converted_to_id')
        batch_op.drop_column('allocated_amount')
        batch_op.drop_column('credited_amount')
        batch_op.drop_column('credit_reason')
        batch_op.drop_column('cancelled_by_id')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('has_had_credit')

    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invoice_lines_credited_line_id_invoice_lines'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_invoice_lines_credited_line_id'))
        batch_op.drop_column('credit_type')
        batch_op.drop_column('credited_line_id')

    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_allocations_invoice')
        batch_op.drop_index('ix_allocations_customer')

    op.drop_table('allocations')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_refunds_customer')

    op.drop_table('refunds')
