"""Natural answers → slot values: the tables of parsing.yaml, and robustness on any text.

Run: .venv/bin/python -m pytest -q tests/eligibility/test_parsing.py
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import slots as S
from bot.eligibility import extract_slots, parse_slot_value
from bot.eligibility.parsing import candidate_values, chinese_terms, unit_facts

from .conftest import PARSING


def _same(got, expected) -> bool:
    """Equal value AND type: True must not pass for 1, nor 28.0 for 28."""
    return got == expected and type(got) is type(expected)


@pytest.mark.parametrize("row", PARSING["parse"], ids=lambda r: f"{r['slot']}:{r['text']}")
def test_parse_answer(row):
    got = parse_slot_value(row["slot"], row["text"])
    assert _same(got, row["value"]), f"{row['text']!r} → {got!r}, expected {row['value']!r}"


@pytest.mark.parametrize("row", PARSING["ivr"], ids=lambda r: f"{r['slot']}:{r['text']}")
def test_parse_keypad_and_speech_on_the_phone(row):
    got = parse_slot_value(row["slot"], row["text"], channel="ivr")
    assert _same(got, row["value"]), f"{row['text']!r} → {got!r}, expected {row['value']!r}"


@pytest.mark.parametrize("row", PARSING["extract"], ids=lambda r: f"{r['text']}|{r.get('expected')}")
def test_extract_slots_from_a_sentence(row):
    got = extract_slots(row["text"], expected=row.get("expected"))
    assert got == row["value"]
    assert all(_same(got[k], v) for k, v in row["value"].items())
    assert set(got) <= set(S.ALL)


@pytest.mark.parametrize("row", PARSING["candidates"], ids=lambda r: f"{r['slot']}:{r['text']}")
def test_candidate_values_of_a_vague_number(row):
    got = candidate_values(row["slot"], row["text"])
    assert got == row["value"] and all(_same(g, v) for g, v in zip(got, row["value"])), f"{row['text']!r} → {got!r}"


@pytest.mark.parametrize("row", PARSING["terms"], ids=lambda r: r["text"])
def test_english_words_of_the_domain(row):
    assert chinese_terms(row["text"]) == row["value"]


def test_the_table_exercises_every_slot():
    assert {r["slot"] for r in PARSING["parse"]} == set(S.ALL)


def test_keypad_digits_are_not_choices_in_chat():
    """On chat a bare "1" is not a menu choice: only the IVR reads keypad digits."""
    assert parse_slot_value(S.ENTERPRISE_SIZE, "1") is None


def test_unknown_slot_is_a_programming_error():
    with pytest.raises(KeyError):
        parse_slot_value("head_count", "28")


@settings(max_examples=150, deadline=None)
@given(slot=st.sampled_from(S.ALL), text=st.text(max_size=40))
def test_parsing_never_crashes_on_any_text(slot, text):
    parse_slot_value(slot, text)
    parse_slot_value(slot, text, channel="ivr")
    assert isinstance(extract_slots(text, expected=slot), dict)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(min_value=0, max_value=99999))
def test_counts_in_chinese_numerals_read_back(n):
    import cn2an

    spoken = cn2an.an2cn(n)
    assert parse_slot_value(S.LAYOFFS, f"{spoken}个") == n
    assert parse_slot_value(S.EMPLOYEES, f"{n}人") == n or n == 0


@pytest.mark.parametrize("text, slots, expected", [
    ("那4%呢", [S.LAYOFF_RATE, S.EMPLOYEES, S.LAYOFFS], {S.LAYOFF_RATE: 4}),
    ("那要是37人呢", [S.EMPLOYEES, S.LAYOFFS], {}),  # two facts counted in 人: not this one's to say
    ("不对，是十二个月，不是十二年", [S.CONTRIBUTION_YEARS], {S.CONTRIBUTION_YEARS: 1}),  # another unit of time
    ("那要是2020年9月就去了呢", [S.GRAD_YEAR, S.ORIGIN, S.EVENT_DATE], {S.EVENT_DATE: "2020-09"}),  # a date, not a year
    ("那要是2019年呢", [S.GRAD_YEAR, S.ORIGIN, S.EVENT_DATE], {S.GRAD_YEAR: 2019}),
])
def test_a_bare_value_in_a_what_if_names_the_fact_by_its_unit(text, slots, expected):
    assert unit_facts(text, slots) == expected
