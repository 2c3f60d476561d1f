"""reminder documents: a sent reminder's PDF and Finvoice, stored once with their SHA-256 and archived like invoices';
dunning runs remembered with their summary

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 02:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import invoicing_plugin.db.types

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reminder_documents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('reminder_id', sa.Uuid(), nullable=False),
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('media_type', sa.String(length=60), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('archive_delivery_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_reminder_documents_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['reminder_id'], ['reminders.id'], name=op.f('fk_reminder_documents_reminder_id_reminders')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_reminder_documents_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_documents')),
    sa.UniqueConstraint('reminder_id', 'kind', name=op.f('uq_reminder_documents_reminder_id_kind'))
    )
    with op.batch_alter_table('reminder_documents', schema=None) as batch_op:
        batch_op.create_index('ix_reminder_documents_unarchived', ['created_at'], unique=False,
                              postgresql_where=sa.text('archive_delivery_id IS NULL'),
                              sqlite_where=sa.text('archive_delivery_id IS NULL'))
    op.create_table('dunning_runs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('run_by', sa.String(length=100), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('skipped_in_collection', sa.Integer(), nullable=False),
    sa.Column('created_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_dunning_runs_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dunning_runs'))
    )
    with op.batch_alter_table('dunning_runs', schema=None) as batch_op:
        batch_op.create_index('ix_dunning_runs_tenant_created', ['tenant_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dunning_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_dunning_runs_tenant_created')
    op.drop_table('dunning_runs')
    with op.batch_alter_table('reminder_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_documents_unarchived', postgresql_where=sa.text('archive_delivery_id IS NULL'),
                            sqlite_where=sa.text('archive_delivery_id IS NULL'))
    op.drop_table('reminder_documents')
