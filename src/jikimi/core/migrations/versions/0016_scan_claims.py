"""scan claims: one runner per scan, whichever door started it (issue 16)

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('scans') as batch:
        batch.add_column(sa.Column('claim_token', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('claimed_by', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scans') as batch:
        batch.drop_column('claimed_by')
        batch.drop_column('claim_token')
