"""robustness: reserved for robust matching signals (issue 14) (empty until that work needs a schema change)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
