"""Transfer to a human, voicemail when nobody answers, and the call events staff call back from.

Run: .venv/bin/python -m pytest -q tests/ivr/test_transfer.py
"""
import pytest
import requests

from bot.core.messages import say
from ivr import menu
from tests.ivr.conftest import AGENTS, Phone, Twiml

RECORD = [say("ivr_voicemail_prompt")]


def test_zero_rings_every_agent_with_a_timeout(agent_phone, agent_server):
    agent_phone.call()
    answer = agent_phone.press("0")
    assert answer.verbs == ["Say", "Dial"] and answer.says == [say("handoff", "ivr")]
    dial = answer.first("Dial")
    assert dial.get("timeout") == "20" and dial.get("action") == "/ivr/dial-result"
    assert answer.numbers == list(AGENTS)
    [(sid, event, data)] = agent_server[1].turn_log.events
    assert (sid, event, data["reason"], data["agents"]) == (agent_phone.call_sid, "handoff", "caller_request", 2)


@pytest.mark.parametrize("words", ["转人工", "我要人工服务。", "人工"])
def test_asking_for_a_human_in_words_transfers(agent_phone, words):
    agent_phone.call()
    agent_phone.press("2")
    assert agent_phone.say(words).numbers == list(AGENTS)


def test_an_answered_transfer_ends_with_thanks(agent_phone):
    agent_phone.call()
    agent_phone.press("0")
    answer = agent_phone.dial_ends("completed")
    assert answer.verbs == ["Say", "Hangup"] and answer.says == [say("goodbye", "ivr")]


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled"])
def test_nobody_answering_takes_a_voicemail(agent_phone, status):
    agent_phone.call()
    agent_phone.press("0")
    answer = agent_phone.dial_ends(status)
    assert answer.verbs == ["Say", "Say", "Record", "Say", "Say", "Hangup"]
    assert answer.says == [say("ivr_agents_busy"), *RECORD, say("ivr_voicemail_empty"), say("goodbye", "ivr")]
    record = answer.first("Record")
    assert record.get("maxLength") == "120" and record.get("action") == "/ivr/voicemail"
    assert record.get("recordingStatusCallback") == "/ivr/recording"
    assert record.get("finishOnKey") == "#" and record.get("playBeep") == "true"


def test_a_voicemail_is_logged_once_for_a_staff_callback(agent_phone, agent_server):
    log = agent_server[1].turn_log
    agent_phone.call()
    agent_phone.press("0")
    agent_phone.dial_ends("no-answer")
    answer, recording = agent_phone.leave_voicemail(seconds=12)
    assert answer.says == [say("ivr_voicemail_received"), say("goodbye", "ivr")] and answer.verbs[-1] == "Hangup"
    [(sid, _, data)] = log.of("voicemail")
    assert sid == agent_phone.call_sid
    assert data == {
        "recording_url": recording["RecordingUrl"],
        "recording_sid": recording["RecordingSid"],
        "duration": 12,
        "caller": agent_phone.caller,
        "dial_status": "no-answer",
    }
    # the recording callback for the same file does not log it twice
    callback = {k: recording[k] for k in ("RecordingSid", "RecordingUrl", "RecordingDuration")}
    Twiml(agent_phone.post(recording["callback"], {**callback, "RecordingStatus": "completed"}))
    assert len(log.of("voicemail")) == 1


def test_a_recording_callback_that_arrives_first_logs_the_voicemail(agent_phone, agent_server):
    log = agent_server[1].turn_log
    agent_phone.call()
    agent_phone.press("0")
    agent_phone.dial_ends("busy")
    recording = {"RecordingSid": "RE" + "1" * 32, "RecordingUrl": "https://api.twilio.com/rec/RE1", "RecordingDuration": "7"}
    assert Twiml(agent_phone.post(agent_phone.url("/ivr/recording"), {**recording, "RecordingStatus": "completed"})).verbs == []
    [(_, _, data)] = log.of("voicemail")
    assert data["duration"] == 7 and data["dial_status"] == "busy" and data["caller"] == agent_phone.caller
    agent_phone._follow(agent_phone.url("/ivr/voicemail"), recording)
    assert len(log.of("voicemail")) == 1


