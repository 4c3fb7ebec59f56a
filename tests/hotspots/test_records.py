"""The turn log's records: masked, clipped, pseudonymous dicts built without I/O, and the rows a batch
of them makes. Run: .venv/bin/python -m pytest -q tests/hotspots/test_records.py"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.core.turn import Reply
from bot.handoff.cipher import NumberCipher
from bot.hotspots import records
from bot.hotspots.pseudonym import Pseudonymizer

from .conftest import DOCUMENT, reply, turn

PSEUDONYMS = Pseudonymizer("test-secret")
NUMBERS = NumberCipher("test-secret")
LATE_UTC = dt.datetime(2026, 3, 1, 20, 30, tzinfo=dt.timezone.utc)  # 04:30 the next day in Dalian


def test_a_turn_record_is_masked_pseudonymous_and_dated_in_local_time():
    record = records.turn_record(
        turn("我电话13812345678，身份证21020219900101123X，失业金怎么领？", user_id="oWx-42", message_id="m-1"),
        reply(articles=(14, 4)), 87.5, PSEUDONYMS, now=LATE_UTC,
    )
    assert record["question"] == "我电话[手机号]，身份证[身份证号]，失业金怎么领？"
    assert record["question_key"] == records.question_key(record["question"])
    assert record["user_hash"] == PSEUDONYMS.user("web", "oWx-42")
    assert "oWx-42" not in json.dumps(record) and "13812345678" not in json.dumps(record)
    assert record["citations"] == [[DOCUMENT, 14], [DOCUMENT, 4]]
    assert record["created_at"] == LATE_UTC.isoformat() and record["day"] == "2026-03-02"
    assert (record["answered"], record["abstain_reason"], record["latency_ms"]) == (True, None, 87.5)
    assert (record["speaker"], record["agent"]) == ("citizen", None)


@pytest.mark.parametrize(
    ("answered", "handoff", "raw", "stored"),
    [(False, False, "out of scope", "out_of_scope"), (False, False, None, "no_match"), (True, True, None, "handoff")],
)
def test_the_abstention_reason_is_canonical(answered, handoff, raw, stored):
    record = records.turn_record(turn(), reply(answered=answered, handoff=handoff, reason=raw), 1, PSEUDONYMS)
    assert record["abstain_reason"] == stored


def test_long_fields_are_clipped_and_a_long_message_id_is_hashed():
    long_id = "x" * 300
    record = records.turn_record(turn("问" * 5000, channel="wechat-long-channel-name", message_id=long_id),
                                 Reply("答", intent="i" * 100, asking_for="s" * 100), 1, PSEUDONYMS)
    assert len(record["question"]) == records.QUESTION_MAX
    assert len(record["channel"]) == 16 and len(record["intent"]) == 64 and len(record["asking_for"]) == 64
    assert record["message_id"] != long_id and len(record["message_id"]) == 64
    assert records.message_key("MsgId-7") == "MsgId-7"


def test_the_fallback_record_keeps_the_turn_but_no_digit():
    class Broken:
        channel, user_id, text, message_id = "api", "u", "卡号6222021234567890123，电话 138 1234 5678", "b-1"

    record = records.fallback_turn_record(Broken(), PSEUDONYMS)
    assert not any(ch.isdigit() for ch in record["question"])
    assert record["degraded"] is True and record["abstain_reason"] == "no_match"
    assert record["message_id"] == "b-1" and record["user_hash"] == PSEUDONYMS.user("api", "u")


def test_an_agent_message_is_a_turn_spoken_by_the_agent():
    record = records.agent_message_record("wechat", "h" * 64, "请拨打13812345678", "agent7", "am-1", [[DOCUMENT, 4]])
    assert record["question"] == "请拨打[手机号]" and record["speaker"] == "agent" and record["agent"] == "agent7"
    assert record["intent"] == "agent_message" and record["answered"] is True
    assert record["citations"] == [[DOCUMENT, 4]] and record["user_hash"] == "h" * 64


@pytest.mark.parametrize(("turn_id", "value"), [("x", "sideways"), ("", "up"), ("x" * 129, "down"), ("x", None)])
def test_bad_feedback_makes_no_record(turn_id, value):
    assert records.feedback_record(turn_id, value) is None


def test_feedback_is_normalised_and_its_comment_masked():
    record = records.feedback_record(" t-1 ", " DOWN ", "没回答，电话13900001111", now=LATE_UTC)
    assert record == {"op": "feedback", "turn_id": "t-1", "value": "down", "comment": "没回答，电话[手机号]",
                      "created_at": LATE_UTC.isoformat()}


def test_a_call_event_hashes_numbers_masks_text_and_encrypts_the_caller():
    data = {"From": "+8613812345678", "RecordingUrl": "https://api.twilio.com/rec/RE1", "RecordingDuration": "31.6",
            "TranscriptionText": "我的手机13812345678请回电", "CallStatus": "completed"}
    record = records.call_record("CA123", "voicemail", data, PSEUDONYMS, NUMBERS)
    assert record["call_hash"] == PSEUDONYMS.user("ivr", "CA123")
    assert record["caller_hash"] == PSEUDONYMS.phone("13812345678") and record["caller_tail"] == "5678"
    assert NUMBERS.decrypt(record["caller_enc"]) == "+8613812345678"
    assert (record["duration_s"], record["status"]) == (31, "completed")
    assert record["recording_url"] == "https://api.twilio.com/rec/RE1"
    payload = json.loads(record["data"])
    assert "13812345678" not in record["data"] and payload["TranscriptionText"] == "我的手机[手机号]请回电"
    # Twilio retrying the same callback gives the same key; other fields give another.
    assert records.call_record("CA123", "voicemail", dict(data), PSEUDONYMS, NUMBERS)["event_key"] == record["event_key"]
    assert records.call_record("CA123", "status", data, PSEUDONYMS, NUMBERS)["event_key"] != record["event_key"]


def test_a_call_event_without_caller_or_duration():
    record = records.call_record("CA1", "status", {"duration": "soon"}, PSEUDONYMS, NUMBERS)
    assert record["caller_hash"] is record["caller_enc"] is record["duration_s"] is None
    fallback = records.fallback_call_record("CA1", "", PSEUDONYMS)
    assert fallback["event"] == "status" and fallback["data"] == "{}"


def test_rows_keep_one_row_per_key():
    first = records.turn_record(turn(message_id="m"), reply(articles=(4, 14)), 1, PSEUDONYMS, now=LATE_UTC)
    again = records.turn_record(turn("另一个问题", message_id="m"), reply(articles=(9,)), 1, PSEUDONYMS, now=LATE_UTC)
    call = records.call_record("CA1", "status", {"CallStatus": "ringing"}, PSEUDONYMS, NUMBERS)
    batch = [first, again, records.feedback_record("m", "up"), records.feedback_record("m", "down"),
             call, dict(call, status="changed"), {"op": "mystery"}]
    rows = records.rows(batch)
    (turn_row,) = rows.turns.values()
    assert turn_row["question"] == first["question"] and turn_row["day"] == dt.date(2026, 3, 2)
    assert json.loads(turn_row["citations"]) == [[DOCUMENT, 4], [DOCUMENT, 14]]
    assert turn_row["user_key"] == records.db.user_key(first["user_hash"]) and turn_row["feedback"] is None
    assert sorted((a["article"], a["rank"]) for a in rows.articles.values()) == [(4, 0), (14, 1)]
    assert rows.feedback["m"]["value"] == "down"  # the last vote wins
    (call_row,) = rows.calls.values()
    assert call_row["status"] == "ringing"  # the first delivery counts
