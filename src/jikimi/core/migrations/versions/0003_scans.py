"""scans

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 06:01:29.280791
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('config', sa.Text(), nullable=False),
    sa.Column('interval_minutes', sa.Integer(), nullable=True),
    sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_sources_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources'))
    )
    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=2000), nullable=False),
    sa.Column('locator', sa.Text(), nullable=False),
    sa.Column('context', sa.Text(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_items_source_id_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('source_id', 'item_key', name=op.f('uq_items_source_id'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_items_source_id'), ['source_id'], unique=False)

    op.create_table('scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('runner', sa.String(length=20), nullable=False),
    sa.Column('enumerated', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by', sa.String(length=120), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_scans_source_id_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scans'))
    )
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scans_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scans_status'), ['status'], unique=False)

    op.create_table('item_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('fingerprints', sa.Text(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_versions_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_versions')),
    sa.UniqueConstraint('item_id', 'sha256', name=op.f('uq_item_versions_item_id'))
    )
    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_versions_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_versions_sha256'), ['sha256'], unique=False)

    op.create_table('item_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('case_code', sa.String(length=20), nullable=True),
    sa.Column('signal_type', sa.String(length=20), nullable=False),
    sa.Column('distance', sa.Integer(), nullable=False),
    sa.Column('variant', sa.String(length=30), nullable=False),
    sa.Column('entry_variant', sa.String(length=30), nullable=False),
    sa.Column('reliable', sa.Boolean(), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_item_matches_bank_id_banks')),
    sa.ForeignKeyConstraint(['entry_id'], ['bank_entries.id'], name=op.f('fk_item_matches_entry_id_bank_entries')),
    sa.ForeignKeyConstraint(['item_version_id'], ['item_versions.id'], name=op.f('fk_item_matches_item_version_id_item_versions')),
    sa.ForeignKeyConstraint(['scan_id'], ['scans.id'], name=op.f('fk_item_matches_scan_id_scans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_matches')),
    sa.UniqueConstraint('item_version_id', 'entry_id', name=op.f('uq_item_matches_item_version_id'))
    )
    with op.batch_alter_table('item_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_matches_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_matches_case_code'), ['case_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_matches_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_matches_item_version_id'), ['item_version_id'], unique=False)

    op.create_table('scan_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=2000), nullable=False),
    sa.Column('locator', sa.Text(), nullable=False),
    sa.Column('kind_hint', sa.String(length=10), nullable=True),
    sa.Column('context', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error_code', sa.String(length=40), nullable=True),
    sa.Column('error_reason', sa.Text(), nullable=True),
    sa.Column('item_version_id', sa.Integer(), nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_version_id'], ['item_versions.id'], name=op.f('fk_scan_items_item_version_id_item_versions')),
    sa.ForeignKeyConstraint(['scan_id'], ['scans.id'], name=op.f('fk_scan_items_scan_id_scans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_items')),
    sa.UniqueConstraint('scan_id', 'item_key', name=op.f('uq_scan_items_scan_id'))
    )
    with op.batch_alter_table('scan_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scan_items_scan_id'), ['scan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_items_status'), ['status'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('scan_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scan_items_status'))
        batch_op.drop_index(batch_op.f('ix_scan_items_scan_id'))

    op.drop_table('scan_items')
    with op.batch_alter_table('item_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_matches_item_version_id'))
        batch_op.drop_index(batch_op.f('ix_item_matches_entry_id'))
        batch_op.drop_index(batch_op.f('ix_item_matches_case_code'))
        batch_op.drop_index(batch_op.f('ix_item_matches_bank_id'))

    op.drop_table('item_matches')
    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_versions_sha256'))
        batch_op.drop_index(batch_op.f('ix_item_versions_item_id'))

    op.drop_table('item_versions')
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scans_status'))
        batch_op.drop_index(batch_op.f('ix_scans_source_id'))

    op.drop_table('scans')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_items_source_id'))

    op.drop_table('items')
    op.drop_table('sources')

