"""ownership: every record of case data has an owning centre (issue 13)

Fills the owning centre of banks, sources and matches that have none (records made at the
CLI stored NULL), then makes it NOT NULL:

- a case bank belongs to its case's centre (always, even if it said otherwise);
- any other bank without a centre, and every imported/partner bank, becomes a *national* bank
  of the installation's default centre (the central centre, else the first);
- a source without a centre belongs to the default centre;
- a match belongs to its case bank's centre, else to the centre of the source that found it.

Makes ``takedown_outbox.request_id`` NOT NULL (every message is a request's). Adds
``bank_entries.label_enc``: labels are encrypted by ``jikimi db upgrade`` after the
migration (the key file is not the migration's to read).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _default_centre(conn: sa.Connection) -> int | None:
    row = conn.execute(sa.text(
        "SELECT id FROM centres ORDER BY is_central DESC, id LIMIT 1")).first()
    return None if row is None else int(row[0])


def _ensure_default_centre(conn: sa.Connection) -> int:
    """The default centre; when rows need an owner and no centre exists yet, the central
    centre is created as "중앙센터" (rename it with the accounts commands)."""
    found = _default_centre(conn)
    if found is not None:
        return found
    now = dt.datetime.now(dt.UTC)
    conn.execute(sa.text(
        "INSERT INTO centres (name, is_central, created_at) VALUES (:name, :central, :at)"),
        {"name": "중앙센터", "central": True,
         "at": now.replace(tzinfo=None) if conn.dialect.name == "sqlite" else now})
    created = _default_centre(conn)
    assert created is not None
    return created


def upgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('national', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('bank_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label_enc', sa.LargeBinary(), nullable=True))
    with op.batch_alter_table('item_matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('centre_id', sa.Integer(), nullable=True))

    # banks: a case bank is its case's; the rest without a centre are national.
    conn.execute(sa.text(
        "UPDATE banks SET centre_id = (SELECT cases.centre_id FROM cases "
        "WHERE cases.id = banks.case_id), national = :no WHERE case_id IS NOT NULL"),
        {"no": False})
    orphans = conn.execute(sa.text(
        "SELECT count(*) FROM banks WHERE centre_id IS NULL")).scalar_one()
    orphan_sources = conn.execute(sa.text(
        "SELECT count(*) FROM sources WHERE centre_id IS NULL")).scalar_one()
    if orphans or orphan_sources:
        default = _ensure_default_centre(conn)
        conn.execute(sa.text(
            "UPDATE banks SET national = :yes, centre_id = :centre "
            "WHERE centre_id IS NULL AND case_id IS NULL"), {"yes": True, "centre": default})
        conn.execute(sa.text("UPDATE sources SET centre_id = :centre WHERE centre_id IS NULL"),
                     {"centre": default})
    conn.execute(sa.text(
        "UPDATE banks SET national = :yes WHERE case_id IS NULL "
        "AND owner_kind IN ('partner', 'import')"), {"yes": True})

    # matches: the case bank's centre, else the finding source's.
    conn.execute(sa.text(
        "UPDATE item_matches SET centre_id = (SELECT banks.centre_id FROM banks "
        "WHERE banks.id = item_matches.bank_id AND banks.case_id IS NOT NULL)"))
    conn.execute(sa.text(
        "UPDATE item_matches SET centre_id = (SELECT sources.centre_id FROM item_versions "
        "JOIN items ON items.id = item_versions.item_id "
        "JOIN sources ON sources.id = items.source_id "
        "WHERE item_versions.id = item_matches.item_version_id) WHERE centre_id IS NULL"))

    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.alter_column('centre_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_banks_centre_id'), ['centre_id'], unique=False)
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.alter_column('centre_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_sources_centre_id'), ['centre_id'], unique=False)
    # an outbox message is always a request's (the service never writes one without)
    with op.batch_alter_table('takedown_outbox', schema=None) as batch_op:
        batch_op.alter_column('request_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('item_matches', schema=None) as batch_op:
        batch_op.alter_column('centre_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_item_matches_centre_id'), ['centre_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_item_matches_centre_id_centres'),
                                    'centres', ['centre_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('takedown_outbox', schema=None) as batch_op:
        batch_op.alter_column('request_id', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('item_matches', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_item_matches_centre_id_centres'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_item_matches_centre_id'))
        batch_op.drop_column('centre_id')
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sources_centre_id'))
        batch_op.alter_column('centre_id', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_banks_centre_id'))
        batch_op.alter_column('centre_id', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('bank_entries', schema=None) as batch_op:
        batch_op.drop_column('label_enc')
    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.drop_column('national')
