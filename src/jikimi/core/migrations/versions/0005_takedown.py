"""takedown: requests, their URLs, the e-mail outbox, re-checks, directory overrides, history

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('platform_overrides',
    sa.Column('platform_id', sa.String(length=40), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('platform_id', name=op.f('pk_platform_overrides'))
    )
    op.create_table('takedown_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('case_code', sa.String(length=20), nullable=True),
    sa.Column('platform_id', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('draft_key', sa.String(length=400), nullable=True),
    sa.Column('reupload', sa.Boolean(), nullable=False),
    sa.Column('reupload_of', sa.Integer(), nullable=True),
    sa.Column('minor', sa.Boolean(), nullable=False),
    sa.Column('categories', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('channel_address', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=20), nullable=True),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('notice_subject', sa.Text(), nullable=True),
    sa.Column('notice_body', sa.Text(), nullable=True),
    sa.Column('notice_warnings', sa.Text(), nullable=False),
    sa.Column('prepared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('prepared_by', sa.String(length=120), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_by', sa.String(length=120), nullable=True),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalation_subject', sa.Text(), nullable=True),
    sa.Column('escalation_body', sa.Text(), nullable=True),
    sa.Column('last_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_takedown_requests_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_takedown_requests')),
    sa.UniqueConstraint('draft_key', name=op.f('uq_takedown_requests_draft_key'))
    )
    op.create_index(op.f('ix_takedown_requests_case_code'), 'takedown_requests', ['case_code'], unique=False)
    op.create_index(op.f('ix_takedown_requests_centre_id'), 'takedown_requests', ['centre_id'], unique=False)
    op.create_index(op.f('ix_takedown_requests_deadline'), 'takedown_requests', ['deadline'], unique=False)
    op.create_index(op.f('ix_takedown_requests_platform_id'), 'takedown_requests', ['platform_id'], unique=False)
    op.create_index(op.f('ix_takedown_requests_status'), 'takedown_requests', ['status'], unique=False)
    op.create_table('takedown_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('data', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['takedown_requests.id'], name=op.f('fk_takedown_events_request_id_takedown_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_takedown_events'))
    )
    op.create_index(op.f('ix_takedown_events_request_id'), 'takedown_events', ['request_id'], unique=False)
    op.create_table('takedown_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('message_id', sa.String(length=300), nullable=False),
    sa.Column('sender', sa.String(length=254), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=64), nullable=True),
    sa.Column('claimed_by', sa.String(length=200), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sending_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('uncertain', sa.Boolean(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['takedown_requests.id'], name=op.f('fk_takedown_outbox_request_id_takedown_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_takedown_outbox')),
    sa.UniqueConstraint('message_id', name=op.f('uq_takedown_outbox_message_id'))
    )
    op.create_index(op.f('ix_takedown_outbox_request_id'), 'takedown_outbox', ['request_id'], unique=False)
    op.create_index(op.f('ix_takedown_outbox_status'), 'takedown_outbox', ['status'], unique=False)
    op.create_table('takedown_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('item_version_id', sa.Integer(), nullable=True),
    sa.Column('match_id', sa.Integer(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('fingerprints', sa.Text(), nullable=False),
    sa.Column('reupload', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_outcome', sa.String(length=20), nullable=True),
    sa.Column('last_checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_takedown_items_item_id_items')),
    sa.ForeignKeyConstraint(['item_version_id'], ['item_versions.id'], name=op.f('fk_takedown_items_item_version_id_item_versions')),
    sa.ForeignKeyConstraint(['match_id'], ['item_matches.id'], name=op.f('fk_takedown_items_match_id_item_matches')),
    sa.ForeignKeyConstraint(['request_id'], ['takedown_requests.id'], name=op.f('fk_takedown_items_request_id_takedown_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_takedown_items')),
    sa.UniqueConstraint('request_id', 'url', name=op.f('uq_takedown_items_request_id'))
    )
    op.create_index(op.f('ix_takedown_items_item_id'), 'takedown_items', ['item_id'], unique=False)
    op.create_index(op.f('ix_takedown_items_match_id'), 'takedown_items', ['match_id'], unique=False)
    op.create_index(op.f('ix_takedown_items_request_id'), 'takedown_items', ['request_id'], unique=False)
    op.create_table('takedown_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('final_url', sa.String(length=2000), nullable=True),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=60), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('checked_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['takedown_items.id'], name=op.f('fk_takedown_checks_item_id_takedown_items')),
    sa.ForeignKeyConstraint(['request_id'], ['takedown_requests.id'], name=op.f('fk_takedown_checks_request_id_takedown_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_takedown_checks'))
    )
    op.create_index(op.f('ix_takedown_checks_item_id'), 'takedown_checks', ['item_id'], unique=False)
    op.create_index(op.f('ix_takedown_checks_request_id'), 'takedown_checks', ['request_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_takedown_checks_request_id'), table_name='takedown_checks')
    op.drop_index(op.f('ix_takedown_checks_item_id'), table_name='takedown_checks')
    op.drop_table('takedown_checks')
    op.drop_index(op.f('ix_takedown_items_request_id'), table_name='takedown_items')
    op.drop_index(op.f('ix_takedown_items_match_id'), table_name='takedown_items')
    op.drop_index(op.f('ix_takedown_items_item_id'), table_name='takedown_items')
    op.drop_table('takedown_items')
    op.drop_index(op.f('ix_takedown_outbox_status'), table_name='takedown_outbox')
    op.drop_index(op.f('ix_takedown_outbox_request_id'), table_name='takedown_outbox')
    op.drop_table('takedown_outbox')
    op.drop_index(op.f('ix_takedown_events_request_id'), table_name='takedown_events')
    op.drop_table('takedown_events')
    op.drop_index(op.f('ix_takedown_requests_status'), table_name='takedown_requests')
    op.drop_index(op.f('ix_takedown_requests_platform_id'), table_name='takedown_requests')
    op.drop_index(op.f('ix_takedown_requests_deadline'), table_name='takedown_requests')
    op.drop_index(op.f('ix_takedown_requests_centre_id'), table_name='takedown_requests')
    op.drop_index(op.f('ix_takedown_requests_case_code'), table_name='takedown_requests')
    op.drop_table('takedown_requests')
    op.drop_table('platform_overrides')
