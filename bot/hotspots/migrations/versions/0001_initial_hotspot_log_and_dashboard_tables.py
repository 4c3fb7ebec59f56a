"""initial hotspot log and dashboard tables

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 17:03:16.258969
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_created_at'), ['created_at'], unique=False)

    op.create_table('call_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_key', sa.String(length=64), nullable=False),
    sa.Column('call_hash', sa.String(length=64), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('caller_hash', sa.String(length=64), nullable=True),
    sa.Column('caller_tail', sa.String(length=8), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=True),
    sa.Column('recording_url', sa.String(length=512), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=True),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.Column('handled_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_events')),
    sa.UniqueConstraint('event_key', name=op.f('uq_call_events_event_key'))
    )
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_events_call_hash'), ['call_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_events_created_at'), ['created_at'], unique=False)

    op.create_table('cluster_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('encoder', sa.String(length=255), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('questions', sa.Integer(), nullable=False),
    sa.Column('new_questions', sa.Integer(), nullable=False),
    sa.Column('clusters', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cluster_runs'))
    )
    op.create_table('clusters',
    sa.Column('cluster_key', sa.String(length=32), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('centroid', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('cluster_key', name=op.f('pk_clusters'))
    )
    op.create_table('curated_answers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('document', sa.String(length=64), nullable=False),
    sa.Column('article', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('source_question_key', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_curated_answers'))
    )
    with op.batch_alter_table('curated_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_curated_answers_updated_at'), ['updated_at'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('turn_id', sa.String(length=128), nullable=False),
    sa.Column('value', sa.String(length=8), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('turn_id', name=op.f('uq_feedback_turn_id'))
    )
    op.create_table('question_clusters',
    sa.Column('question_key', sa.String(length=32), nullable=False),
    sa.Column('cluster_key', sa.String(length=32), nullable=False),
    sa.Column('similarity', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('question_key', name=op.f('pk_question_clusters'))
    )
    with op.batch_alter_table('question_clusters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_clusters_cluster_key'), ['cluster_key'], unique=False)

    op.create_table('question_embeddings',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_question_embeddings'))
    )
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_users_username'))
    )
    op.create_table('turn_articles',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.String(length=128), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('document', sa.String(length=64), nullable=False),
    sa.Column('article', sa.Integer(), nullable=False),
    sa.Column('rank', sa.SmallInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_turn_articles')),
    sa.UniqueConstraint('channel', 'message_id', 'document', 'article', name=op.f('uq_turn_articles_channel_message_id_document_article'))
    )
    with op.batch_alter_table('turn_articles', schema=None) as batch_op:
        batch_op.create_index('ix_turn_articles_day_document_article', ['day', 'document', 'article'], unique=False)

    op.create_table('turns',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_hash', sa.String(length=64), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('question_key', sa.String(length=32), nullable=False),
    sa.Column('intent', sa.String(length=64), nullable=False),
    sa.Column('citations', sa.Text(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.Column('abstain_reason', sa.String(length=32), nullable=True),
    sa.Column('handoff', sa.Boolean(), nullable=False),
    sa.Column('degraded', sa.Boolean(), nullable=False),
    sa.Column('asking_for', sa.String(length=64), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=False),
    sa.Column('feedback', sa.String(length=8), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_turns')),
    sa.UniqueConstraint('channel', 'message_id', name=op.f('uq_turns_channel_message_id'))
    )
    with op.batch_alter_table('turns', schema=None) as batch_op:
        batch_op.create_index('ix_turns_day_channel', ['day', 'channel'], unique=False)
        batch_op.create_index('ix_turns_day_question_key', ['day', 'question_key'], unique=False)
        batch_op.create_index('ix_turns_message_id', ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_turns_question_key'), ['question_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_turns_user_hash'), ['user_hash'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('turns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_turns_user_hash'))
        batch_op.drop_index(batch_op.f('ix_turns_question_key'))
        batch_op.drop_index('ix_turns_message_id')
        batch_op.drop_index('ix_turns_day_question_key')
        batch_op.drop_index('ix_turns_day_channel')

    op.drop_table('turns')
    with op.batch_alter_table('turn_articles', schema=None) as batch_op:
        batch_op.drop_index('ix_turn_articles_day_document_article')

    op.drop_table('turn_articles')
    op.drop_table('staff_users')
    op.drop_table('question_embeddings')
    with op.batch_alter_table('question_clusters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_clusters_cluster_key'))

    op.drop_table('question_clusters')
    op.drop_table('feedback')
    with op.batch_alter_table('curated_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_curated_answers_updated_at'))

    op.drop_table('curated_answers')
    op.drop_table('clusters')
    op.drop_table('cluster_runs')
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_events_created_at'))
        batch_op.drop_index(batch_op.f('ix_call_events_call_hash'))

    op.drop_table('call_events')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_created_at'))

    op.drop_table('audit_log')
