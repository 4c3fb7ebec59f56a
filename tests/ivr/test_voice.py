"""Calls walked through the real app over HTTP: menus, spoken questions, eligibility by keypad.

Run: .venv/bin/python -m pytest -q tests/ivr/test_voice.py
"""
import re

import pytest

from bot.core.messages import say
from ivr import menu

ANSWER_8 = "失业保险金标准：累计缴费满一年不足十年的，由当地最低工资标准的百分之八十五上调至百分之九十"
VERDICT = "计算：三除以二十八约等于百分之十点七，不超过百分之二十"


def assert_speaks_mandarin(answer):
    for say in answer.root.iter("Say"):
        assert say.get("voice") == "Polly.Zhiyu" and say.get("language") == "cmn-CN"
    gather = answer.gather
    if gather is not None and "speech" in gather.get("input"):
        assert gather.get("language") == "cmn-Hans-CN" and gather.get("speechTimeout") == "auto"


def test_an_incoming_call_is_greeted_with_the_main_menu(phone):
    answer = phone.call()
    assert answer.verbs == ["Gather", "Redirect"]
    assert answer.says == [say("welcome", "ivr") + menu.main_menu()]
    assert answer.spoken.startswith("您好，欢迎致电大连一二三三三")
    gather = answer.gather
    assert gather.get("input") == "dtmf speech" and gather.get("numDigits") == "1"
    assert gather.get("timeout") == "5" and gather.get("action") == "/ivr/input"
    assert answer.first("Redirect").text == "/ivr/no-input"
    hints = gather.get("hints").split(",")
    assert hints[:5] == ["企业稳岗与用工", "失业保险待遇", "职业培训补贴", "高校毕业生", "农民工与创业"]
    # the knowledge base's terms: article titles and the domain lexicon
    assert "扩大稳岗返还政策范围" in hints and "失业保险金" in hints
    assert_speaks_mandarin(answer)


@pytest.mark.parametrize("key", ["1", "2", "3", "4", "5"])
def test_each_topic_key_opens_its_submenu_and_star_goes_back(phone, key):
    phone.call()
    topic = menu.topic(key)
    answer = phone.press(key)
    assert answer.says == [menu.topic_menu(topic)]
    assert phone.press("9").says == [menu.topic_menu(topic)]  # 重听
    assert phone.press("*").says == [menu.main_menu()]
    assert_speaks_mandarin(answer)


def test_nine_repeats_the_main_menu(phone):
    phone.call()
    assert phone.press("9").says == [menu.main_menu()]


def test_a_submenu_key_asks_its_common_question_through_the_shared_turn_logic(phone, server):
    conversation = server[1].conversation
    phone.call()
    phone.press("2")
    answer = phone.press("1")
    turn = conversation.turns[-1]
    assert (turn.channel, turn.user_id, turn.text) == ("ivr", phone.call_sid, "失业保险金标准提高了多少？")
    assert turn.message_id == f"{phone.call_sid}-1"
    assert answer.verbs == ["Say", "Gather", "Redirect"]
    assert answer.says[0].startswith(ANSWER_8)
    assert answer.says[-1] == say("ivr_follow_up", **menu.KEYS)


def test_a_spoken_question_is_answered_for_the_ear_then_asks_for_more(phone, server):
    phone.call()
    answer = phone.say("失业金标准是多少")
    spoken = answer.says[0]
    assert spoken.startswith(ANSWER_8)
    assert "百分之九十五" in spoken
    assert spoken.endswith("详细内容可关注大连人社一二三三三公众号。")  # the link became a pointer
    assert not re.search(r"[0-9%*#/()（）\[\]]|http|www", spoken)
    assert answer.says[-1].startswith("还有别的问题吗？")
    assert_speaks_mandarin(answer)
    turn = server[1].conversation.turns[-1]
    assert (turn.channel, turn.text, turn.message_id) == ("ivr", "失业金标准是多少", f"{phone.call_sid}-1")


def test_after_an_answer_nine_repeats_it_star_returns_and_hash_ends_the_call(phone):
    phone.call()
    first = phone.say("失业金标准是多少").says[0]
    assert phone.press("9").says == [first, say("ivr_follow_up", **menu.KEYS)]
    assert phone.press("*").says == [menu.main_menu()]
    phone.say("失业金标准是多少")
    goodbye = phone.press("#")
    assert goodbye.verbs == ["Say", "Hangup"] and goodbye.says == [say("goodbye", "ivr")]


def test_after_an_answer_a_topic_key_opens_that_submenu(phone):
    phone.call()
    phone.say("失业金标准是多少")
    assert phone.press("3").says == [menu.topic_menu(menu.topic("3"))]


