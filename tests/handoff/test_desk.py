"""The desk on its own, on a real SQLite database and the in-process state store: queue position,
cancelling, surviving a restart, who may act, deliveries that cannot reach WeChat, the figures,
and the citizen endpoint's errors."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.agent_hours import AgentHours
from bot.config import Settings
from bot.core.messages import say
from bot.core.turn import Citation, Reply, Turn
from bot.handoff.desk import DELIVERY_LABELS, HELD_INTENT, DeskError, HandoffDesk
from bot.hotspots import db
from bot.hotspots.log import TurnLog
from bot.state import MemoryStore

ALWAYS = AgentHours.parse("1-7 00:00-24:00")
DOCUMENT = "大人社发[2020]38号"


@pytest.fixture
def parts(tmp_path):
    settings = Settings.from_env({}, var_dir=tmp_path / "var")
    log = TurnLog.from_settings(settings)
    yield settings, log
    log.close()
    db.dispose_engine(settings.database_url)


def make_desk(parts, store=None, sender=None):
    settings, log = parts
    desk = HandoffDesk(db.get_engine(settings.database_url), store or MemoryStore(), log, ALWAYS,
                       settings.secret_key, wechat_sender=sender)
    desk.seen("wang")
    return desk


def ask(desk, user, text, reply=None, channel="web"):
    """What Conversation.handle does: intercept, else the bot's reply through after_reply."""
    turn = Turn(channel=channel, user_id=user, text=text)
    held = desk.intercept(turn)
    if held is not None:
        return held
    reply = reply or Reply(reply="机器人的回答", intent="ask_policy")
    if text == "转人工":
        reply = Reply(reply="正在为您转接人工服务，请稍候…", intent="ask_human", handoff=True)
    return desk.after_reply(turn, reply)


def test_queue_positions_count_the_conversations_in_front(parts):
    desk = make_desk(parts)
    replies = [ask(desk, f"u{n}", "转人工") for n in range(3)]
    assert [r.reply.split("。")[0] for r in replies] == [f"已为您排队，前面还有 {n} 位" for n in range(3)]
    first = desk.queue()[0]["id"]
    desk.take(first, "wang")
    assert "前面还有 1 位" in ask(desk, "u2", "还要等多久").reply
    assert [i["position"] for i in desk.queue()] == [1, 2, None]  # waiting first, then held


def test_the_topic_is_the_article_in_focus_and_the_open_check(parts):
    desk = make_desk(parts)
    ask(desk, "u", "失业保险金标准提高了多少",
        Reply(reply="……", intent="ask_policy", citations=[Citation(DOCUMENT, 8, "提高失业人员基本待遇标准", "")]))
    ask(desk, "u", "我们能申请稳岗返还吗", Reply(reply="请问参保职工有多少人？", intent="check", asking_for="employees"))
    ask(desk, "u", "转人工")
    topic = desk.queue()[0]["topic"]
    assert "第8条 提高失业人员基本待遇标准" in topic and "待确认：employees" in topic


def test_a_waiting_citizen_may_cancel_and_the_bot_answers_again(parts):
    desk = make_desk(parts)
    ask(desk, "u", "转人工")
    cancelled = ask(desk, "u", "取消")
    assert cancelled.reply == say("handoff_cancelled") and not cancelled.handoff
    assert ask(desk, "u", "失业金标准").reply == "机器人的回答"
    today = db.local_day(db.utcnow())
    figures = desk.metrics(today, today)
    assert (figures["total"], figures["abandoned"], figures["handled"]) == (1, 1, 0)


def test_an_open_conversation_survives_a_restart_of_the_in_process_store(parts):
    ask(make_desk(parts), "u", "转人工")
    restarted = make_desk(parts, store=MemoryStore())  # a new process: nothing in memory
    held = ask(restarted, "u", "还在吗")
    assert held.intent == HELD_INTENT and held.agent == ""


