"""turns by user: whether a user has ever been logged, read by the conversation on its first turn

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

A user with no logged turn cannot have an eligibility check open in Rasa, so the conversation
can answer their first one-action turn after NLU alone. That lookup needs an index by user.
"""
from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_turns_user_key", "turns", ["user_key"])


def downgrade() -> None:
    op.drop_index("ix_turns_user_key", table_name="turns")
