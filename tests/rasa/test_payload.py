"""The payload contract between the custom actions and the conversation core."""
from __future__ import annotations

import json

from bot.actions.payload import KEY, MAX_SUGGESTIONS, make_payload, merge_messages, payload_from_reply
from bot.reply import Citation, Reply

ART4 = Citation(document="大人社发[2020]38号", article=4, title="扩大稳岗返还政策范围", quote="……")
ART8 = Citation(document="大人社发[2020]38号", article=8, title="提高失业人员基本待遇标准", quote="……")


def rest(text: str, **fields) -> list[dict]:
    """What Rasa's REST channel returns for one `utter_message(text=…, json_message=…)`."""
    return [{"recipient_id": "u", "text": text}, {"recipient_id": "u", "custom": make_payload(**fields)}]


def test_payload_is_json_and_clamps_confidence():
    p = make_payload(intent="greet", confidence=1.7, citations=[ART4])
    assert json.loads(json.dumps(p)) == p
    assert p[KEY]["confidence"] == 1.0 and p[KEY]["citations"][0]["article"] == 4


def test_one_message_becomes_the_reply():
    reply = merge_messages(rest("请问贵单位参保职工有多少人？", intent="check_stabilization_refund", confidence=0.93,
                                asking_for="employees", suggestions=["28人"]))
    assert reply.reply == "请问贵单位参保职工有多少人？"
    assert reply.intent == "check_stabilization_refund" and reply.confidence == 0.93
    assert reply.asking_for == "employees" and reply.suggestions == ["28人"] and reply.answered


def test_an_answer_then_a_question_keeps_the_first_intent_and_the_last_question():
    messages = rest("本通知未涉及……", intent="ask_policy", confidence=0.2, answered=False, citations=[ART8],
                    suggestions=["转人工"], abstain_reason="low_confidence")
    messages += rest("请问贵单位属于中小微企业吗？", intent="check_stabilization_refund", confidence=0.9,
                     asking_for="enterprise_size", suggestions=["中小微企业", "其他企业"], citations=[ART8])
    reply = merge_messages(messages)
    assert reply.reply == "本通知未涉及……\n请问贵单位属于中小微企业吗？"
    assert reply.intent == "ask_policy" and reply.confidence == 0.2
    assert reply.asking_for == "enterprise_size"
    assert reply.answered is False and reply.abstain_reason == "low_confidence"
    assert reply.citations == [ART8]  # de-duplicated
    assert reply.suggestions == ["中小微企业", "其他企业", "转人工"]  # the latest question's first


def test_handoff_anywhere_means_handoff():
    reply = merge_messages(rest("正在为您转接人工服务，请稍候…", intent="ask_human", confidence=1, handoff=True))
    assert reply.handoff


def test_suggestions_are_capped():
    reply = merge_messages(rest("…", intent="greet", confidence=1, suggestions=[str(i) for i in range(20)]))
    assert len(reply.suggestions) == MAX_SUGGESTIONS


def test_messages_without_payload_or_malformed_are_tolerated():
    reply = merge_messages([{"text": "Hello"}, "garbage", {"custom": {"other": 1}}, {"custom": {KEY: {"citations": [{"x": 1}]}}}])
    assert reply.reply == "Hello" and reply.citations == []
    assert merge_messages([]).reply == "" and merge_messages([]).answered is False


def test_a_reply_round_trips_through_its_payload():
    original = Reply(reply="x", citations=[ART4], answered=False, intent="ask_policy", confidence=0.4,
                     suggestions=["转人工"], abstain_reason="no_match")
    merged = merge_messages([{"text": "x"}, {"custom": payload_from_reply(original)}])
    assert merged == original
