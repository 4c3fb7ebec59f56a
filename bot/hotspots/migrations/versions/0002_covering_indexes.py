"""covering indexes for the dashboard aggregates; question_texts; question_daily; turns.user_key

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

With 100,000 turns, the overview, hotspot and unanswered queries were reading table rows through
narrow indexes (200-500 ms on SQLite). These indexes hold every column each query needs, so the
database reads one index range instead (20-80 ms). `question_texts` names a wording that is not
yet clustered without scanning its turns; it is filled from the existing turns. `turns.user_key`
(the pseudonym's first 60 bits as an integer) makes counting distinct users cheap. `question_daily`
rolls turns up per day, wording and channel for the hotspot figures; it is filled from the turns.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UNANSWERED_SQL = "abstain_reason IS NOT NULL OR feedback = 'down'"


def upgrade() -> None:
    op.create_table(
        "question_texts",
        sa.Column("question_key", sa.String(length=32), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("question_key", name=op.f("pk_question_texts")),
    )
    op.execute(
        "INSERT INTO question_texts (question_key, question, created_at) "
        "SELECT question_key, MIN(question), MIN(created_at) FROM turns GROUP BY question_key"
    )
    op.create_table(
        "question_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("question_key", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "question_key", "channel", name=op.f("pk_question_daily")),
    )
    op.create_index("ix_question_daily_question_key_day", "question_daily", ["question_key", "day"])
    op.execute(
        "INSERT INTO question_daily (day, question_key, channel, turns, answered) "
        "SELECT day, question_key, channel, COUNT(*), SUM(CASE WHEN answered THEN 1 ELSE 0 END) "
        "FROM turns GROUP BY day, question_key, channel"
    )
    with op.batch_alter_table("turns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_key", sa.BigInteger(), nullable=False, server_default="0"))
    _backfill_user_keys()
    with op.batch_alter_table("turns", schema=None) as batch_op:
        batch_op.drop_index("ix_turns_day_channel")
        batch_op.drop_index("ix_turns_day_question_key")
        batch_op.drop_index("ix_turns_question_key")
        batch_op.drop_index("ix_turns_user_hash")
        batch_op.create_index("ix_turns_day_overview", ["day", "channel", "answered", "handoff", "feedback", "latency_ms"])
        batch_op.create_index("ix_turns_day_question", ["day", "question_key", "answered", "channel"])
        batch_op.create_index("ix_turns_day_user", ["day", "user_key"])
        batch_op.create_index("ix_turns_question_day", ["question_key", "day", "answered", "channel"])
        batch_op.create_index(
            "ix_turns_unanswered", ["day", "question_key", "abstain_reason", "channel", "created_at"],
            sqlite_where=sa.text(UNANSWERED_SQL), postgresql_where=sa.text(UNANSWERED_SQL),
        )
    with op.batch_alter_table("turn_articles", schema=None) as batch_op:
        batch_op.drop_index("ix_turn_articles_day_document_article")
        batch_op.create_index("ix_turn_articles_day_document_article_rank", ["day", "document", "article", "rank"])


def _backfill_user_keys() -> None:
    connection = op.get_bind()
    turns = sa.table("turns", sa.column("id", sa.BigInteger()), sa.column("user_hash", sa.String()),
                     sa.column("user_key", sa.BigInteger()))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(turns.c.id, turns.c.user_hash).where(turns.c.id > last).order_by(turns.c.id).limit(5000)
        ).all()
        if not rows:
            return
        connection.execute(
            turns.update().where(turns.c.id == sa.bindparam("b_id")).values(user_key=sa.bindparam("b_key")),
            [{"b_id": r.id, "b_key": int(r.user_hash[:15], 16)} for r in rows],
        )
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_question_daily_question_key_day", table_name="question_daily")
    op.drop_table("question_daily")
    op.drop_table("question_texts")
    with op.batch_alter_table("turn_articles", schema=None) as batch_op:
        batch_op.drop_index("ix_turn_articles_day_document_article_rank")
        batch_op.create_index("ix_turn_articles_day_document_article", ["day", "document", "article"])
    with op.batch_alter_table("turns", schema=None) as batch_op:
        batch_op.drop_index("ix_turns_unanswered")
        batch_op.drop_index("ix_turns_question_day")
        batch_op.drop_index("ix_turns_day_user")
        batch_op.drop_index("ix_turns_day_question")
        batch_op.drop_index("ix_turns_day_overview")
        batch_op.create_index("ix_turns_user_hash", ["user_hash"])
        batch_op.create_index("ix_turns_question_key", ["question_key"])
        batch_op.create_index("ix_turns_day_question_key", ["day", "question_key"])
        batch_op.create_index("ix_turns_day_channel", ["day", "channel"])
        batch_op.drop_column("user_key")
