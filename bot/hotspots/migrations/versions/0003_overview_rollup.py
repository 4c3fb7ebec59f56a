"""overview figures from the rollup: question_daily.handoff and .latency_ms; feedback by time

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

The overview read every turn of the period (80,000 index entries for 30 days of a 100,000-turn
log). With hand-offs and summed latency in `question_daily`, it reads the rollup instead; votes are
counted from the small `feedback` table by when they were cast (index on `created_at`).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("question_daily", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handoff", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("latency_ms", sa.Float(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE question_daily SET "
        "handoff = (SELECT COALESCE(SUM(CASE WHEN t.handoff THEN 1 ELSE 0 END), 0) FROM turns t "
        "WHERE t.day = question_daily.day AND t.question_key = question_daily.question_key "
        "AND t.channel = question_daily.channel), "
        "latency_ms = (SELECT COALESCE(SUM(t.latency_ms), 0) FROM turns t "
        "WHERE t.day = question_daily.day AND t.question_key = question_daily.question_key "
        "AND t.channel = question_daily.channel)"
    )
    op.create_index("ix_question_daily_overview", "question_daily",
                    ["day", "channel", "turns", "answered", "handoff", "latency_ms"])
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_created_at"))
    op.drop_index("ix_question_daily_overview", table_name="question_daily")
    with op.batch_alter_table("question_daily", schema=None) as batch_op:
        batch_op.drop_column("latency_ms")
        batch_op.drop_column("handoff")
