"""The turn log on SQLite and PostgreSQL: rows, feedback, idempotency, and nothing lost when the
database is locked or unreachable. Run: .venv/bin/python -m pytest -q tests/hotspots/test_log.py"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import threading

import pytest
from sqlalchemy import func, select

from bot.hotspots import db
from bot.hotspots.log import TurnLog
from bot.hotspots.pseudonym import Pseudonymizer

from .conftest import DOCUMENT, pg_schema_url, reply, turn
from .tcp_proxy import TcpProxy, free_port


def rows(url: str, table) -> list[dict]:
    engine = db.get_engine(url)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table))]


def count(url: str, table) -> int:
    with db.get_engine(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_turn_becomes_one_masked_pseudonymous_row(db_url, make_log):
    log = make_log(db_url)
    log.record(
        turn("我电话13812345678，身份证21020219900101123X，失业金怎么领？", user_id="oWx-openid-42",
             message_id="m-1"),
        reply(articles=(14, 4)),
        latency_ms=87.5,
    )
    assert log.flush(20)
    (row,) = rows(db_url, db.TurnRow)
    assert row["question"] == "我电话[手机号]，身份证[身份证号]，失业金怎么领？"
    assert row["user_hash"] == Pseudonymizer("test-secret").user("web", "oWx-openid-42")
    assert "oWx-openid-42" not in json.dumps(row, default=str)
    assert row["channel"] == "web" and row["message_id"] == "m-1"
    assert row["answered"] is True and row["abstain_reason"] is None
    assert row["latency_ms"] == 87.5 and row["confidence"] == 0.9
    assert json.loads(row["citations"]) == [[DOCUMENT, 14], [DOCUMENT, 4]]
    articles = sorted((r["article"], r["rank"]) for r in rows(db_url, db.TurnArticle))
    assert articles == [(4, 1), (14, 0)]


@pytest.mark.parametrize(
    ("answered", "handoff", "raw", "stored"),
    [
        (False, False, "low_confidence", "low_confidence"),
        (False, False, "out of scope", "out_of_scope"),
        (False, False, None, "no_match"),
        (True, True, None, "handoff"),
        (True, False, None, None),
    ],
)
def test_abstention_reason_is_stored_in_canonical_form(db_url, make_log, answered, handoff, raw, stored):
    log = make_log(db_url)
    log.record(turn(), reply(answered=answered, handoff=handoff, reason=raw, articles=()), 5)
    assert log.flush(20)
    (row,) = rows(db_url, db.TurnRow)
    assert row["abstain_reason"] == stored and row["handoff"] is handoff


def test_duplicates_and_retries_make_one_row(db_url, make_log):
    log = make_log(db_url)
    for _ in range(3):  # WeChat delivers the same MsgId up to three times
        log.record(turn(channel="wechat", message_id="MsgId-7"), reply(), 10)
    log.record(turn(channel="web", message_id="MsgId-7"), reply(), 10)  # same id, other channel
    assert log.flush(20)
    log.record(turn(channel="wechat", message_id="MsgId-7"), reply(), 10)  # after it was written
    assert log.flush(20)
    assert sorted(r["channel"] for r in rows(db_url, db.TurnRow)) == ["web", "wechat"]
    assert count(db_url, db.TurnArticle) == 2
    # The rollup the hotspot figures read counts each turn once, too.
    assert sorted((r["channel"], r["turns"]) for r in rows(db_url, db.QuestionDaily)) == [("web", 1), ("wechat", 1)]
    assert len(rows(db_url, db.QuestionText)) == 1


def test_feedback_before_and_after_the_row_is_written(db_url, make_log):
    log = make_log(db_url)
    log.record(turn(message_id="early"), reply(), 10)
    assert log.feedback("early", "down", "没回答我的问题，电话13900001111") is True  # row still queued
    assert log.flush(20)
    log.record(turn(message_id="late"), reply(), 10)
    assert log.flush(20)
    assert log.feedback("late", "up")
    assert log.feedback("late", "down")  # the last vote wins
    assert log.flush(20)
    by_id = {r["message_id"]: r["feedback"] for r in rows(db_url, db.TurnRow)}
    assert by_id == {"early": "down", "late": "down"}
    comments = {r["turn_id"]: r["comment"] for r in rows(db_url, db.FeedbackRow)}
    assert comments["early"] == "没回答我的问题，电话[手机号]"


@pytest.mark.parametrize(("turn_id", "value"), [("x", "sideways"), ("", "up"), ("x" * 129, "down"), ("x", None)])
def test_bad_feedback_is_refused_not_raised(tmp_path, make_log, turn_id, value):
    log = make_log(f"sqlite:///{tmp_path / 'f.sqlite3'}")
    assert log.feedback(turn_id, value) is False


def test_feedback_for_a_turn_logged_by_another_process_later(db_url, make_log):
    first, second = make_log(db_url), make_log(db_url)
    assert first.feedback("t-9", "down")
    assert first.flush(20)
    second.record(turn(message_id="t-9"), reply(), 10)
    assert second.flush(20)
    (row,) = rows(db_url, db.TurnRow)
    assert row["feedback"] == "down"


def test_call_events_are_pseudonymised_and_deduplicated(db_url, make_log):
    log = make_log(db_url)
    voicemail = {"From": "+8613812345678", "RecordingUrl": "https://api.twilio.com/rec/RE1",
                 "RecordingDuration": "31", "TranscriptionText": "我的手机13812345678请回电"}
    log.record_call_event("CA123", "voicemail", voicemail)
    log.record_call_event("CA123", "voicemail", voicemail)  # Twilio retried the callback
    log.record_call_event("CA123", "status", {"CallStatus": "completed", "From": "+8613812345678"})
    assert log.flush(20)
    events = sorted(rows(db_url, db.CallEvent), key=lambda r: r["event"])
    assert [e["event"] for e in events] == ["status", "voicemail"]
    status, mail = events
    assert mail["recording_url"] == "https://api.twilio.com/rec/RE1" and mail["duration_s"] == 31
    assert mail["caller_tail"] == "5678" and status["status"] == "completed"
    assert mail["call_hash"] == Pseudonymizer("test-secret").user("ivr", "CA123")
    dump = json.dumps(events, default=str)
    assert "13812345678" not in dump and "CA123" not in dump
    assert "[手机号]" in json.loads(mail["data"])["TranscriptionText"]


def test_locked_sqlite_buffers_without_blocking_and_loses_nothing(tmp_path, make_log):
    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    log = make_log(url, busy_timeout_ms=100, retry_max=0.2, memory_limit=20)
    log.record(turn(message_id="before"), reply(), 1)
    assert log.flush(20)  # schema exists; now another connection takes the write lock
    locker = sqlite3.connect(tmp_path / "locked.sqlite3", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")

    def record_many():
        for i in range(60):
            log.record(turn(f"第{i}个问题，卡号6222021234567890123", message_id=f"locked-{i}"), reply(), 1)

    caller = threading.Thread(target=record_many)
    caller.start()
    caller.join(timeout=30)  # a liveness bound: a blocking log would hang on the lock
    assert not caller.is_alive(), "record() blocked on a locked database"
    assert log.flush(1) is False  # the lock is still held: nothing can be written
    assert log.pending == 60 and log.last_error and "locked" in log.last_error
    spilled = list((tmp_path / "spill").glob("*.jsonl"))
    assert spilled, "beyond memory_limit the rows wait on disk"
    assert "6222021234567890123" not in "".join(p.read_text() for p in spilled)
    locker.execute("ROLLBACK")
    locker.close()
    assert log.flush(30)
    assert {r["message_id"] for r in rows(url, db.TurnRow)} == {"before"} | {f"locked-{i}" for i in range(60)}
    assert list((tmp_path / "spill").glob("*.jsonl")) == []
    assert log.last_error is None


def test_unreachable_postgresql_then_back(pg_schema, make_log):
    proxy = TcpProxy(("127.0.0.1", 5432))
    url = pg_schema_url(pg_schema, port=proxy.port)  # nothing listens there yet
    try:
        log = make_log(url, retry_max=0.2, memory_limit=10)
        for i in range(40):
            log.record(turn(message_id=f"down-{i}"), reply(), 1)
        log.feedback("down-3", "down")
        assert log.flush(2) is False
        assert log.pending == 41 and "OperationalError" in log.last_error
        proxy.start()
        assert log.flush(60)
        direct = pg_schema_url(pg_schema)
        assert count(direct, db.TurnRow) == 40
        assert [r["feedback"] for r in rows(direct, db.TurnRow) if r["message_id"] == "down-3"] == ["down"]
    finally:
        proxy.stop()
        db.dispose_engine(pg_schema_url(pg_schema))
        db.forget_schema(url)


def test_rows_spilled_by_a_process_that_exited_are_written_by_the_next(tmp_path, make_log):
    spill_dir = tmp_path / "spill"
    unreachable = pg_schema_url("public", port=free_port())  # nothing listens on that port
    script = textwrap.dedent(
        f"""
        from bot.hotspots.log import TurnLog
        from bot.core.turn import Reply, Turn
        log = TurnLog({unreachable!r}, secret="test-secret", spill_dir={str(spill_dir)!r}, retry_max=0.1)
        for i in range(25):
            log.record(Turn("ivr", "CA1", "养老保险怎么交，手机13812345678", message_id=f"exit-{{i}}"),
                       Reply("答", answered=False), 3)
        # no close(): the interpreter exits and the log's atexit hook keeps the rows on disk
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    leftovers = list(spill_dir.glob("*.jsonl"))
    assert leftovers and "13812345678" not in "".join(p.read_text() for p in leftovers)
    url = f"sqlite:///{tmp_path / 'next.sqlite3'}"
    log = make_log(url)
    assert log.flush(30)
    assert count(url, db.TurnRow) == 25
    assert list(spill_dir.glob("*.jsonl")) == []


