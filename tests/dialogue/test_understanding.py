"""`bot.dialogue.understanding.understand`: one message and the dialogue state → commands.

Unit tests of one module: signals are built by hand (a stand-in retrieval result), the rule table
and the fact parser are the real ones. Each row is one rule of the module docstring."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.dialogue.state import DialogueState
from bot.dialogue.understanding import (
    Answer,
    Cancel,
    Clarify,
    ExplainSlot,
    Handoff,
    Nlu,
    OutOfScope,
    ReJudge,
    SetSlots,
    Signals,
    SmallTalk,
    StartCheck,
    named_rule,
    understand,
)
from bot.eligibility import extract_slots, load_rules


@dataclass
class Hit:
    article: int
    document: str = "大人社发[2020]38号"
    clauses: tuple = ()
    article_clauses: tuple = ()


@dataclass
class Found:
    """A stand-in `RetrievalResult`: the fields understanding reads."""

    article: int | None = None
    abstain_reason: str | None = None
    curated: object = None
    out_of_scope_topics: tuple = ()
    hits: list = field(default_factory=list)
    confidence: float = 0.8

    def __post_init__(self):
        self.hits = [Hit(self.article)] if self.article else []

    @property
    def abstained(self) -> bool:
        return self.abstain_reason is not None


TABLE = load_rules()


def signals(text, *, intent="", confidence=0.0, article=None, abstain=None, focused=None, asking=None, near_miss=None):
    nlu = Nlu(intent, confidence)
    retrieval = Found(article, abstain) if article or abstain else Found(None, "no_match")
    return Signals(
        text=text, nlu=nlu, facts=extract_slots(text, expected=asking) if asking else extract_slots(text),
        retrieval=retrieval, focused=Found(focused) if focused else None,
        rule=named_rule(text, nlu, TABLE, retrieval), near_miss=near_miss,
    )


def kinds(commands):
    return [type(c).__name__ for c in commands]


IN_CHECK = DialogueState(check="stabilization_refund", asking="employees", facts={}, focus=("大人社发[2020]38号", 4))
AFTER_VERDICT = DialogueState(last_rule="stabilization_refund", facts={"employees": 28, "layoffs": 3},
                              focus=("大人社发[2020]38号", 4))


@pytest.mark.parametrize("name, text, state, kw, expected", [
    ("a question about a measure is answered", "失业金标准提高了多少", DialogueState(), {"article": 8}, ["Answer"]),
    ("one's own case starts the check", "我们公司能申请稳岗返还吗", DialogueState(), {"article": 4}, ["StartCheck", "SetSlots"]),
    ("facts of one firm start the check", "公司参保30个人 裁了6个 稳岗返还还能领吗", DialogueState(), {"article": 4}, ["StartCheck", "SetSlots"]),
    ("a class of firms is a policy question", "正好30人的企业算不算30人以下", DialogueState(), {"article": 4}, ["Answer"]),
    ("a class with the facts of a verdict is judged, or else answered", "中小微企业裁员率正好5.5%能不能申请稳岗返还",
     DialogueState(), {"article": 4}, ["JudgeOrAnswer"]),
    ("转人工 hands off", "我要转人工", DialogueState(), {}, ["Handoff"]),
    ("转人工 hands off mid-check", "转人工吧", IN_CHECK, {}, ["Handoff"]),
    ("a near miss says so", "失业金最长领几个月", DialogueState(), {"article": 8, "near_miss": "失业保险金的领取期限"}, ["OutOfScope"]),
    ("out of scope says so", "养老金怎么领", DialogueState(), {"abstain": "out_of_scope"}, ["OutOfScope"]),
    ("small talk is small talk", "你好", DialogueState(), {"intent": "greet", "confidence": 0.99}, ["SmallTalk"]),
    ("a fact of the check is set", "二十八个人", IN_CHECK, {"asking": "employees"}, ["SetSlots"]),
    ("算了 cancels the check", "算了不查了", IN_CHECK, {}, ["Cancel"]),
    ("不知道 explains the slot", "我也不知道有多少人", IN_CHECK, {"asking": "employees"}, ["ExplainSlot"]),
    ("a question about the checked measure is answered, the check waits", "返还标准是多少", IN_CHECK,
     {"article": 4, "focused": 4}, ["Answer"]),
    ("another measure for oneself switches the check", "我交了5年失业保险，失业金能领多少", IN_CHECK, {"article": 8}, ["StartCheck", "SetSlots"]),
    ("what-if re-judges the last verdict", "那要是裁了7个呢", AFTER_VERDICT, {"article": 4}, ["ReJudge", "SetSlots"]),
    ("a follow-up without a topic is answered from the focus", "那要多久", AFTER_VERDICT, {"abstain": "low_confidence", "focused": 4}, ["Answer"]),
    ("nothing understood mid-check is said so", "呃呃呃", IN_CHECK, {"abstain": "no_match"}, ["Clarify"]),
    ("a range answers the slot asked as a range", "十一二个人吧", IN_CHECK, {"asking": "employees"}, ["SetRange"]),
    ("a range beats the first number taken", "二十九还是三十个人", IN_CHECK, {"asking": "employees"}, ["SetRange"]),
    ("own case without a topic asks which measure", "我能领吗", DialogueState(), {"abstain": "low_confidence"}, ["Clarify"]),
])
def test_the_commands_of_a_message(name, text, state, kw, expected):
    assert kinds(understand(signals(text, **kw), state, TABLE)) == expected, name


def test_a_started_check_carries_the_facts_of_the_message():
    commands = understand(signals("我们公司28个人裁了3个能拿稳岗返还吗", article=4), DialogueState(), TABLE)
    assert commands == [StartCheck("stabilization_refund"), SetSlots({"employees": 28, "layoffs": 3})]


def test_a_correction_is_marked():
    commands = understand(signals("不对，是35个人", article=4), AFTER_VERDICT, TABLE)
    assert commands == [ReJudge("stabilization_refund"), SetSlots({"employees": 35}, correction=True)]


def test_rasas_check_intent_names_a_measure_only_where_retrieval_agrees():
    agree = signals("帮我看看", intent="check_unemployment_subsidy", confidence=0.9, article=8)
    disagree = signals("帮我看看", intent="check_unemployment_subsidy", confidence=0.9, article=11)
    assert agree.rule == "unemployment_subsidy" and disagree.rule is None


def test_the_measure_named_by_the_longest_word_wins():
    assert named_rule("失业补助金和失业金能一起领吗", Nlu(), TABLE) == "unemployment_subsidy"
    assert named_rule("失业金能领多少", Nlu(), TABLE) == "unemployment_benefit"


def test_the_commands_carry_what_the_engine_needs():
    assert isinstance(understand(signals("失业金标准提高了多少", article=8), DialogueState(), TABLE)[0], Answer)
    assert understand(signals("我也不知道有多少人", asking="employees"), IN_CHECK, TABLE) == [ExplainSlot("employees")]
    assert understand(signals("算了"), IN_CHECK, TABLE) == [Cancel()]
    assert understand(signals("转人工"), DialogueState(), TABLE) == [Handoff()]
    assert understand(signals("你好", intent="greet", confidence=0.99), DialogueState(), TABLE) == [SmallTalk("greet")]
    assert understand(signals("失业金最长领几个月", near_miss="x"), DialogueState(), TABLE) == [OutOfScope("x")]
    assert understand(signals("呃呃呃"), IN_CHECK, TABLE) == [Clarify("not_understood")]


@dataclass
class Sure(Found):
    confidence: float = 0.97


@pytest.mark.parametrize("text, state, retrieval, needed", [
    ("稳岗返还的裁员率标准是多少", DialogueState(), Sure(4), False),   # a plain question, answered with confidence
    ("稳岗返还的裁员率标准是多少", DialogueState(), Sure(4, confidence=0.5), True),
    ("稳岗返还的裁员率标准是多少", IN_CHECK, Sure(4), True),          # a check is open
    ("我们公司能申请稳岗返还吗", DialogueState(), Sure(4), True),      # one's own case
    ("谢谢", DialogueState(), Sure(4), True),                          # short: small talk reads like this
    ("好的我知道了稳岗返还", DialogueState(), Sure(4), True),           # no question
    ("那要是裁了7个呢", DialogueState(), Sure(4), True),              # a follow-up
])
def test_rasas_intent_is_asked_when_it_can_change_the_decision(text, state, retrieval, needed):
    from bot.dialogue.engine import needs_nlu

    assert needs_nlu(text, state, retrieval) is needed
