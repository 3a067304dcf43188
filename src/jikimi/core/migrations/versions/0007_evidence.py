"""evidence: captured items (sealed WARC files) and their chain of custody

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evidence_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_code', sa.String(length=20), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=True),
    sa.Column('requested_url', sa.Text(), nullable=False),
    sa.Column('final_url', sa.Text(), nullable=False),
    sa.Column('redirects', sa.Text(), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=False),
    sa.Column('headers', sa.Text(), nullable=False),
    sa.Column('content_type', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('md5', sa.String(length=32), nullable=False),
    sa.Column('pdq', sa.String(length=64), nullable=True),
    sa.Column('pdq_quality', sa.Integer(), nullable=True),
    sa.Column('tls_fingerprint', sa.String(length=64), nullable=True),
    sa.Column('tls', sa.Text(), nullable=False),
    sa.Column('page_title', sa.Text(), nullable=False),
    sa.Column('resources', sa.Text(), nullable=False),
    sa.Column('screenshot_sha256', sa.String(length=64), nullable=True),
    sa.Column('warc_name', sa.String(length=120), nullable=False),
    sa.Column('warc_sha256', sa.String(length=64), nullable=False),
    sa.Column('warc_size', sa.Integer(), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=True),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('captured_by', sa.String(length=120), nullable=False),
    sa.Column('captured_by_name', sa.String(length=254), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_evidence_items_case_id_cases')),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_evidence_items_centre_id_centres')),
    sa.ForeignKeyConstraint(['match_id'], ['item_matches.id'], name=op.f('fk_evidence_items_match_id_item_matches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_items')),
    sa.UniqueConstraint('uid', name=op.f('uq_evidence_items_uid'))
    )
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_items_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_items_case_code'), ['case_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_items_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_items_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_items_status'), ['status'], unique=False)

    op.create_table('evidence_custody_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('actor_name', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['evidence_items.id'], name=op.f('fk_evidence_custody_events_item_id_evidence_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_custody_events'))
    )
    with op.batch_alter_table('evidence_custody_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_custody_events_item_id'), ['item_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('evidence_custody_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_custody_events_item_id'))
    op.drop_table('evidence_custody_events')
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_items_status'))
        batch_op.drop_index(batch_op.f('ix_evidence_items_sha256'))
        batch_op.drop_index(batch_op.f('ix_evidence_items_centre_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_items_case_code'))
        batch_op.drop_index(batch_op.f('ix_evidence_items_case_id'))
    op.drop_table('evidence_items')
