"""Unit tests of the custom actions: real rasa-sdk `Tracker` and `CollectingDispatcher`, no server.

The rule table and the parser are the real ones; retrieval is replaced by a small fake
(only `action_answer_policy` needs it). Run: `.venv/bin/python -m pytest -q tests/rasa/test_actions.py`.
"""
from __future__ import annotations

import asyncio
from fractions import Fraction

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from bot import slots as S
from bot.actions import common, texts
from bot.actions.dialogue import ActionHandoff, ActionOutOfScope, ActionSmallTalk, ActionStopCheck
from bot.actions.eligibility import (
    ASK_ACTIONS,
    ActionCheckEligibility,
    ActionStartCheck,
    ValidateEligibilityForm,
    read_facts,
    slot_value,
    suggestions_for,
)
from bot.actions.payload import KEY
from bot.eligibility import load_rules

RULE = "stabilization_refund"
READS = load_rules()[RULE].reads


def tracker(text: str = "", intent: str = "inform", confidence: float = 0.95, slots: dict | None = None,
            channel: str = "api", active: bool = False) -> Tracker:
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [],
        "metadata": {"channel": channel},
    }
    return Tracker(
        sender_id="unit",
        slots={name: None for name in (*S.ALL, common.ACTIVE_RULE, common.REQUESTED_SLOT)} | (slots or {}),
        latest_message=message,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": common.FORM} if active else {},
        latest_action_name="action_listen",
    )


def run(action, t: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, t, {})
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return result, dispatcher.messages


def slot_events(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def payload(message: dict) -> dict:
    return message["custom"][KEY]


# -- reading facts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, requested, expected",
    [
        ("我们公司28个人裁了3个", None, {S.EMPLOYEES: 28, S.LAYOFFS: 3}),
        ("二十八个人", S.EMPLOYEES, {S.EMPLOYEES: 28}),
        ("3个人", S.LAYOFFS, {S.LAYOFFS: 3}),
        ("裁了三个", S.LAYOFFS, {S.LAYOFFS: 3}),
        ("不对，是35个人", S.LAYOFFS, {S.EMPLOYEES: 35}),  # a correction names its own fact
        ("二十八个人", S.ENTERPRISE_SIZE, {S.EMPLOYEES: 28}),  # another fact than the one asked
        ("中小微企业", S.ENTERPRISE_SIZE, {S.ENTERPRISE_SIZE: "sme"}),
        ("我交了12年社保", None, {}),  # not a fact of this rule
        ("你好", S.EMPLOYEES, {}),
    ],
)
def test_read_facts(text, requested, expected):
    assert read_facts(text, requested, READS) == expected


@pytest.mark.parametrize(
    "value, expected", [(Fraction(28), 28), (Fraction(11, 2), 5.5), (True, True), ("sme", "sme"), (3, 3)]
)
def test_slot_values_are_json(value, expected):
    assert slot_value(value) == expected and type(slot_value(value)) is type(expected)


def test_suggestions_are_the_choices_of_the_slot():
    assert suggestions_for(S.ENTERPRISE_SIZE) == ["中小微企业", "其他企业"]
    assert suggestions_for(S.AFFECTED_BY_EPIDEMIC) == ["是", "否"]
    assert suggestions_for(S.EMPLOYEES) == []


def test_every_choice_suggestion_is_understood_as_an_answer():
    from bot.eligibility import parse_slot_value

    for slot in S.ALL:
        for suggestion in suggestions_for(slot):
            assert parse_slot_value(slot, suggestion) is not None, (slot, suggestion)


# -- starting a check -----------------------------------------------------------------------------


def test_start_check_sets_the_rule_and_clears_old_facts():
    events, messages = run(ActionStartCheck(), tracker("能拿稳岗返还吗", "check_" + RULE, slots={S.EMPLOYEES: 9}))
    slots = slot_events(events)
    assert slots[common.ACTIVE_RULE] == RULE
    assert slots[S.EMPLOYEES] is None
    assert messages == []


def test_start_check_for_the_same_rule_keeps_the_facts():
    t = tracker("能拿稳岗返还吗", "check_" + RULE, slots={common.ACTIVE_RULE: RULE, S.EMPLOYEES: 28})
    assert run(ActionStartCheck(), t) == ([], [])


# -- the form validation ------------------------------------------------------------------------------


def validate(text, intent="inform", slots=None, requested=None):
    base = {common.ACTIVE_RULE: RULE, common.REQUESTED_SLOT: requested} | (slots or {})
    return run(ValidateEligibilityForm(), tracker(text, intent, slots=base, active=True))


