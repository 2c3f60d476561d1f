"""idempotency keys scoped to the API key; attempt rows written before the call; chronological series

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=40), nullable=False, server_default=''))
        batch_op.drop_constraint('uq_idempotency_keys_tenant_id_key', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_idempotency_keys_tenant_id_scope_key'),
                                          ['tenant_id', 'scope', 'key'])
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.alter_column('scope', server_default=None)
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.alter_column('duration_ms', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('number_series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chronological_dates', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('number_series', schema=None) as batch_op:
        batch_op.alter_column('chronological_dates', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('number_series', schema=None) as batch_op:
        batch_op.drop_column('chronological_dates')
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.alter_column('duration_ms', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_constraint('uq_idempotency_keys_tenant_id_scope_key', type_='unique')
        batch_op.create_unique_constraint('uq_idempotency_keys_tenant_id_key', ['tenant_id', 'key'])
        batch_op.drop_column('scope')
