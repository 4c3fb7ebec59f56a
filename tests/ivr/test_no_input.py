"""Silence and misunderstanding: two reprompts, then the keypad menu, then a human or goodbye.

Run: .venv/bin/python -m pytest -q tests/ivr/test_no_input.py
"""
import pytest

from bot.core.messages import say
from ivr import menu
from tests.ivr.conftest import AGENTS

ABSTAIN = "抱歉，这个问题在现有政策文件中没有找到依据。"
SUGGEST = "您可以这样问：失业保险金标准提高了多少？"
KEYPAD = [say("ivr_keypad_menu_intro"), menu.main_menu(keypad=True)]


def test_silence_reprompts_twice_then_offers_the_keypad_menu_then_says_goodbye(phone, server):
    phone.call()
    for _ in range(2):
        answer = phone.silence()
        assert answer.says == [say("ivr_no_input"), menu.main_menu()]
        assert answer.gather.get("input") == "dtmf speech"
    keypad = phone.silence()
    assert keypad.says == [say("ivr_no_input"), *KEYPAD]
    # Keys are asked for, words are still heard (a request for a person must get through).
    assert keypad.gather.get("input") == "dtmf speech"
    goodbye = phone.silence()
    assert goodbye.verbs == ["Say", "Say", "Hangup"] and goodbye.says == [say("ivr_no_input"), say("goodbye", "ivr")]
    assert server[1].turn_log.of("handoff") == []  # nobody to hand over to


def test_silence_ends_with_a_transfer_when_agents_are_configured(agent_phone, agent_server):
    agent_phone.call()
    for _ in range(3):
        agent_phone.silence()
    transfer = agent_phone.silence()
    assert transfer.verbs == ["Say", "Say", "Dial"]
    assert transfer.says == [say("ivr_no_input"), say("handoff", "ivr")]
    assert transfer.numbers == list(AGENTS)
    [(sid, _, data)] = agent_server[1].turn_log.of("handoff")
    assert sid == agent_phone.call_sid and data["reason"] == "no_progress" and data["agents"] == 2


def test_not_understood_speech_follows_the_same_path(phone, server):
    phone.call()
    for _ in range(2):
        answer = phone.say("火星移民政策")
        assert answer.says == [ABSTAIN, say("ivr_try_again"), SUGGEST, menu.main_menu()]
    assert phone.say("火星移民政策").says == [ABSTAIN, say("ivr_try_again"), SUGGEST, *KEYPAD]
    assert phone.press("8").says == [say("ivr_invalid_key"), say("goodbye", "ivr")]
    assert [t.text for t in server[1].conversation.turns] == ["火星移民政策"] * 3


def test_invalid_keys_follow_the_same_path(agent_phone):
    agent_phone.call()
    assert agent_phone.press("7").says == [say("ivr_invalid_key"), menu.main_menu()]
    assert agent_phone.press("#").says == [say("ivr_invalid_key"), menu.main_menu()]
    assert agent_phone.press("*").says == [say("ivr_invalid_key"), *KEYPAD]
    assert agent_phone.press("6").first("Dial") is not None


def test_the_keypad_menu_works_with_keys(phone):
    phone.call()
    for _ in range(3):
        phone.silence()
    assert phone.press("3").says == [menu.topic_menu(menu.topic("3"))]


def test_progress_resets_the_count(phone):
    phone.call()
    phone.silence()
    phone.silence()
    assert phone.press("1").says == [menu.topic_menu(menu.topic("1"))]
    assert phone.silence().says == [say("ivr_no_input"), menu.topic_menu(menu.topic("1"))]
    assert phone.silence().says == [say("ivr_no_input"), menu.topic_menu(menu.topic("1"))]


