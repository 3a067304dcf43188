"""banks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 05:38:34.060269
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('banks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('owner_kind', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('case_code', sa.String(length=20), nullable=True),
    sa.Column('centre_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('negative', sa.Boolean(), nullable=False),
    sa.Column('pdq_threshold', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_banks_case_id_cases')),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_banks_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_banks')),
    sa.UniqueConstraint('name', name=op.f('uq_banks_name'))
    )
    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_banks_case_id'), ['case_id'], unique=False)

    op.create_table('bank_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('signal_type', sa.String(length=20), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('value_key', sa.String(length=64), nullable=False),
    sa.Column('quality', sa.Integer(), nullable=True),
    sa.Column('variant', sa.String(length=30), nullable=False),
    sa.Column('content_id', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_bank_entries_bank_id_banks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_entries'))
    )
    with op.batch_alter_table('bank_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_entries_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_entries_content_id'), ['content_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_entries_removed_at'), ['removed_at'], unique=False)
        batch_op.create_index('ix_bank_entries_signal_value', ['signal_type', 'value_key'], unique=False)

    op.create_table('bank_changes',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('op', sa.String(length=10), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['bank_entries.id'], name=op.f('fk_bank_changes_entry_id_bank_entries')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_bank_changes'))
    )
    with op.batch_alter_table('bank_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_changes_entry_id'), ['entry_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('bank_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_changes_entry_id'))

    op.drop_table('bank_changes')
    with op.batch_alter_table('bank_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_entries_signal_value')
        batch_op.drop_index(batch_op.f('ix_bank_entries_removed_at'))
        batch_op.drop_index(batch_op.f('ix_bank_entries_content_id'))
        batch_op.drop_index(batch_op.f('ix_bank_entries_bank_id'))

    op.drop_table('bank_entries')
    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_banks_case_id'))

    op.drop_table('banks')

