"""web_day: notice drafts approved by an officer, worker heartbeats, key backups (issue 15)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('takedown_requests') as batch:
        batch.add_column(sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('edited_by', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('approved_by', sa.String(length=120), nullable=True))
    # Notices prepared before drafts needed approval were approved when they were prepared.
    op.execute("UPDATE takedown_requests SET approved_at = prepared_at, "
               "approved_by = prepared_by WHERE prepared_at IS NOT NULL")
    op.create_table('service_heartbeats',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('host', sa.String(length=200), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_service_heartbeats'))
    )
    op.create_table('key_backups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('made_by', sa.String(length=120), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_backups'))
    )


def downgrade() -> None:
    op.drop_table('key_backups')
    op.drop_table('service_heartbeats')
    with op.batch_alter_table('takedown_requests') as batch:
        batch.drop_column('approved_by')
        batch.drop_column('approved_at')
        batch.drop_column('edited_by')
        batch.drop_column('edited_at')