@pytest.mark.parametrize(
    "setup, prompt",
    [
        (lambda p: p.press("4"), menu.topic_menu(menu.topic("4"))),
        (lambda p: p.say("失业金标准是多少"), say("ivr_follow_up", **menu.KEYS)),
        (lambda p: p.say("我们企业能申请稳岗返还吗"), "请输入参保职工人数，按井号键结束。" + say("ivr_number_entry_hint")),
    ],
    ids=["submenu", "after-an-answer", "eligibility-question"],
)
def test_silence_repeats_the_question_that_was_asked(phone, setup, prompt):
    phone.call()
    setup(phone)
    for _ in range(2):
        assert phone.silence().says == [say("ivr_no_input"), prompt]
    assert phone.silence().says == [say("ivr_no_input"), *KEYPAD]
    assert phone.silence().says == [say("ivr_no_input"), say("goodbye", "ivr")]


def test_an_eligibility_answer_not_understood_three_times_falls_back_to_the_keypad_menu(phone):
    phone.call()
    phone.say("我们企业能申请稳岗返还吗")
    phone.say("很多人")
    phone.say("不少")
    assert phone.say("一大堆").says[-2:] == KEYPAD


def test_a_gather_that_posts_nothing_counts_as_silence(phone):
    phone.call()
    answer = phone._follow(phone.url("/ivr/input"), {"Digits": "", "SpeechResult": ""})
    assert answer.says == [say("ivr_no_input"), menu.main_menu()]


def test_a_failing_turn_logic_is_heard_as_not_understood_and_the_turn_is_still_logged(phone, server):
    def explode(turn):
        raise RuntimeError("conversation down")

    server[1].conversation.handle = explode
    phone.call()
    answer = phone.say("失业金标准是多少")
    assert answer.says[0].startswith("抱歉，系统暂时无法回答您的问题")
    assert "一二三三三" in answer.says[0]
    assert answer.says[-1] == menu.main_menu()
    [(turn, reply)] = server[1].turn_log.records
    assert turn.channel == "ivr" and reply.abstain_reason == "error"


def test_a_broken_reply_still_gets_the_caller_a_polite_goodbye(phone):
    phone.call()
    answer = phone.say("坏回复")
    assert answer.says == [say("system_error", "ivr"), say("goodbye", "ivr")] and answer.verbs[-1] == "Hangup"


def test_a_broken_reply_with_agents_goes_to_a_human(agent_phone, agent_server):
    agent_phone.call()
    answer = agent_phone.say("坏回复")
    assert answer.says == [say("system_error", "ivr"), say("handoff", "ivr")] and answer.numbers == list(AGENTS)
    assert agent_server[1].turn_log.of("handoff")[0][2]["reason"] == "error"


@pytest.mark.parametrize("words", ["我要找人工客服", "帮我转人工吧", "有没有真人接听", "接线员"])
def test_asking_for_a_person_after_silences_rings_the_agents(agent_phone, agent_server, words):
    agent_phone.call()
    for _ in range(3):  # two reprompts, then the keypad menu
        agent_phone.silence()
    transfer = agent_phone.say(words)
    assert transfer.verbs[-1] == "Dial" and transfer.numbers == list(AGENTS)
    [(_, _, data)] = agent_server[1].turn_log.of("handoff")
    assert data["reason"] == "caller_request"


def test_asking_for_a_person_without_agents_takes_a_voicemail_never_hangs_up(phone, server):
    phone.call()
    phone.silence()
    phone.silence()
    answer = phone.say("我要找人工客服")
    assert "Hangup" not in answer.verbs[:answer.verbs.index("Record")] and answer.first("Record") is not None
    assert say("ivr_no_agents") in answer.says and say("ivr_voicemail_prompt") in answer.says
    assert server[1].conversation.turns == []  # a request for a person never waits on the bot


def test_pressing_0_in_the_keypad_menu_rings_the_agents(agent_phone):
    agent_phone.call()
    for _ in range(3):
        agent_phone.silence()
    assert agent_phone.press("0").numbers == list(AGENTS)