def test_facts_of_the_first_sentence_fill_the_form_and_the_table_picks_the_next_question():
    events, messages = validate("我们公司28个人裁了3个，能拿稳岗返还吗", intent="check_" + RULE)
    slots = slot_events(events)
    assert slots[S.EMPLOYEES] == 28 and slots[S.LAYOFFS] == 3
    assert slots[common.REQUESTED_SLOT] == S.ENTERPRISE_SIZE
    assert messages == []


def test_the_last_fact_ends_the_form():
    events, _ = validate("中小微企业", slots={S.EMPLOYEES: 28, S.LAYOFFS: 3}, requested=S.ENTERPRISE_SIZE)
    slots = slot_events(events)
    assert slots[S.ENTERPRISE_SIZE] == "sme"
    assert slots[common.REQUESTED_SLOT] is None


def test_an_unreadable_answer_is_said_and_asked_again():
    events, messages = validate("这个嘛", slots={S.EMPLOYEES: 28}, requested=S.LAYOFFS)
    assert slot_events(events)[S.LAYOFFS] is None  # handled: the form asks again, no rejection
    assert [m["text"] for m in messages] == [texts.NOT_UNDERSTOOD]
    assert payload(messages[0])["intent"] == "check_" + RULE


@pytest.mark.parametrize("intent", ["ask_policy", "ask_human", "stop", "greet", "check_unemployment_benefit"])
def test_other_intents_fill_nothing_so_the_form_rejects(intent):
    events, messages = validate("我交了12年，失业金能领多少", intent=intent, requested=S.EMPLOYEES)
    assert [e["name"] for e in events] == [common.REQUESTED_SLOT]  # nothing validated → rejection
    assert messages == []


def test_an_answer_classified_as_another_check_is_still_an_answer():
    events, _ = run(ValidateEligibilityForm(), tracker(
        "春节期间开工生产防疫物资", "check_absorption_subsidy", active=True,
        slots={common.ACTIVE_RULE: "job_service_subsidy", common.REQUESTED_SLOT: S.EMPLOYER_EPIDEMIC_SUPPLY_FIRM},
    ))
    assert slot_events(events)[S.EMPLOYER_EPIDEMIC_SUPPLY_FIRM] is True


def test_a_choice_answer_mistaken_for_small_talk_is_still_read():
    events, _ = validate("其他企业", intent="goodbye", requested=S.ENTERPRISE_SIZE)
    assert slot_events(events)[S.ENTERPRISE_SIZE] == "other"


def test_a_value_the_rules_cannot_use_is_explained_and_cleared():
    events, messages = validate("裁了40个", slots={S.EMPLOYEES: 28}, requested=S.LAYOFFS)
    slots = slot_events(events)
    assert slots[S.LAYOFFS] is None and slots[common.REQUESTED_SLOT] is not None
    assert len(messages) == 1 and "不能多于" in messages[0]["text"]


def test_without_a_rule_the_form_ends():
    events, _ = run(ValidateEligibilityForm(), tracker("28人", slots={common.ACTIVE_RULE: None}, active=True))
    assert slot_events(events) == {common.REQUESTED_SLOT: None}


def test_required_slots_come_from_the_rule_table():
    t = tracker(slots={common.ACTIVE_RULE: RULE, S.EMPLOYEES: 28, S.LAYOFFS: 3})
    required = asyncio.run(ValidateEligibilityForm().required_slots([], CollectingDispatcher(), t, {}))
    assert required == [S.ENTERPRISE_SIZE]


# -- asking and answering ---------------------------------------------------------------------------


def test_ask_actions_exist_for_every_slot_and_report_the_slot():
    assert set(ASK_ACTIONS) == set(S.ALL)
    _, messages = run(ASK_ACTIONS[S.EMPLOYEES](), tracker(slots={common.ACTIVE_RULE: RULE}))
    from bot.eligibility import prompt_for

    assert messages[0]["text"] == prompt_for(S.EMPLOYEES)
    assert payload(messages[0])["asking_for"] == S.EMPLOYEES
    assert payload(messages[0])["intent"] == "check_" + RULE


def test_the_phone_gets_the_keypad_prompt():
    from bot.eligibility import prompt_for

    _, messages = run(ASK_ACTIONS[S.ENTERPRISE_SIZE](), tracker(slots={common.ACTIVE_RULE: RULE}, channel="ivr"))
    assert messages[0]["text"] == prompt_for(S.ENTERPRISE_SIZE, "ivr")