def test_close_flushes(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    log = TurnLog(url, secret="s", spill_dir=tmp_path / "spill")
    for i in range(10):
        log.record(turn(message_id=f"c{i}"), reply(), 1)
    log.close()
    assert count(url, db.TurnRow) == 10
    db.dispose_engine(url)


def test_from_settings_uses_the_configured_database(settings):
    log = TurnLog.from_settings(settings)
    try:
        log.record(turn(), reply(), 1)
        assert log.flush(20)
        assert count(settings.database_url, db.TurnRow) == 1
        assert log.spill_dir == settings.var_dir / "turnlog"
    finally:
        log.close()
        db.dispose_engine(settings.database_url)


def _unwritable_spill_dir(tmp_path):
    blocker = tmp_path / "spill"  # make_log's spill folder
    blocker.write_text("not a folder")
    return blocker


def test_rows_arrive_although_the_spill_folder_cannot_be_written(tmp_path, make_log, caplog):
    _unwritable_spill_dir(tmp_path)
    url = f"sqlite:///{tmp_path / 'ok.sqlite3'}"
    log = make_log(url)
    with caplog.at_level("ERROR", logger="bot.hotspots.durable_queue"):
        for i in range(10):
            log.record(turn(message_id=f"nodisk-{i}"), reply(), 1)
        assert log.flush(30)
    assert count(url, db.TurnRow) == 10
    assert any(r.levelname == "ERROR" and "CANNOT PERSIST" in r.getMessage() for r in caplog.records)
    assert log.stats()["persist_error"] and log.stats()["lost"] == 0
    assert log.check_persistence() is not None


def test_with_neither_database_nor_disk_rows_wait_in_memory_then_arrive(tmp_path, make_log, caplog):
    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    log = make_log(url, busy_timeout_ms=100, retry_max=0.2, memory_limit=5)
    assert log.flush(20)  # the schema exists; now the disk and the database both refuse
    _unwritable_spill_dir(tmp_path)
    locker = sqlite3.connect(tmp_path / "locked.sqlite3", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level("ERROR", logger="bot.hotspots.durable_queue"):
            for i in range(30):
                log.record(turn(message_id=f"mem-{i}"), reply(), 1)
            assert log.flush(1.5) is False
        assert log.pending == 30 and log.stats()["lost"] == 0
        assert "CANNOT PERSIST" in caplog.text
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert log.flush(30)
    assert {r["message_id"] for r in rows(url, db.TurnRow)} == {f"mem-{i}" for i in range(30)}


def test_memory_stays_bounded_and_losses_are_counted_and_logged(tmp_path, make_log, caplog):
    url = f"sqlite:///{tmp_path / 'bounded.sqlite3'}"
    log = make_log(url, busy_timeout_ms=50, retry_max=0.2, memory_limit=2, queue_limit=10, batch_size=2)
    assert log.flush(20)
    _unwritable_spill_dir(tmp_path)
    locker = sqlite3.connect(tmp_path / "bounded.sqlite3", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level("ERROR", logger="bot.hotspots.durable_queue"):
            for i in range(200):
                log.record(turn(message_id=f"b-{i}"), reply(), 1)
            log.flush(1.0)
        assert 0 < log.pending <= 20 and log.stats()["lost"] == 200 - log.pending
        assert "LOST" in caplog.text
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert log.flush(30)
    written = {r["message_id"] for r in rows(url, db.TurnRow)}
    assert len(written) == 200 - log.stats()["lost"]  # every record kept in memory is written
