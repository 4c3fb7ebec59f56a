"""End-to-end conversations through the real Rasa server and the real rasa-sdk action server.

Turns go `Conversation.handle` → HTTP → `rasa run` (NLU, rules, the eligibility form) →
HTTP → `python -m rasa_sdk --actions bot.actions` (rule table, retrieval) and back; outside a
check, policy questions, questions outside the notice and small talk go to Rasa's NLU only and are
answered in the app (the same answer, proven below).
Run: `.venv/bin/python -m pytest -q tests/conversation` (starts both servers once, ~1 minute).
"""
from __future__ import annotations

import uuid

import pytest
import requests

from bot import slots as S
from bot.actions import texts
from bot.actions.payload import merge_messages
from bot.conversation import Conversation
from bot.rasa_client import RasaClient
from tests.fixtures.rasa import Chat

pytestmark = pytest.mark.integration

STABILIZATION = "check_stabilization_refund"


def answer_until_verdict(chat, first: str, answers: dict[str, str], max_turns: int = 8):
    """Say `first`, then answer each question from `answers` by the slot it asks for.

    :returns: (the final reply, the slots asked for, in order).
    """
    reply = chat(first)
    asked = []
    for _ in range(max_turns):
        if reply.asking_for is None:
            return reply, asked
        assert reply.asking_for in answers, f"unexpected question for {reply.asking_for}: {reply.reply}"
        asked.append(reply.asking_for)
        reply = chat(answers[reply.asking_for])
    raise AssertionError(f"still asking after {max_turns} answers: {asked}")


def test_a_greeting_is_answered_with_topics(chat):
    reply = chat("你好")
    assert reply.intent == "greet"
    assert reply.reply == texts.GREET
    assert reply.answered and not reply.degraded and not reply.handoff
    assert texts.HUMAN in reply.suggestions


def test_stabilization_refund_over_several_turns(chat):
    """28 staff, 3 laid off: facts of the first sentence are not asked again."""
    reply, asked = answer_until_verdict(
        chat, "我们公司28个人裁了3个，能拿稳岗返还吗", {S.ENTERPRISE_SIZE: "中小微企业"}
    )
    assert S.EMPLOYEES not in asked and S.LAYOFFS not in asked
    assert reply.intent == STABILIZATION
    assert "3/28 ≈ 10.7% ≤ 20%" in reply.reply
    assert "符合条件" in reply.reply
    assert [c.article for c in reply.citations] == [4]
    assert reply.answered and reply.asking_for is None and not reply.degraded


def test_the_form_asks_one_fact_at_a_time_and_reports_the_slot(chat):
    reply = chat("我们公司能申请稳岗返还吗")
    assert reply.intent == STABILIZATION
    assert reply.asking_for in S.ALL
    assert reply.reply.count("？") == 1  # one question


def test_answers_in_words_fill_the_form(chat):
    reply, asked = answer_until_verdict(
        chat,
        "我们单位想申请稳岗返还",
        {S.ENTERPRISE_SIZE: "中小微企业", S.EMPLOYEES: "二十八个人", S.LAYOFFS: "裁了三个"},
    )
    assert {S.EMPLOYEES, S.LAYOFFS} <= set(asked)
    assert "3/28 ≈ 10.7% ≤ 20%" in reply.reply


def test_a_correction_overwrites_the_fact_it_names(chat):
    reply = chat("我们公司28个人，能申请稳岗返还吗")
    assert reply.asking_for is not None and reply.asking_for != S.EMPLOYEES
    reply = chat("不对，是35个人")
    answers = {
        S.ENTERPRISE_SIZE: "其他企业",
        S.AFFECTED_BY_EPIDEMIC: "受到了疫情影响",
        S.LAYOFFS: "裁了1个",
    }
    for _ in range(5):
        if reply.asking_for is None:
            break
        assert reply.asking_for in answers, reply.reply
        reply = chat(answers[reply.asking_for])
    assert "35" in reply.reply and "1/35" in reply.reply
    assert "28" not in reply.reply.split("依据")[0]


def test_a_policy_question_mid_form_is_answered_then_the_question_is_asked_again(chat):
    first = chat("我们公司能申请稳岗返还吗")
    pending = first.asking_for
    reply = chat("企业复工招不到人怎么办")
    assert reply.answered
    assert 1 in [c.article for c in reply.citations]
    assert reply.asking_for == pending  # the form asks again
    assert reply.intent == "ask_policy"


def test_another_check_mid_form_switches_the_rule(chat):
    chat("我们公司能申请稳岗返还吗")
    reply = chat("那我自己辞职的，能领失业补助金吗")
    assert reply.intent == "check_unemployment_subsidy"
    if reply.asking_for is not None:
        assert reply.asking_for in (S.SEPARATION_REASON, S.SOCIAL_INSURANCE_PAID)


def test_stop_ends_the_form(chat):
    chat("我们公司能申请稳岗返还吗")
    reply = chat("算了，不问了")
    assert reply.asking_for is None
    assert reply.reply == texts.STOPPED
    assert chat("谢谢").reply == texts.THANK  # no longer inside the form


