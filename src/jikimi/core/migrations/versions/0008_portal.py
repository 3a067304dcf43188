"""portal: the victim's encrypted notes on her registered items

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('portal_victim_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('content_id', sa.String(length=64), nullable=False),
    sa.Column('note_enc', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                            name=op.f('fk_portal_victim_notes_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_victim_notes')),
    sa.UniqueConstraint('case_id', 'content_id',
                        name=op.f('uq_portal_victim_notes_case_id_content_id'))
    )
    op.create_index(op.f('ix_portal_victim_notes_case_id'), 'portal_victim_notes', ['case_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_portal_victim_notes_case_id'), table_name='portal_victim_notes')
    op.drop_table('portal_victim_notes')
