"""human service: the agent console's sessions and transcripts, speaker/agent on turns, callback numbers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

A conversation handed to a person is one `handoff_sessions` row with its masked transcript in
`handoff_messages`; agents' messages and the citizen's messages to them are turns too, marked by
`turns.speaker` and `turns.agent`. `call_events.caller_enc` keeps a caller's number encrypted for
the callback desk.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("speaker", sa.String(8), nullable=False, server_default="citizen"))
        batch.add_column(sa.Column("agent", sa.String(64), nullable=True))
    with op.batch_alter_table("call_events") as batch:
        batch.add_column(sa.Column("caller_enc", sa.Text(), nullable=True))
    op.create_table(
        "handoff_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conv_key", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("off_duty", sa.Boolean(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("agent", sa.String(64), nullable=True),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("first_reply_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_by", sa.String(64), nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
        sa.Column("outcome", sa.String(12), nullable=True),
        sa.Column("callback_enc", sa.Text(), nullable=True),
        sa.Column("callback_tail", sa.String(8), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_handoff_sessions"),
    )
    op.create_index("ix_handoff_sessions_status_created_at", "handoff_sessions", ["status", "created_at"])
    op.create_index("ix_handoff_sessions_conv_key_status", "handoff_sessions", ["conv_key", "status"])
    op.create_index("ix_handoff_sessions_day", "handoff_sessions", ["day"])
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "handoff_messages",
        sa.Column("id", big_id, autoincrement=True, nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("speaker", sa.String(8), nullable=False),
        sa.Column("agent", sa.String(64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("citations", sa.Text(), nullable=False),
        sa.Column("delivery", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_handoff_messages"),
    )
    op.create_index("ix_handoff_messages_session_id", "handoff_messages", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_handoff_messages_session_id", table_name="handoff_messages")
    op.drop_table("handoff_messages")
    for name in ("ix_handoff_sessions_day", "ix_handoff_sessions_conv_key_status",
                 "ix_handoff_sessions_status_created_at"):
        op.drop_index(name, table_name="handoff_sessions")
    op.drop_table("handoff_sessions")
    with op.batch_alter_table("call_events") as batch:
        batch.drop_column("caller_enc")
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("agent")
        batch.drop_column("speaker")
