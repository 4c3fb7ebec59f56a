"""The evaluator's API: asking order, errors in Chinese, the shape of a verdict, prompts, and an
independent oracle for the layoff-rate rule.

Run: .venv/bin/python -m pytest -q tests/eligibility/test_engine.py
"""
from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import slots as S
from bot.eligibility import (
    MissingSlots,
    SlotValueError,
    UnknownRule,
    evaluate,
    missing_slots,
    prompt_for,
    validate_slot,
)
from bot.core.turn import Citation

AS_OF = dt.date(2020, 3, 1)


def test_unknown_rule_is_refused():
    with pytest.raises(UnknownRule):
        missing_slots("no_such_rule", {})
    with pytest.raises(UnknownRule):
        evaluate("no_such_rule", {}, AS_OF)


def test_evaluate_before_the_facts_are_known_names_the_missing_slots():
    with pytest.raises(MissingSlots) as err:
        evaluate("stabilization_refund", {S.ENTERPRISE_SIZE: "sme"}, AS_OF)
    assert err.value.slots == [S.EMPLOYEES, S.LAYOFFS]


def test_missing_slots_follow_answers_one_at_a_time():
    """Filling the form in the order it asks always ends in a verdict."""
    answers = {S.ENTERPRISE_SIZE: "other", S.EMPLOYEES: 100, S.AFFECTED_BY_EPIDEMIC: True, S.LAYOFFS: 5}
    known: dict = {}
    asked = []
    while needed := missing_slots("stabilization_refund", known):
        asked.append(needed[0])
        known[needed[0]] = answers[needed[0]]
    assert asked == [S.EMPLOYEES, S.LAYOFFS, S.ENTERPRISE_SIZE, S.AFFECTED_BY_EPIDEMIC]
    assert evaluate("stabilization_refund", known, AS_OF).outcome == "eligible"


def test_none_and_empty_values_count_as_unknown():
    loan = {S.STARTUP_GUARANTEE_LOAN: True}
    assert missing_slots("loan_extension", {**loan, S.COVID_INFECTED: None}) == [S.COVID_INFECTED]
    assert missing_slots("loan_extension", {**loan, S.COVID_INFECTED: ""}) == [S.COVID_INFECTED]


def test_more_layoffs_than_staff_is_refused_in_chinese():
    with pytest.raises(SlotValueError) as err:
        evaluate("stabilization_refund", {S.ENTERPRISE_SIZE: "sme", S.EMPLOYEES: 28, S.LAYOFFS: 35}, AS_OF)
    assert err.value.slot == S.LAYOFFS
    assert "裁员人数（35人）不能多于参保职工人数（28人）" in str(err.value)


@pytest.mark.parametrize(
    ("slot", "value", "fragment"),
    [
        (S.EMPLOYEES, "十来个", "没能从“十来个”中得到确切的答案"),
        (S.EMPLOYEES, 0, "不在合理范围内"),
        (S.EMPLOYEES, 2.5, "需要一个整数"),
        (S.EMPLOYEES, True, "需要一个数字"),
        (S.ENTERPRISE_SIZE, "giant", "请从以下选项中选择"),
        (S.COVID_INFECTED, 1, "请回答“是”或“否”"),
        (S.CONTRIBUTION_YEARS, -1, "不在合理范围内"),
    ],
)
def test_unusable_values_get_a_chinese_message_that_asks_again(slot, value, fragment):
    with pytest.raises(SlotValueError) as err:
        validate_slot(slot, value)
    assert err.value.slot == slot
    assert fragment in err.value.message
    assert err.value.message.endswith(prompt_for(slot))


@pytest.mark.parametrize(
    ("slot", "value", "expected"),
    [
        (S.EMPLOYEES, 28.0, 28),  # Rasa stores numbers as floats
        (S.EMPLOYEES, "28", 28),
        (S.ENTERPRISE_SIZE, "sme", "sme"),
        (S.CONTRIBUTION_YEARS, 1.5, Fraction(3, 2)),
        (S.LAYOFF_RATE, "5.5%", Fraction(11, 2)),
        (S.MIGRANT_WORKER, "是", True),
    ],
)
def test_values_from_rasa_and_from_people_are_coerced(slot, value, expected):
    assert validate_slot(slot, value) == expected


def test_a_verdict_is_complete_and_serialisable():
    verdict = evaluate("stabilization_refund", {S.ENTERPRISE_SIZE: "sme", S.EMPLOYEES: 28, S.LAYOFFS: 3}, AS_OF)
    lines = verdict.text.split("\n")
    assert lines[0].startswith("【符合条件】") and verdict.body in lines[0]
    assert lines[1] == f"计算：{verdict.computation}。"
    assert lines[2].startswith("依据：大人社发[2020]38号第（四）条“扩大稳岗返还政策范围”：“疫情防控期间")
    assert lines[3] == verdict.validity and verdict.validity.startswith("有效期：疫情防控期间")
    assert verdict.citation == Citation(
        document="大人社发[2020]38号", article=4, title="扩大稳岗返还政策范围", quote=verdict.citation.quote
    )
    assert json.loads(json.dumps(verdict.facts)) == verdict.facts
    assert verdict.facts[S.EMPLOYEES] == 28 and verdict.facts[S.ENTERPRISE_SIZE] == "sme"


def test_as_of_defaults_to_today():
    verdict = evaluate("unemployment_insurance_rate", {})
    assert verdict.expired is (dt.date.today() > dt.date(2021, 8, 31))


# -- an independent oracle for article 4, written from the notice's words -----------------------


def _oracle(size: str, affected: bool, employees: int, layoffs: int) -> bool:
    rate = Fraction(layoffs, employees) * 100
    if employees <= 30:  # 30 人（含）以下 … 不超过 20%
        return rate <= 20
    if size == "sme" or affected:  # 中小微企业和受疫情影响的其他企业 … 不高于 5.5%
        return rate <= Fraction("5.5")
    return rate < Fraction("3.62")  # 其他 … 低于 3.62%


@settings(max_examples=300, deadline=None)
@given(
    size=st.sampled_from(["sme", "other"]),
    affected=st.booleans(),
    employees=st.integers(min_value=1, max_value=20000),
    share=st.fractions(min_value=0, max_value=1),
)
def test_layoff_rule_agrees_with_the_notice(size, affected, employees, share):
    layoffs = int(share * employees)
    slots = {S.ENTERPRISE_SIZE: size, S.EMPLOYEES: employees, S.LAYOFFS: layoffs, S.AFFECTED_BY_EPIDEMIC: affected}
    verdict = evaluate("stabilization_refund", slots, AS_OF)
    assert (verdict.outcome == "eligible") is _oracle(size, affected, employees, layoffs)
    assert f"{layoffs}/{employees}" in verdict.computation


# -- prompts ---------------------------------------------------------------------------------


def test_the_hotline_examples_of_prompts():
    assert prompt_for(S.EMPLOYEES) == "请问贵单位参保职工有多少人？"
    assert prompt_for(S.EMPLOYEES, "ivr") == "请输入参保职工人数，按井号键结束。"
