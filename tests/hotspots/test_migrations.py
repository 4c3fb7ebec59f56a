"""Alembic migrations build exactly the tables of the models, on SQLite and PostgreSQL, and the
upgrade from 0001 keeps and backfills existing rows.
Run: .venv/bin/python -m pytest -q tests/hotspots/test_migrations.py"""
from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from bot.hotspots import db


def test_head_matches_the_models(db_url):
    engine = db.get_engine(db_url)
    db.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.Base.metadata)
    assert diff == []


def test_upgrade_from_0001_backfills(db_url):
    engine = db.get_engine(db_url)
    db.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO turns (channel, message_id, created_at, day, user_hash, question, question_key, intent, "
            "citations, confidence, answered, abstain_reason, handoff, degraded, asking_for, latency_ms, feedback) "
            "VALUES ('web', 'm1', :t, :d, :h, '失业金怎么领', 'k1', '', '[]', 0.5, :yes, NULL, :no, :no, NULL, 3, NULL)"
        ), {"t": dt.datetime(2020, 6, 1, 8), "d": dt.date(2020, 6, 1), "h": "a" * 64, "yes": True, "no": False})
    db.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(select(db.TurnRow.user_key)).scalar_one() == int("a" * 15, 16)
        assert conn.execute(select(db.QuestionText.question)).scalar_one() == "失业金怎么领"
        daily = conn.execute(select(db.QuestionDaily.turns, db.QuestionDaily.answered)).one()
        assert tuple(daily) == (1, 1)
        assert conn.execute(select(func.count()).select_from(db.TurnRow)).scalar_one() == 1


def test_upgrade_to_0005_keeps_curated_answers_and_signs_them(db_url):
    engine = db.get_engine(db_url)
    db.upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO curated_answers (question, answer, document, article, active, created_by, created_at, updated_at) "
            "VALUES ('问', '答', '大人社发[2020]38号', 4, :yes, 'editor', :t, :t)"
        ), {"yes": True, "t": dt.datetime(2026, 11, 30, 8)})
    db.upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(select(db.CuratedAnswerRow.__table__)).one()
    assert (row.document, row.article, row.team, row.expires_on, row.reviewed_by) == (
        "大人社发[2020]38号", 4, "大连市12333热线", None, None)
