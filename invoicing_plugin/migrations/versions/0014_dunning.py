"""dunning: levels and reference rates per tenant, and reminders with their own number series

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 01:06:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import invoicing_plugin.db.types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dunning_settings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('auto_send', sa.Boolean(), nullable=False),
    sa.Column('payment_days', sa.Integer(), nullable=False),
    sa.Column('levels', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('next_number', sa.BigInteger(), nullable=False),
    sa.Column('last_run_on', sa.Date(), nullable=True),
    sa.Column('created_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_dunning_settings_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dunning_settings')),
    sa.UniqueConstraint('tenant_id', name=op.f('uq_dunning_settings_tenant_id'))
    )
    op.create_table('reference_rates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('rate', invoicing_plugin.db.types.ExactDecimal(scale=3, precision=6), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_reference_rates_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_rates')),
    sa.UniqueConstraint('tenant_id', 'valid_from', name=op.f('uq_reference_rates_tenant_id_valid_from'))
    )
    op.create_table('reminders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('sequence_number', sa.BigInteger(), nullable=True),
    sa.Column('number', sa.String(length=60), nullable=True),
    sa.Column('reminder_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('open_amount', invoicing_plugin.db.types.ExactDecimal(scale=4, precision=18), nullable=False),
    sa.Column('nominal_fee', invoicing_plugin.db.types.ExactDecimal(scale=4, precision=18), nullable=False),
    sa.Column('fee', invoicing_plugin.db.types.ExactDecimal(scale=4, precision=18), nullable=False),
    sa.Column('compensation', invoicing_plugin.db.types.ExactDecimal(scale=4, precision=18), nullable=False),
    sa.Column('interest', invoicing_plugin.db.types.ExactDecimal(scale=4, precision=18), nullable=False),
    sa.Column('interest_from', sa.Date(), nullable=True),
    sa.Column('interest_to', sa.Date(), nullable=True),
    sa.Column('interest_periods', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('channels', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('cancel_reason', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_reminders_customer_id_customers')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_reminders_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_reminders_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
    sa.UniqueConstraint('tenant_id', 'invoice_id', 'level', name=op.f('uq_reminders_tenant_id_invoice_id_level')),
    sa.UniqueConstraint('tenant_id', 'sequence_number', name=op.f('uq_reminders_tenant_id_sequence_number'))
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_tenant_customer', ['tenant_id', 'customer_id'], unique=False)
        batch_op.create_index('ix_reminders_tenant_status', ['tenant_id', 'status', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_tenant_status')
        batch_op.drop_index('ix_reminders_tenant_customer')

    op.drop_table('reminders')
    op.drop_table('reference_rates')
    op.drop_table('dunning_settings')
