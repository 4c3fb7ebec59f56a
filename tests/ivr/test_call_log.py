"""Call events reach the real hotspot log (the staff callback queue) on SQLite and PostgreSQL.

Run: .venv/bin/python -m pytest -q tests/ivr/test_call_log.py (PostgreSQL on 127.0.0.1:5432, database test)
"""
import json

import pytest
from sqlalchemy import select

from bot.hotspots import db
from bot.hotspots.log import TurnLog
from tests.fixtures.postgres import pg_schema_url
from tests.ivr.conftest import AGENTS, Phone

@pytest.fixture(params=["sqlite", "postgresql"])
def log_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'calls.sqlite3'}"
        yield url
    else:
        url = pg_schema_url(request.getfixturevalue("pg_schema"))
        yield url
    db.dispose_engine(url)
    db.forget_schema(url)


@pytest.fixture
def call_log(log_url, tmp_path):
    log = TurnLog(log_url, secret="ivr-test-secret", spill_dir=tmp_path / "spill", flush_interval=0.05)
    yield log
    log.close(timeout=5)


def rows(url):
    with db.get_engine(url).connect() as conn:
        return conn.execute(select(db.CallEvent).order_by(db.CallEvent.id)).all()


def test_a_transfer_and_voicemail_leave_rows_for_a_staff_callback(servers, call_log, log_url):
    live, _ = servers.start(call_log=call_log, agent_numbers=AGENTS)
    phone = Phone(live.url, caller="+8613912345678")
    phone.call()
    phone.press("0")
    phone.dial_ends("no-answer")
    _, recording = phone.leave_voicemail(seconds=21)
    phone.post(recording["callback"], {k: recording[k] for k in ("RecordingSid", "RecordingUrl", "RecordingDuration")}
               | {"RecordingStatus": "completed"})
    phone.post(phone.url("/ivr/status"), {"CallStatus": "completed", "CallDuration": "80"})
    assert call_log.flush(timeout=10)

    events = rows(log_url)
    assert [e.event for e in events] == ["handoff", "voicemail", "status"]
    handoff, voicemail, status = events
    assert voicemail.recording_url == recording["RecordingUrl"] and voicemail.duration_s == 21
    assert voicemail.caller_tail == "5678" and voicemail.caller_hash and "13912345678" not in voicemail.caller_hash
    assert "13912345678" not in voicemail.data and json.loads(voicemail.data)["dial_status"] == "no-answer"
    assert status.status == "completed" and status.duration_s == 80
    assert handoff.call_hash == voicemail.call_hash == status.call_hash != phone.call_sid
    assert json.loads(handoff.data)["reason"] == "caller_request"