def test_only_the_holder_replies_hands_back_or_closes(parts):
    desk = make_desk(parts)
    ask(desk, "u", "转人工")
    session_id = desk.queue()[0]["id"]
    with pytest.raises(DeskError) as refused:
        desk.reply(session_id, "wang", "您好")
    assert refused.value.code == "not_yours"
    desk.take(session_id, "wang")
    for action in (lambda: desk.reply(session_id, "li", "您好"), lambda: desk.hand_back(session_id, "li"),
                   lambda: desk.close(session_id, "li")):
        with pytest.raises(DeskError):
            action()
    with pytest.raises(DeskError) as empty:
        desk.reply(session_id, "wang", "   ")
    assert empty.value.status == 400
    with pytest.raises(DeskError) as long:
        desk.reply(session_id, "wang", "长" * 1001)
    assert long.value.code == "text_too_long"
    desk.close(session_id, "wang")
    with pytest.raises(DeskError):
        desk.close(session_id, "wang")


def test_wechat_deliveries_that_cannot_reach_the_user_say_why(parts):
    desk = make_desk(parts)  # no app credentials
    ask(desk, "oUser1", "转人工", channel="wechat")
    session_id = desk.queue()[0]["id"]
    desk.take(session_id, "wang")
    assert desk.reply(session_id, "wang", "您好")["delivery"] == "not_configured"

    sent = []
    desk = make_desk(parts, sender=lambda openid, text: sent.append((openid, text)) or "sent")
    desk.state.delete("handoff:address:" + desk.turn_log.pseudonyms.user("wechat", "oUser1"))
    ask(desk, "oUser2", "转人工", channel="wechat")
    other = [i for i in desk.queue() if i["status"] == "waiting"][0]["id"]
    desk.take(other, "wang")
    assert desk.reply(other, "wang", "您好")["delivery"] == "sent"
    assert sent[-1] == ("oUser2", "您好")
    assert DELIVERY_LABELS["no_address"]  # the label the console shows when the openid is gone


def test_the_phone_is_never_intercepted(parts):
    desk = make_desk(parts)
    reply = Reply(reply="正在为您转接人工服务", intent="ask_human", handoff=True)
    turn = Turn(channel="ivr", user_id="CA1", text="转人工")
    assert desk.after_reply(turn, reply).reply == "正在为您转接人工服务"  # <Dial> takes it from here
    assert desk.intercept(turn) is None and desk.queue() == []


def test_off_duty_the_queue_keeps_messages_and_a_callback_number(parts):
    desk = make_desk(parts)
    desk.hours = AgentHours.parse("1-7 00:00-00:01")
    desk.clock = lambda: dt.datetime(2026, 12, 7, 4, 0)  # noon in Dalian
    night = ask(desk, "u", "转人工")
    assert night.reply == say("handoff_no_agent", hours="周一至周日 00:00—00:01")
    assert "尾号 5678" in ask(desk, "u", "回电 0411-88885678").reply
    detail = desk.detail(desk.queue()[0]["id"], reveal_number=True)
    assert detail["callback"] == "041188885678" and detail["off_duty"]
    assert desk.detail(detail["id"], reveal_number=False)["callback"] == "尾号 5678"


def test_the_citizen_endpoint_refuses_bad_input_in_the_error_shape(app):
    client = app.test_client()
    for query, code in (("", "invalid_user_id"), ("?user_id=" + "x" * 129, "invalid_user_id"),
                        ("?user_id=u&after=x", "invalid_after")):
        response = client.get("/api/handoff" + query)
        assert response.status_code == 400 and response.json["error"]["code"] == code
        assert response.json["error"]["message"]
    bad_channel = client.get("/api/handoff?user_id=u", headers={"X-Hotline-Channel": "sms"})
    assert bad_channel.status_code == 400 and bad_channel.json["error"]["code"] == "invalid_channel"
    assert client.get("/api/handoff?user_id=u").json["status"] == "none"


def test_a_request_nobody_takes_is_given_up_and_the_citizen_told(parts):
    desk = make_desk(parts)
    now = [dt.datetime(2026, 12, 7, 2, 0)]
    desk.clock = lambda: now[0]
    ask(desk, "u", "转人工")
    now[0] += dt.timedelta(hours=1, minutes=59)
    assert desk.expire() == 0 and len(desk.queue()) == 1
    now[0] += dt.timedelta(minutes=2)
    assert desk.expire() == 1 and desk.queue() == []
    view = desk.citizen_view("web", "u")
    assert view["status"] == "none" and view["messages"][-1]["text"] == say("handoff_expired")
    assert ask(desk, "u", "失业金标准").reply == "机器人的回答"
    day = db.local_day(now[0])
    assert desk.metrics(day, day)["abandoned"] == 1
