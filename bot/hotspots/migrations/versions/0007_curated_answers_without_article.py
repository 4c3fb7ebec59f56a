"""curated answers: may cite no article (工作人员答复), signed by a team, reviewed, with an expiry date

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Questions outside the notice are what the unanswered queue collects, so a staff answer need not
cite an article: `document` and `article` become optional. Such an answer is shown as 工作人员答复
with its date and the team that wrote it (`team`); staff record who reviewed it (`reviewed_by`,
`reviewed_at`), and an optional `expires_on` (last day it is served) retires it by itself.
Existing answers keep their article; their team is the hotline's default signature.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DEFAULT_TEAM = "大连市12333热线"  # bot.hotspots.curated.DEFAULT_TEAM when this revision was written


def upgrade() -> None:
    with op.batch_alter_table("curated_answers", schema=None) as batch_op:
        batch_op.alter_column("document", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("article", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("team", sa.String(length=64), nullable=False, server_default=DEFAULT_TEAM))
        batch_op.add_column(sa.Column("expires_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM curated_answers WHERE document IS NULL OR article IS NULL")
    with op.batch_alter_table("curated_answers", schema=None) as batch_op:
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("expires_on")
        batch_op.drop_column("team")
        batch_op.alter_column("article", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("document", existing_type=sa.String(length=64), nullable=False)
