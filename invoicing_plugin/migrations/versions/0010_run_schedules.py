"""run schedules: invoice runs the worker starts by itself, once per period

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import invoicing_plugin.db.types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('run_schedules',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('interval', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('alignment', sa.String(length=8), nullable=False),
    sa.Column('invoice_date_rule', sa.String(length=16), nullable=False),
    sa.Column('filters', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('group_by', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('finalize', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('last_period_from', sa.Date(), nullable=True),
    sa.Column('created_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_run_schedules_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_run_schedules')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_run_schedules_tenant_id_name'))
    )


def downgrade() -> None:
    op.drop_table('run_schedules')
