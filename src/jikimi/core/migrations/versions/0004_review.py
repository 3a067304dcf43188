"""review

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 06:31:46.541736
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('review_decisions',
    sa.Column('match_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('assigned_to', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.String(length=120), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to'], ['staff_users.id'], name=op.f('fk_review_decisions_assigned_to_staff_users')),
    sa.ForeignKeyConstraint(['match_id'], ['item_matches.id'], name=op.f('fk_review_decisions_match_id_item_matches')),
    sa.PrimaryKeyConstraint('match_id', name=op.f('pk_review_decisions'))
    )
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_decisions_status'), ['status'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_decisions_status'))

    op.drop_table('review_decisions')