def test_the_verdict_cites_the_clause_and_resets_the_facts():
    t = tracker("中小微企业", slots={common.ACTIVE_RULE: RULE, S.EMPLOYEES: 28, S.LAYOFFS: 3, S.ENTERPRISE_SIZE: "sme"})
    events, messages = run(ActionCheckEligibility(), t)
    assert "3/28 ≈ 10.7% ≤ 20%" in messages[0]["text"]
    p = payload(messages[0])
    assert p["citations"][0]["article"] == 4 and p["confidence"] == 1.0 and p["answered"]
    # Only the slots that hold a value are reset: every event is carried by each later turn.
    assert slot_events(events) == {common.ACTIVE_RULE: None, S.EMPLOYEES: None, S.LAYOFFS: None, S.ENTERPRISE_SIZE: None}


def test_a_verdict_that_cannot_be_computed_apologises_and_offers_a_human():
    t = tracker("", slots={common.ACTIVE_RULE: RULE})  # no facts at all
    events, messages = run(ActionCheckEligibility(), t)
    assert messages[0]["text"] == texts.CHECK_FAILED
    assert payload(messages[0])["answered"] is False and texts.HUMAN in payload(messages[0])["suggestions"]


# -- dialogue ------------------------------------------------------------------------------------


@pytest.mark.parametrize("intent", sorted(texts.SMALL_TALK))
def test_small_talk_answers_each_intent(intent):
    _, messages = run(ActionSmallTalk(), tracker("…", intent, 0.9))
    assert messages[0]["text"] == texts.SMALL_TALK[intent]
    assert payload(messages[0])["intent"] == intent and payload(messages[0])["confidence"] == 0.9


def _retrieval_returning(monkeypatch, curated):
    import datetime as dt

    from bot.actions import dialogue
    from knowledge_base.retrieval import RetrievalResult

    class FakeRetriever:
        def run(self, question):
            return RetrievalResult(query=question, hits=[], confidence=0.99, abstained=curated is None,
                                   abstain_reason=None if curated else "out_of_scope", curated=curated)

    class FakeServices:
        retriever = FakeRetriever()

    monkeypatch.setattr(dialogue, "services", lambda: FakeServices())
    monkeypatch.setattr(dialogue, "as_of", lambda: dt.date(2026, 11, 25))


def test_out_of_scope_is_unanswered_with_a_human_offered(monkeypatch):
    _retrieval_returning(monkeypatch, curated=None)
    _, messages = run(ActionOutOfScope(), tracker("养老金怎么领", "out_of_scope"))
    p = payload(messages[0])
    assert p["answered"] is False and p["abstain_reason"] == "out_of_scope" and texts.HUMAN in p["suggestions"]


def test_a_curated_answer_wins_over_out_of_scope(monkeypatch):
    from knowledge_base.curated import CuratedAnswer

    answer = CuratedAnswer(id=7, question="灵活就业社保补贴怎么申请", answer="请携带身份证到社区申请。",
                           document=None, article=None)
    _retrieval_returning(monkeypatch, curated=answer)
    _, messages = run(ActionOutOfScope(), tracker("灵活就业社保补贴怎么申请", "out_of_scope"))
    assert messages[0]["text"].startswith("请携带身份证到社区申请。")
    assert payload(messages[0])["answered"] is True


def test_handoff_and_stop_forget_the_check():
    events, messages = run(ActionHandoff(), tracker("转人工", "ask_human", slots={common.ACTIVE_RULE: RULE}))
    assert payload(messages[0])["handoff"] is True and slot_events(events)[common.ACTIVE_RULE] is None
    events, messages = run(ActionStopCheck(), tracker("算了", "stop", slots={common.ACTIVE_RULE: RULE}))
    assert messages[0]["text"] == texts.STOPPED and slot_events(events)[common.ACTIVE_RULE] is None


def test_policy_answers_come_from_retrieval(monkeypatch):
    from bot.actions import policy
    from bot.reply import Reply

    seen = []

    def fake_answer(retriever, question, as_of):
        seen.append(question)
        return Reply(reply="根据通知第八条……", intent="ask_policy", confidence=0.9)

    class FakeServices:
        retriever = object()

    monkeypatch.setattr(policy, "answer_policy_question", fake_answer)
    monkeypatch.setattr(policy, "services", lambda: FakeServices())
    _, messages = run(policy.ActionAnswerPolicy(), tracker("失业金标准提高了吗", "ask_policy"))
    assert seen == ["失业金标准提高了吗"]
    assert messages[0]["text"] == "根据通知第八条……" and payload(messages[0])["intent"] == "ask_policy"


# -- registration ----------------------------------------------------------------------------------


def test_rasa_sdk_registers_exactly_the_domain_actions():
    import yaml

    from bot.rasa_process import DOMAIN

    executor = ActionExecutor()
    executor.register_package("bot.actions")
    domain_actions = set(yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["actions"])
    assert set(executor.actions) == domain_actions
