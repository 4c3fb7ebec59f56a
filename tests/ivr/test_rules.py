"""Keypad answers read through the real rule table. Run: .venv/bin/python -m pytest -q tests/ivr/test_rules.py"""
import pytest

from bot.core import slots
from bot.eligibility import parse_slot_value
from ivr import rules


@pytest.mark.parametrize(
    "slot, keys, text, value",
    [
        (slots.EMPLOYEES, "28", "28", 28),
        (slots.EMPLOYEES, "28#", "28", 28),
        (slots.LAYOFFS, "0", "0", 0),
        (slots.LAYOFF_RATE, "5*5", "5.5", 5.5),
        (slots.GRAD_YEAR, "2018", "2018", 2018),
        (slots.ENTERPRISE_SIZE, "1", "中小微企业", "sme"),
        (slots.ENTERPRISE_SIZE, "2", "其他企业", "other"),
        (slots.AFFECTED_BY_EPIDEMIC, "1", "是", True),
        (slots.AFFECTED_BY_EPIDEMIC, "2", "不是", False),
        (slots.SEPARATION_REASON, "1", "因个人原因解除劳动合同", "personal"),
        (slots.SEPARATION_REASON, "2", "被用人单位解除劳动合同（辞退、裁员）", "employer"),
        (slots.SEPARATION_REASON, "3", "劳动合同期满终止", "contract_end"),
        (slots.ORIGIN, "2", "非大连生源", "non_dalian"),
    ],
)
def test_keys_become_the_words_chat_would_send_and_parse_to_the_same_value(slot, keys, text, value):
    assert rules.keypad_answer(slot, keys) == text
    assert parse_slot_value(slot, text) == value


@pytest.mark.parametrize(
    "slot, keys",
    [(slots.EMPLOYEES, "2*"), (slots.EMPLOYEES, "*"), (slots.EMPLOYEES, "#"), (slots.ENTERPRISE_SIZE, "3"),
     (slots.ORIGIN, "12"), ("no_such_slot", "1")],
)
def test_keys_that_answer_nothing_offered_are_refused(slot, keys):
    assert rules.keypad_answer(slot, keys) is None


def test_number_slots_and_prompts_come_from_the_rule_table():
    assert rules.is_number_slot(slots.EMPLOYEES) and rules.is_number_slot(slots.LAYOFF_RATE)
    assert not rules.is_number_slot(slots.ORIGIN) and not rules.is_number_slot("no_such_slot")
    assert rules.slot_prompt(slots.EMPLOYEES) == "请输入参保职工人数，按井号键结束。"
    with pytest.raises(LookupError):
        rules.slot_prompt("no_such_slot")
