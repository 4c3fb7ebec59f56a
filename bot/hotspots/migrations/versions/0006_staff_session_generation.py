"""staff session generation: logging out ends every session of the account, server-side

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

A dashboard session is a signed cookie; it carries the account's session generation, and a request
is served only while the account still has that generation. Logging out bumps it, so a copy of the
cookie replayed after logout opens nothing.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("session_generation")
