"""perimeter: reserved for fetch, sessions and portal limits (issue 13) (empty until that work needs a schema change)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
