"""partners: partner platforms and keys, the shared hash feed, feedback, inbound subscriptions

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('partner_feed_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_bank_seq', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_feed_state'))
    )
    op.bulk_insert(sa.table('partner_feed_state', sa.column('id', sa.Integer()),
                            sa.column('last_bank_seq', sa.Integer()),
                            sa.column('version', sa.Integer())),
                   [{'id': 1, 'last_bank_seq': 0, 'version': 0}])
    op.create_table('partner_hash_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signal_type', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_hash_records')),
    sa.UniqueConstraint('signal_type', 'value', name=op.f('uq_partner_hash_records_signal_type'))
    )
    with op.batch_alter_table('partner_hash_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_hash_records_modified_at'), ['modified_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_hash_records_version'), ['version'], unique=False)

    op.create_table('partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('contact', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_fetch_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
    sa.UniqueConstraint('name', name=op.f('uq_partners_name'))
    )
    op.create_table('partner_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('secret_digest', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=100), nullable=False),
    sa.Column('rate_per_minute', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_keys_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_keys')),
    sa.UniqueConstraint('key_id', name=op.f('uq_partner_keys_key_id'))
    )
    with op.batch_alter_table('partner_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_keys_partner_id'), ['partner_id'], unique=False)

    op.create_table('partner_shared_cases',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_partner_shared_cases_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_partner_shared_cases'))
    )
    op.create_table('partner_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('exchange', sa.String(length=40), nullable=False),
    sa.Column('config', sa.Text(), nullable=False),
    sa.Column('credentials_enc', sa.LargeBinary(), nullable=True),
    sa.Column('checkpoint', sa.Text(), nullable=True),
    sa.Column('last_fetch_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('fetched_records', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_partner_subscriptions_bank_id_banks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_subscriptions')),
    sa.UniqueConstraint('name', name=op.f('uq_partner_subscriptions_name'))
    )
    with op.batch_alter_table('partner_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_subscriptions_bank_id'), ['bank_id'], unique=False)

    op.create_table('partner_feed_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('bank_entry_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('signal_type', sa.String(length=20), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('value_key', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('media', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bank_entry_id'], ['bank_entries.id'], name=op.f('fk_partner_feed_items_bank_entry_id_bank_entries')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_partner_feed_items_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_feed_items')),
    sa.UniqueConstraint('bank_entry_id', name=op.f('uq_partner_feed_items_bank_entry_id')),
    sa.UniqueConstraint('token', name=op.f('uq_partner_feed_items_token'))
    )
    with op.batch_alter_table('partner_feed_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_feed_items_active'), ['active'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_feed_items_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_partner_feed_items_signal_value', ['signal_type', 'value_key'], unique=False)

    op.create_table('partner_feed_changes',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('op', sa.String(length=10), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['partner_feed_items.id'], name=op.f('fk_partner_feed_changes_item_id_partner_feed_items')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_partner_feed_changes'))
    )
    with op.batch_alter_table('partner_feed_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_feed_changes_item_id'), ['item_id'], unique=False)

    op.create_table('partner_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('partner_content_id', sa.String(length=200), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('via', sa.String(length=12), nullable=False),
    sa.Column('tags', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_partner_feedback_case_id_cases')),
    sa.ForeignKeyConstraint(['item_id'], ['partner_feed_items.id'], name=op.f('fk_partner_feedback_item_id_partner_feed_items')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_feedback_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_feedback'))
    )
    with op.batch_alter_table('partner_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_feedback_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_feedback_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_feedback_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_feedback_received_at'), ['received_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('partner_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_feedback_received_at'))
        batch_op.drop_index(batch_op.f('ix_partner_feedback_partner_id'))
        batch_op.drop_index(batch_op.f('ix_partner_feedback_item_id'))
        batch_op.drop_index(batch_op.f('ix_partner_feedback_case_id'))

    op.drop_table('partner_feedback')
    with op.batch_alter_table('partner_feed_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_feed_changes_item_id'))

    op.drop_table('partner_feed_changes')
    with op.batch_alter_table('partner_feed_items', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_feed_items_signal_value')
        batch_op.drop_index(batch_op.f('ix_partner_feed_items_case_id'))
        batch_op.drop_index(batch_op.f('ix_partner_feed_items_active'))

    op.drop_table('partner_feed_items')
    with op.batch_alter_table('partner_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_subscriptions_bank_id'))

    op.drop_table('partner_subscriptions')
    op.drop_table('partner_shared_cases')
    with op.batch_alter_table('partner_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_keys_partner_id'))

    op.drop_table('partner_keys')
    op.drop_table('partners')
    with op.batch_alter_table('partner_hash_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_hash_records_version'))
        batch_op.drop_index(batch_op.f('ix_partner_hash_records_modified_at'))

    op.drop_table('partner_hash_records')
    op.drop_table('partner_feed_state')
