"""转人工 end to end over real HTTP: the citizen asks, asks for a person, an agent takes the
conversation in the console, replies, the citizen sees it (web and WeChat), the agent hands back
and the bot answers again; the log holds the transcript in order. Also: nobody on duty, and two
agents racing for one conversation."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from bot.core.messages import say
from bot.handoff.desk import HELD_INTENT
from bot.hotspots import db
from tests.channels.conftest import WeChatServerSim
from tests.handoff.conftest import NEVER_TODAY, WECHAT_TOKEN, Agent, Citizen

POLICY_QUESTION = "失业保险金标准提高了多少"


def logged_turns(services, channel: str, user_id: str) -> list[tuple]:
    assert services.turn_log.flush(30)
    user_hash = services.turn_log.pseudonyms.user(channel, user_id)
    table = db.TurnRow.__table__
    with db.get_engine(services.settings.database_url).connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(table.c.speaker, table.c.agent, table.c.question, table.c.intent)
            .where(table.c.user_hash == user_hash).order_by(table.c.id)
        )]


def only_item(agent: Agent) -> dict:
    items = agent.queue()["items"]
    assert len(items) == 1, items
    return items[0]


def test_web_citizen_reaches_an_agent_and_back_to_the_bot(server, services):
    agent = Agent(server.url, "agent")
    agent.queue()  # the console is open: someone is on duty
    citizen = Citizen(server.url, "web-e2e-1")

    first = citizen.say(POLICY_QUESTION)
    assert first["answered"] and not first["handoff"]
    queued = citizen.say("转人工")
    assert queued["handoff"]
    assert "已为您排队，前面还有 0 位" in queued["reply"]
    assert citizen.poll()["status"] == "waiting"

    item = only_item(agent)
    assert item["status"] == "waiting" and item["channel_label"] == "网页"
    assert "第八条" in item["topic"] or "8条" in item["topic"], item["topic"]
    detail = agent.conversation(item["id"])
    speakers = [(m["speaker"], m["text"][:6]) for m in detail["messages"]]
    assert speakers[0] == ("citizen", POLICY_QUESTION[:6]) and speakers[1][0] == "bot"
    assert ("citizen", "转人工") in speakers

    waiting = citizen.say("我的电话是13912345678，想问补助")
    assert waiting["intent"] == HELD_INTENT and waiting["handoff"] and "前面还有 0 位" in waiting["reply"]

    assert agent.act(item["id"], "take").status_code == 200
    taken = citizen.wait_for_message()
    assert taken[0]["text"] == say("handoff_taken", agent="agent")
    assert citizen.poll()["status"] == "held"

    sent = agent.act(item["id"], "reply", text="您好，失业保险金按最低工资标准的90%发放。",
                     citations='[["大人社发[2020]38号", 8, "提高失业保险金标准"]]')
    assert sent.status_code == 200 and sent.json()["delivery"] == "queued"
    seen = citizen.wait_for_message()
    assert seen[0]["from"] == "agent" and seen[0]["text"].startswith("您好，失业保险金")
    assert seen[0]["citations"][0][1] == 8

    held = citizen.say("好的，谢谢")
    assert held["intent"] == HELD_INTENT and held["reply"] == say("handoff_delivered", agent="agent")
    transcript = agent.conversation(item["id"])["messages"]
    assert transcript[-1]["speaker"] == "citizen" and transcript[-1]["text"] == "好的，谢谢"
    masked = [m["text"] for m in transcript if "电话" in m["text"]]
    assert masked and "13912345678" not in masked[0]

    assert agent.act(item["id"], "handback").status_code == 200
    assert citizen.wait_for_message()[0]["text"] == say("handoff_handed_back")
    again = citizen.say(POLICY_QUESTION)
    assert again["answered"] and again["intent"] != HELD_INTENT and not again["handoff"]
    assert agent.queue()["items"] == []

    turns = logged_turns(services, "web", "web-e2e-1")
    assert [(s, a, q) for s, a, q, _ in turns] == [
        ("citizen", None, POLICY_QUESTION),
        ("citizen", None, "转人工"),
        ("citizen", "", "我的电话是[手机号]，想问补助"),
        ("agent", "agent", "您好，失业保险金按最低工资标准的90%发放。"),
        ("citizen", "agent", "好的，谢谢"),
        ("citizen", None, POLICY_QUESTION),
    ]
    metrics = services.handoff.metrics(db.local_day(db.utcnow()), db.local_day(db.utcnow()))
    assert metrics["total"] == 1 and metrics["handled"] == 1 and metrics["first_reply_median_s"] is not None

    overview = agent.http.get(server.url + "/staff/").text
    assert 'id="human-service"' in overview and "首次人工回复（中位数）" in overview
    export = agent.http.get(server.url + "/staff/export.csv?what=turns&since=1d").content.decode("utf-8-sig")
    agent_rows = [line for line in export.splitlines() if "您好，失业保险金按最低工资标准" in line]
    assert len(agent_rows) == 1 and agent_rows[0].endswith(",客服,agent")

    audit = db.AuditEntry.__table__
    with db.get_engine(services.settings.database_url).connect() as conn:
        actions = [r.action for r in conn.execute(select(audit.c.action).where(audit.c.username == "agent"))]
    assert {"handoff_take", "handoff_reply", "handoff_handback"} <= set(actions)


def test_wechat_user_reaches_an_agent_through_the_customer_service_api(server, services, wechat_api):
    agent = Agent(server.url, "agent")
    agent.queue()
    wechat = WeChatServerSim(server.url, token=WECHAT_TOKEN)
    openid = "oHandoffUser0001"

    reply = wechat.reply_of(wechat.post(wechat.text("转人工", openid=openid)))
    assert "已为您排队，前面还有 0 位" in reply.content
    item = only_item(agent)
    assert item["channel_label"] == "微信"
    assert agent.act(item["id"], "take").status_code == 200
    assert wechat_api.wait_for(openid, 1)[0] == say("handoff_taken", agent="agent")

    wechat_api.expire_token()  # the cached token expired: wechatpy fetches a new one and resends
    tokens_before = wechat_api.token_requests
    sent = agent.act(item["id"], "reply", text="您好，请问您咨询哪项补贴？")
    assert sent.json()["delivery"] == "sent"
    assert wechat_api.token_requests == tokens_before + 1
    assert wechat_api.wait_for(openid, 2)[-1] == "您好，请问您咨询哪项补贴？"

    held = wechat.reply_of(wechat.post(wechat.text("培训补贴", openid=openid)))
    assert held.content == say("handoff_delivered", agent="agent")
    assert agent.conversation(item["id"])["messages"][-1]["text"] == "培训补贴"

    wechat_api.closed_windows.add(openid)  # 48 hours since the user's last message
    late = agent.act(item["id"], "reply", text="还在吗？")
    assert late.status_code == 200 and late.json()["delivery"] == "window_closed"
    assert "48 小时" in agent.conversation(item["id"])["messages"][-1]["delivery_label"]
    wechat_api.closed_windows.discard(openid)

    assert agent.act(item["id"], "handback").status_code == 200
    assert wechat_api.wait_for(openid, 3)[-1] == say("handoff_handed_back")
    answer = wechat.reply_of(wechat.post(wechat.text(POLICY_QUESTION, openid=openid)))
    assert "第（八）条" in answer.content and answer.content != say("handoff_delivered", agent="agent")

    turns = logged_turns(services, "wechat", openid)
    assert [(s, a) for s, a, _, _ in turns] == [
        ("citizen", None), ("agent", "agent"), ("citizen", "agent"), ("agent", "agent"), ("citizen", None)
    ]


def test_two_agents_racing_for_one_conversation_exactly_one_wins(server, services):
    first, second = Agent(server.url, "agent"), Agent(server.url, "agent2")
    first.queue()
    Citizen(server.url, "web-race").say("转人工")
    session_id = only_item(first)["id"]
    results = {}
    start = threading.Barrier(2)

    def take(agent):
        start.wait()
        results[agent.username] = agent.act(session_id, "take")

    threads = [threading.Thread(target=take, args=(a,)) for a in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    codes = sorted(r.status_code for r in results.values())
    assert codes == [200, 409], {k: (v.status_code, v.text) for k, v in results.items()}
    loser = next(r for r in results.values() if r.status_code == 409)
    assert loser.json()["error"]["code"] == "already_taken" and "已被" in loser.json()["error"]["message"]
    winner = next(name for name, r in results.items() if r.status_code == 200)
    assert only_item(second)["agent"] == winner


@pytest.mark.parametrize("hours", [NEVER_TODAY])
def test_no_agent_on_duty_the_citizen_is_told_and_nothing_is_lost(server, services, hours):
    citizen = Citizen(server.url, "web-night")
    night = citizen.say("转人工")
    assert night["handoff"]
    assert "现在没有人工客服在线" in night["reply"] and "00:00—00:01" in night["reply"] and "12333" in night["reply"]
    assert "回电" in night["reply"] and "留言" in night["reply"]
    noted = citizen.say("请回电 13912345678，问稳岗返还")
    assert "尾号 5678" in noted["reply"]
    message = citizen.say("另外想问培训补贴")
    assert message["reply"] == say("handoff_no_agent_noted")

    # The next shift opens the console: everything the citizen wrote is there, with the number.
    agent = Agent(server.url, "agent")
    item = only_item(agent)
    assert item["off_duty"] and item["callback_tail"] == "5678"
    detail = agent.conversation(item["id"])
    assert detail["callback"] == "13912345678"  # agents may call back: the full number
    wrote = [m["text"] for m in detail["messages"] if m["speaker"] == "citizen"]
    assert wrote == ["转人工", "请回电 [手机号]，问稳岗返还", "另外想问培训补贴"]
    viewer = Agent(server.url, "viewer")
    assert viewer.http.get(f"{server.url}/staff/agent/c/{item['id']}.json").status_code == 403



def test_the_console_shows_the_open_check_and_its_facts(server, services):
    agent = Agent(server.url, "agent")
    agent.queue()
    citizen = Citizen(server.url, "web-check")
    first = citizen.say("我们公司能申请稳岗返还吗")
    assert first["asking_for"], first
    second = citizen.say("中小微企业，参保职工28人")
    assert second["asking_for"] and second["asking_for"] != first["asking_for"], second
    assert citizen.say("转人工")["handoff"]
    topic = only_item(agent)["topic"]
    assert "资格核对中" in topic and "第4条" in topic, topic
    assert "employees=28" in topic and f"待确认：{second['asking_for']}" in topic, topic
