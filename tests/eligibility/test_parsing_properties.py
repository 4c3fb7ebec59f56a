"""Property tests of the fact parser: a message without a number for a slot never fills it.

Words that say zero (没有, 无, 不裁, 未) are a number: "没有" answers "裁员了多少人？" (its prompt
asks for it), so they are kept out of the generated text.

Run: .venv/bin/python -m pytest -q tests/eligibility/test_parsing_properties.py
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.eligibility import extract_slots, load_rules, parse_slot_value

NUMERALS = set("0123456789０１２３４５６７８９零〇一二两三四五六七八九十百千万亿半俩仨壹贰叁肆伍陆柒捌玖拾佰仟幺廿卅兩倆貳陸萬億")  # 幺: the spoken "one" of phone numbers; 廿 20, 卅 30; traditional forms
ZERO_WORDS = set("没无不未")
NUMBER_SLOTS = [name for name, spec in load_rules().slots.items() if spec.type in ("int", "number", "percent", "year")]
# Chinese text, punctuation and Latin letters without a single numeral.
WORDS = st.text(
    alphabet=st.characters(
        whitelist_categories=("Lo", "Ll", "Lu", "Po", "Zs"),
        blacklist_characters="".join(NUMERALS | ZERO_WORDS),
        max_codepoint=0x9FFF,
    ),
    max_size=40,
)
# Numerals that are words, not numbers: 一家小饭店, 一直, 同一个培训项目, 统一, 三位一体.
IDIOMS = st.lists(st.sampled_from(["一家", "一直", "一下", "一起", "一样", "统一", "同一个", "一次性", "第一", "万一", "三位一体"]),
                  max_size=3)


@settings(max_examples=300, deadline=None)
@given(text=WORDS, slot=st.sampled_from(NUMBER_SLOTS))
def test_text_without_a_numeral_never_fills_a_number_slot(text, slot):
    assert parse_slot_value(slot, text) is None
    found = extract_slots(text, expected=slot)
    assert not set(found) & set(NUMBER_SLOTS), (text, found)


@settings(max_examples=300, deadline=None)
@given(before=WORDS, idioms=IDIOMS, after=WORDS, slot=st.sampled_from(NUMBER_SLOTS))
def test_numerals_inside_words_are_no_numbers(before, idioms, after, slot):
    text = before + "，".join(idioms) + after  # glued together, 第一万一 would be a number
    assert parse_slot_value(slot, text) is None
    assert not set(extract_slots(text, expected=slot)) & set(NUMBER_SLOTS), text