def test_handoff(chat):
    reply = chat("转人工")
    assert reply.handoff
    # The human-service desk queues the conversation and says where it stands (bot/handoff).
    assert reply.reply.startswith(("已为您排队，前面还有", "抱歉，现在没有人工客服在线"))


def test_handoff_mid_form_drops_the_check(chat):
    chat("我们公司能申请稳岗返还吗")
    reply = chat("我要转人工")
    assert reply.handoff and reply.asking_for is None


def test_out_of_scope_is_not_answered_and_offers_a_human(chat):
    reply = chat("养老金怎么领")
    assert not reply.answered
    assert texts.HUMAN in reply.suggestions
    assert "人工" in reply.reply
    assert reply.citations == []


def test_a_policy_question_is_answered_with_its_article(chat):
    reply = chat("高校毕业生就业有什么政策")
    assert reply.intent == "ask_policy"
    assert reply.answered and reply.citations


@pytest.mark.parametrize(
    "years, share",
    [("一年半", "90%"), ("整十年", "95%")],
)
def test_unemployment_benefit_by_contribution_years(chat, years, share):
    reply, _ = answer_until_verdict(chat, "我失业了能领多少失业金", {S.CONTRIBUTION_YEARS: years})
    assert reply.intent == "check_unemployment_benefit"
    assert share in reply.reply
    assert [c.article for c in reply.citations] == [8]


def test_a_case_the_notice_does_not_cover_says_so(chat):
    reply, _ = answer_until_verdict(chat, "我失业了能领多少失业金", {S.CONTRIBUTION_YEARS: "半年"})
    assert "本通知" in reply.reply and "没有规定" in reply.reply
    assert texts.HUMAN in reply.suggestions


def test_all_facts_in_the_first_sentence_give_the_verdict_at_once(chat):
    reply = chat("我是2018年毕业的非大连生源，报到期限延长到什么时候")
    assert reply.intent == "check_graduate_reporting_deadline"
    assert reply.asking_for is None
    assert "9月30日" in reply.reply
    assert [c.article for c in reply.citations] == [15]


def test_the_form_round_trip_proves_server_and_sdk_versions_agree(chat, rasa_stack, rasa_settings):
    """Rasa 3.6 accepts rasa-sdk 3.21's events: the validation action's SlotSets land in the tracker."""
    from bot.conversation import conversation_key
    from bot.rasa_process import api_token

    reply = chat("我们公司28个人裁了3个，能拿稳岗返还吗")
    assert reply.asking_for is not None
    sender = conversation_key(rasa_settings.secret_key, chat.channel, chat.user_id)
    tracker = requests.get(
        f"{rasa_stack.url}/conversations/{sender}/tracker",
        params={"token": api_token(rasa_settings), "include_events": "NONE"},
        timeout=10,
    ).json()
    assert tracker["active_loop"]["name"] == "eligibility_form"
    assert tracker["slots"]["active_rule"] == "stabilization_refund"
    assert tracker["slots"][S.EMPLOYEES] == 28 and tracker["slots"][S.LAYOFFS] == 3
    assert tracker["slots"]["requested_slot"] == reply.asking_for
    version = requests.get(f"{rasa_stack.url}/version", timeout=10).json()
    assert version["version"] == "3.6.21"


def test_low_nlu_confidence_falls_through_to_retrieval(chat):
    """`nlu_fallback` (what the FallbackClassifier predicts below 0.6) goes to retrieval; Rasa's
    `/intent` syntax injects it, as no sentence is reliably low-confidence for every model."""
    reply = chat("/nlu_fallback")
    assert reply.intent == "ask_policy"
    assert not reply.answered and texts.HUMAN in reply.suggestions



class CountingClient(RasaClient):
    """The real client, counting the whole Rasa turns it sends."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.whole_turns = 0

    def send(self, *args, **kwargs):
        self.whole_turns += 1
        return super().send(*args, **kwargs)


@pytest.mark.parametrize(
    "question",
    [
        "稳岗返还的裁员率标准是多少？", "职工线上培训补贴每课时多少钱？", "高校毕业生就业有什么政策",
        "稳岗返还需要准备什么材料", "/nlu_fallback", "养老金怎么领", "谢谢", "你好", "好的",
    ],
)
def test_outside_a_check_a_one_action_turn_gets_the_whole_turns_answer_after_nlu_only(
    question, rasa_stack, rasa_services, conversation
):
    client = CountingClient(rasa_stack.url, timeout=conversation.client.timeout, token=conversation.client.token)
    chat = Chat(Conversation(client, rasa_services))
    chat("你好")  # a user the log has never seen: no check can be open
    fast = chat(question)
    whole = merge_messages(client.send(f"test-whole-{uuid.uuid4().hex}", question, {"channel": "api"}))
    assert client.whole_turns == 1  # only the comparison
    assert fast.to_api() == whole.to_api() and fast.abstain_reason == whole.abstain_reason
