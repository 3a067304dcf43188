"""scale: the audit chain's head row exists from the start (issue 16)

The audit writer (group commit) and in-transaction auditing both lock the head row; on an
empty installation two first writers could otherwise both find no head and draw sequence 1.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.get_bind().execute(sa.text(
        "INSERT INTO audit_head (id, last_seq, last_hash) SELECT 1, 0, :genesis "
        "WHERE NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1) "
        "AND NOT EXISTS (SELECT 1 FROM audit_entries)"), {"genesis": GENESIS_HASH})


def downgrade() -> None:
    op.get_bind().execute(sa.text(
        "DELETE FROM audit_head WHERE id = 1 AND last_seq = 0 "
        "AND NOT EXISTS (SELECT 1 FROM audit_entries)"))
