"""hardening: reserved for sessions, portal limits and account rules (issue 13; empty until that work needs a schema change)

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
