"""The SQL writer on SQLite and PostgreSQL: idempotent batches on the process-wide engine, refused rows
isolated, an unavailable database raised. Run: .venv/bin/python -m pytest -q tests/hotspots/test_writer.py"""
from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc

from bot.hotspots import db, records
from bot.hotspots.log import TurnLog
from bot.hotspots.pseudonym import Pseudonymizer
from bot.hotspots.writer import SqlWriter

from .conftest import reply, turn
from .tcp_proxy import free_port
from .test_log import rows

PSEUDONYMS = Pseudonymizer("test-secret")


def turn_record(message_id: str, **fields) -> dict:
    return {**records.turn_record(turn(message_id=message_id), reply(), 1, PSEUDONYMS), **fields}


def test_a_batch_is_written_once_however_often_it_is_retried(db_url):
    writer = SqlWriter(db.get_engine(db_url))
    batch = [turn_record("w-1"), turn_record("w-2"), records.feedback_record("w-1", "down")]
    assert writer(batch) == [] and writer(batch) == []
    by_id = {r["message_id"]: r["feedback"] for r in rows(db_url, db.TurnRow)}
    assert by_id == {"w-1": "down", "w-2": None}
    assert len(rows(db_url, db.TurnArticle)) == 2 and writer.written == 6


def test_feedback_written_before_its_turn_is_attached_to_it(db_url):
    writer = SqlWriter(db.get_engine(db_url))
    assert writer([records.feedback_record("later", "up")]) == []
    assert writer([turn_record("later")]) == []
    (row,) = rows(db_url, db.TurnRow)
    assert row["feedback"] == "up"


def test_a_row_the_database_refuses_is_handed_back_and_the_others_written(db_url):
    writer = SqlWriter(db.get_engine(db_url))
    bad = turn_record("bad", question=None)  # NOT NULL: refused, not an outage
    assert writer([turn_record("good-1"), bad, turn_record("good-2")]) == [bad]
    assert sorted(r["message_id"] for r in rows(db_url, db.TurnRow)) == ["good-1", "good-2"]


def test_an_unreachable_database_raises():
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    try:
        with pytest.raises(sa_exc.OperationalError):
            SqlWriter(db.get_engine(url))([turn_record("x")])
    finally:
        db.dispose_engine(url)


def test_the_short_sqlite_lock_wait_is_the_writer_s_only(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    engine = db.get_engine(url)
    try:
        assert SqlWriter(engine, busy_timeout_ms=100)([turn_record("t")]) == []
        with engine.connect() as conn:  # the pooled connection the writer used
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS
    finally:
        db.dispose_engine(url)


def test_the_log_writes_on_the_process_wide_engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    log = TurnLog(url, secret="s", spill_dir=tmp_path / "spill")
    try:
        assert log.engine is db.get_engine(url)
    finally:
        log.close()
        db.dispose_engine(url)