def test_a_failed_recording_is_logged_as_a_status(agent_phone, agent_server):
    agent_phone.call()
    Twiml(agent_phone.post(agent_phone.url("/ivr/recording"), {"RecordingSid": "RE2", "RecordingStatus": "failed"}))
    assert agent_server[1].turn_log.of("status")[-1][2] == {"status": "recording-failed", "recording_sid": "RE2"}
    assert agent_server[1].turn_log.of("voicemail") == []


def test_a_voicemail_action_without_a_recording_logs_nothing(agent_phone, agent_server):
    agent_phone.call()
    answer = agent_phone._follow(agent_phone.url("/ivr/voicemail"), {})
    assert answer.says == [say("ivr_voicemail_empty"), say("goodbye", "ivr")]
    assert agent_server[1].turn_log.of("voicemail") == []


def test_without_agents_a_request_for_a_human_takes_a_voicemail(phone, server):
    phone.call()
    answer = phone.press("0")
    assert answer.says == [say("ivr_no_agents"), *RECORD, say("ivr_voicemail_empty"), say("goodbye", "ivr")]
    assert answer.first("Dial") is None
    phone.leave_voicemail()
    [(_, _, handoff)] = server[1].turn_log.of("handoff")
    assert handoff["agents"] == 0
    [(_, _, voicemail)] = server[1].turn_log.of("voicemail")
    assert voicemail["dial_status"] == "no-agents"


def test_the_turn_logic_can_hand_the_caller_over(agent_phone, agent_server):
    agent_phone.call()
    answer = agent_phone.say("我对处理结果不满意")
    assert answer.says == ["您的诉求需要人工处理，正在为您转接。", say("handoff", "ivr")]
    assert answer.numbers == list(AGENTS)
    assert agent_server[1].turn_log.of("handoff")[0][2]["reason"] == "conversation"


def test_the_turn_logics_handoff_without_agents_takes_a_voicemail(phone):
    phone.call()
    answer = phone.say("我对处理结果不满意")
    assert answer.says[:2] == ["您的诉求需要人工处理，正在为您转接。", say("ivr_no_agents")]
    assert answer.first("Record") is not None


def test_dial_timeout_and_voicemail_length_are_configurable(servers):
    live, _ = servers.start(agent_numbers=AGENTS[:1], ivr_dial_timeout=35, ivr_voicemail_seconds=60)
    phone = Phone(live.url)
    phone.call()
    assert phone.press("0").first("Dial").get("timeout") == "35"
    assert phone.dial_ends("no-answer").first("Record").get("maxLength") == "60"


def test_status_callbacks_are_logged(phone, server):
    phone.call()
    for status in ("ringing", "in-progress", "completed"):
        response = phone.post(phone.url("/ivr/status"), {"CallStatus": status, "CallDuration": "42", "Direction": "inbound"})
        assert Twiml(response).verbs == []
    events = server[1].turn_log.of("status")
    assert [e[2]["status"] for e in events] == ["ringing", "in-progress", "completed"]
    assert events[-1] == (phone.call_sid, "status", {"status": "completed", "duration": 42, "direction": "inbound"})


def test_a_call_event_log_that_fails_does_not_break_the_call(agent_phone, agent_server):
    def broken(*args):
        raise RuntimeError("log database down")

    agent_server[1].turn_log.record_call_event = broken
    agent_phone.call()
    assert agent_phone.press("0").numbers == list(AGENTS)
    response = agent_phone.post(agent_phone.url("/ivr/status"), {"CallStatus": "completed"})
    assert response.status_code == 200


def test_the_wrong_method_is_refused_with_the_error_shape(server):
    response = requests.put(server[0].url + "/ivr/voice", timeout=30)
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"
