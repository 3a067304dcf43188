"""web_admin: reserved for staff web administration and sources forms (issue 15) (empty until that work needs a schema change)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
