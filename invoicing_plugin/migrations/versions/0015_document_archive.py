"""document archive: each stored document remembers the outbox delivery that copies it to S3-compatible storage

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 01:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoice_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archive_delivery_id', sa.Uuid(), nullable=True))
        batch_op.create_index('ix_invoice_documents_unarchived', ['created_at'], unique=False,
                              postgresql_where=sa.text('archive_delivery_id IS NULL'),
                              sqlite_where=sa.text('archive_delivery_id IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('invoice_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_documents_unarchived', postgresql_where=sa.text('archive_delivery_id IS NULL'),
                            sqlite_where=sa.text('archive_delivery_id IS NULL'))
        batch_op.drop_column('archive_delivery_id')
