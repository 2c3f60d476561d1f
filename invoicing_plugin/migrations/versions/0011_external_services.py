"""external services: their keys for our customers and products, tokens issued to them, VIES answers,
exchange rates; invoices held for a VAT check and their VAT in euros

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 22:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import invoicing_plugin.db.types

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=30), nullable=False),
    sa.Column('client_id', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_access_tokens_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_access_tokens_token_hash'))
    )
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_tokens_expires_at'), ['expires_at'], unique=False)

    op.create_table('exchange_rates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('rate_date', sa.Date(), nullable=False),
    sa.Column('rate', invoicing_plugin.db.types.ExactDecimal(scale=6, precision=12), nullable=False),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('created_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_exchange_rates_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rates')),
    sa.UniqueConstraint('tenant_id', 'currency', 'rate_date', name=op.f('uq_exchange_rates_tenant_id_currency_rate_date'))
    )
    op.create_table('external_refs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('service', sa.String(length=30), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('our_key', sa.String(length=120), nullable=False),
    sa.Column('their_key', sa.String(length=120), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_external_refs_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_refs')),
    sa.UniqueConstraint('tenant_id', 'service', 'kind', 'our_key', name=op.f('uq_external_refs_tenant_id_service_kind_our_key'))
    )
    op.create_table('vat_checks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('vat_id', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('requester_vat_id', sa.String(length=20), nullable=True),
    sa.Column('consultation_number', sa.String(length=40), nullable=True),
    sa.Column('fault', sa.String(length=60), nullable=True),
    sa.Column('checked_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_vat_checks_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vat_checks'))
    )
    with op.batch_alter_table('vat_checks', schema=None) as batch_op:
        batch_op.create_index('ix_vat_checks_lookup', ['tenant_id', 'vat_id', 'checked_at'], unique=False)

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_reason', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('vat_check_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('exchange_rate', invoicing_plugin.db.types.ExactDecimal(scale=6, precision=12), nullable=True))
        batch_op.add_column(sa.Column('total_vat_national', invoicing_plugin.db.types.ExactDecimal(scale=4, precision=18), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_invoices_vat_check_id_vat_checks'), 'vat_checks', ['vat_check_id'], ['id'])

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exchange_rate', invoicing_plugin.db.types.ExactDecimal(scale=6, precision=12), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('exchange_rate')

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invoices_vat_check_id_vat_checks'), type_='foreignkey')
        batch_op.drop_column('total_vat_national')
        batch_op.drop_column('exchange_rate')
        batch_op.drop_column('vat_check_id')
        batch_op.drop_column('hold_reason')

    with op.batch_alter_table('vat_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_vat_checks_lookup')

    op.drop_table('vat_checks')
    op.drop_table('external_refs')
    op.drop_table('exchange_rates')
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_tokens_expires_at'))

    op.drop_table('access_tokens')
