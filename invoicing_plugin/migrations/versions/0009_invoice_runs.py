"""invoice runs: stored requests to invoice waiting orders, and the invoices each made

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import invoicing_plugin.db.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invoice_runs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('filters', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('group_by', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('finalize', sa.Boolean(), nullable=False),
    sa.Column('scope_key', sa.String(length=64), nullable=False),
    sa.Column('only_customer_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('schedule_name', sa.String(length=60), nullable=True),
    sa.Column('orders_seen', sa.Integer(), nullable=False),
    sa.Column('orders_invoiced', sa.Integer(), nullable=False),
    sa.Column('invoices_made', sa.Integer(), nullable=False),
    sa.Column('failures', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('totals', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('locked_by', sa.String(length=100), nullable=True),
    sa.Column('locked_until', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('started_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_invoice_runs_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_runs'))
    )
    with op.batch_alter_table('invoice_runs', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_runs_scope', ['tenant_id', 'scope_key', 'created_at'], unique=False)
        batch_op.create_index('ix_invoice_runs_status', ['status', 'locked_until'], unique=False)
        batch_op.create_index('ix_invoice_runs_tenant_created', ['tenant_id', 'created_at'], unique=False)

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_invoices_run_id'), ['run_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_invoices_run_id_invoice_runs'), 'invoice_runs', ['run_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invoices_run_id_invoice_runs'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_invoices_run_id'))
        batch_op.drop_column('run_id')

    with op.batch_alter_table('invoice_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_runs_tenant_created')
        batch_op.drop_index('ix_invoice_runs_status')
        batch_op.drop_index('ix_invoice_runs_scope')

    op.drop_table('invoice_runs')
