"""console users: the people who sign in to the back-office console, with their login throttle and
session epoch

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 01:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import invoicing_plugin.db.types

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('throttled_until', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('session_epoch', sa.Integer(), nullable=False),
    sa.Column('last_login_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('disabled_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', invoicing_plugin.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_console_users_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_users')),
    sa.UniqueConstraint('tenant_id', 'email', name=op.f('uq_console_users_tenant_id_email'))
    )


def downgrade() -> None:
    op.drop_table('console_users')