@pytest.mark.parametrize("words", ["没有了，谢谢。", "再见", "不用了", "好的谢谢"])
def test_saying_no_more_questions_ends_the_call(phone, words):
    phone.call()
    phone.say("失业金标准是多少")
    answer = phone.say(words)
    assert answer.says == [say("goodbye", "ivr")] and answer.verbs[-1] == "Hangup"


@pytest.mark.parametrize("words, expected", [("二", menu.topic_menu(menu.topic("2"))), ("按四", menu.topic_menu(menu.topic("4"))),
                                             ("主菜单", menu.main_menu()), ("再说一遍", menu.main_menu())])
def test_menu_choices_can_be_spoken(phone, words, expected):
    phone.call()
    assert phone.say(words).says == [expected]


def test_eligibility_by_keypad_stabilization_refund(phone, server):
    """稳岗返还: 参保职工人数 28#, 裁员人数 3# → the verdict with its computation, read aloud."""
    conversation = server[1].conversation
    phone.call()
    phone.press("1")
    ask_staff = phone.press("2")
    assert ask_staff.says == ["请输入参保职工人数，按井号键结束。" + say("ivr_number_entry_hint")]
    gather = ask_staff.gather
    assert gather.get("finishOnKey") == "#" and gather.get("numDigits") is None
    assert gather.get("input") == "dtmf speech" and gather.get("timeout") == "10"
    ask_layoffs = phone.press("28#")
    assert ask_layoffs.says == ["请输入裁员人数，没有裁员请输入零，按井号键结束。" + say("ivr_number_entry_hint")]
    assert ask_layoffs.gather.get("finishOnKey") == "#"
    verdict = phone.press("3#")
    assert VERDICT in verdict.says[0]
    assert "百分之八十" in verdict.says[0]
    assert verdict.says[-1] == say("ivr_follow_up", **menu.KEYS)
    turns = conversation.turns[-3:]
    assert [t.text for t in turns] == ["我们企业能申请稳岗返还吗？", "28", "3"]
    assert [t.message_id for t in turns] == [f"{phone.call_sid}-{n}" for n in (1, 2, 3)]
    assert {t.channel for t in turns} == {"ivr"} and turns[1].metadata == {"keypad": "28"}


def test_eligibility_numbers_may_be_spoken(phone, server):
    phone.call()
    phone.say("我们企业能申请稳岗返还吗")
    assert "裁员人数" in phone.say("二十八").spoken
    assert VERDICT in phone.press("3#").says[0]
    assert server[1].conversation.turns[-2].text == "二十八"


def test_a_number_entry_with_stray_keys_is_asked_again(phone, server):
    phone.call()
    phone.say("我们企业能申请稳岗返还吗")
    before = len(server[1].conversation.turns)
    answer = phone.press("2*#")
    assert answer.says == [say("ivr_invalid_number"), "请输入参保职工人数，按井号键结束。" + say("ivr_number_entry_hint")]
    assert len(server[1].conversation.turns) == before  # nothing reached the turn logic
    assert answer.gather.get("finishOnKey") == "#"


def test_an_answer_the_turn_logic_cannot_read_is_explained_and_asked_again(phone):
    phone.call()
    phone.say("我们企业能申请稳岗返还吗")
    answer = phone.say("很多人")
    assert answer.says[0] == "人数需要是整数。请问贵单位参保职工有多少人？"
    assert answer.says[-1].startswith("请输入参保职工人数")


def test_star_leaves_the_eligibility_questions(phone):
    phone.call()
    phone.say("我们企业能申请稳岗返还吗")
    assert phone.press("*").says == [menu.main_menu()]


def test_choice_questions_take_their_keys_as_the_rule_table_words(phone, server):
    from bot.core import slots
    from bot.core.turn import Reply

    conversation = server[1].conversation
    original = conversation.handle

    def asks_enterprise_size(turn):
        if turn.text == "测一下":
            conversation.turns.append(turn)
            return Reply(reply="请问贵单位属于中小微企业吗？", asking_for=slots.ENTERPRISE_SIZE)
        return original(turn)

    conversation.handle = asks_enterprise_size
    phone.call()
    question = phone.say("测一下")
    assert question.says == ["中小微企业请按一，其他企业请按二。"]
    assert question.gather.get("numDigits") is None and question.gather.get("finishOnKey") == "#"
    assert phone.press("7").says[0] == say("ivr_invalid_key")
    phone.press("1")
    assert conversation.turns[-1].text == "中小微企业"
