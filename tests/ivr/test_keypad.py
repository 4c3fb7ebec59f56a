"""Every keypad rule of the voice menu, one test each: a key the prompt offers is taken, anything
else is refused with the same prompt again (never cut to a digit, never passed on as an answer).

Run: .venv/bin/python -m pytest -q tests/ivr/test_keypad.py
"""
import pytest

from bot.core import slots
from bot.core.messages import say
from bot.core.turn import Reply
from ivr import menu
from ivr.sim import ScriptedCaller, SimulatedCall
from ivr.speech import read_aloud
from tests.ivr.conftest import TOKEN, FakeConversation, Phone

SIZE_PROMPT = read_aloud("中小微企业请按1，其他企业请按2。")
RATE_PROMPT = read_aloud("请输入裁员率的百分数，小数点请按星号键，按井号键结束。")


class AsksChoices(FakeConversation):
    """The fake turn logic, plus `测一下` → asks `enterprise_size` (press 1 or 2) and then
    `employees`; `裁员率` → asks `layoff_rate` (a number with `*` as the decimal point)."""

    def handle(self, turn):
        if turn.text == "测一下":
            self.turns.append(turn)
            return Reply(reply="请问贵单位属于中小微企业还是其他企业？", asking_for=slots.ENTERPRISE_SIZE, answered=False)
        if turn.text in ("中小微企业", "其他企业"):
            self.turns.append(turn)
            return self._ask(turn, slots.EMPLOYEES, "请问贵单位参保职工有多少人？")
        if turn.text == "养老金怎么领":
            self.turns.append(turn)
            return Reply(reply="本通知未涉及养老金方面的规定。", answered=False, intent="ask_policy",
                         abstain_reason="out_of_scope", suggestions=["转人工"])
        if turn.text == "裁员率":
            self.turns.append(turn)
            return Reply(reply="请问裁员率是多少？", asking_for=slots.LAYOFF_RATE, answered=False)
        return super().handle(turn)


@pytest.fixture
def line(servers):
    live, services = servers.start(conversation=AsksChoices())
    return Phone(live.url), services.conversation


def turn_texts(conversation):
    return [t.text for t in conversation.turns]


def test_main_menu_takes_one_offered_key(line):
    phone, conversation = line
    phone.call()
    assert menu.topic_menu(menu.topic("2")) in phone.press("2").spoken


@pytest.mark.parametrize("keys", ["28", "12", "7", "#"])
def test_main_menu_refuses_an_entry_it_does_not_offer_and_asks_again(line, keys):
    phone, conversation = line
    phone.call()
    answer = phone.press(keys)
    assert answer.says == [say("ivr_invalid_key"), menu.main_menu()]
    assert conversation.turns == []


def test_a_submenu_refuses_a_key_it_does_not_offer(line):
    phone, conversation = line
    phone.call()
    phone.press("1")
    answer = phone.press("7")
    assert answer.says == [say("ivr_invalid_key"), menu.topic_menu(menu.topic("1"))]
    assert conversation.turns == []


def test_a_choice_question_waits_for_the_whole_entry(line):
    phone, _ = line
    phone.call()
    question = phone.say("测一下")
    assert question.says == [SIZE_PROMPT]
    assert question.gather.get("numDigits") is None and question.gather.get("finishOnKey") == "#"


@pytest.mark.parametrize("keys", ["28#", "28", "12", "3", "1*5"])
def test_a_choice_question_refuses_an_entry_that_is_not_one_of_its_keys(line, keys):
    phone, conversation = line
    phone.call()
    phone.say("测一下")
    answer = phone.press(keys)
    assert answer.says == [say("ivr_invalid_key"), SIZE_PROMPT]
    assert turn_texts(conversation) == ["测一下"]  # nothing was passed on as an answer


@pytest.mark.parametrize("keys, text", [("1", "中小微企业"), ("2#", "其他企业")])
def test_a_choice_key_is_answered_with_the_choice_label(line, keys, text):
    phone, conversation = line
    phone.call()
    phone.say("测一下")
    answer = phone.press(keys)
    assert conversation.turns[-1].text == text and conversation.turns[-1].metadata == {"keypad": keys.rstrip("#")}
    assert "请输入参保职工人数" in answer.spoken


def test_a_choice_question_keeps_zero_for_an_agent_nine_to_repeat_and_star_for_the_menu(line):
    phone, _ = line
    phone.call()
    phone.say("测一下")
    assert phone.press("9").says == [SIZE_PROMPT]
    assert phone.press("*").says == [menu.main_menu()]
    phone.say("测一下")
    assert say("ivr_no_agents") in phone.press("0").spoken  # no agents configured: voicemail


@pytest.mark.parametrize("keys, text", [("28#", "28"), ("0#", "0")])
def test_a_number_question_takes_digits_ended_by_hash(line, keys, text):
    phone, conversation = line
    phone.call()
    phone.say("测一下")
    phone.press("1")
    phone.press(keys)
    assert conversation.turns[-1].text == text


def test_a_star_in_a_number_is_the_decimal_point(line):
    phone, conversation = line
    phone.call()
    question = phone.say("裁员率")
    assert RATE_PROMPT in question.spoken
    phone.press("5*5#")
    assert conversation.turns[-1].text == "5.5"


@pytest.mark.parametrize("keys", ["5**5#", "*5#", "5*#"])
def test_a_number_question_refuses_a_malformed_number(line, keys):
    phone, conversation = line
    phone.call()
    phone.say("裁员率")
    answer = phone.press(keys)
    assert answer.says[0] == say("ivr_invalid_number") and RATE_PROMPT in answer.spoken
    assert turn_texts(conversation) == ["裁员率"]


def test_after_an_answer_hash_ends_the_call_and_other_entries_are_refused(line):
    phone, _ = line
    phone.call()
    phone.say("失业金标准是多少")
    assert phone.press("12").says[:2] == [say("ivr_invalid_key"), say("ivr_follow_up", **menu.KEYS)]
    goodbye = phone.press("#")
    assert goodbye.says == [say("goodbye", "ivr")] and goodbye.verbs[-1] == "Hangup"


def test_the_simulator_sends_a_wrong_entry_whole_and_plays_the_refusal(servers):
    live, services = servers.start(conversation=AsksChoices())
    transcript = SimulatedCall(live.url, TOKEN).run(ScriptedCaller(["说:测一下", "28#", "1", "挂断"]))
    presses = [e.text for e in transcript.events if e.kind == "press"]
    assert presses == ["28", "1"]
    heard = transcript.heard()
    assert heard[heard.index(say("ivr_invalid_key")) + 1] == SIZE_PROMPT
    assert turn_texts(services.conversation) == ["测一下", "中小微企业"]


def test_a_question_outside_the_notice_offers_the_agent_key_not_a_chat_quick_reply(line):
    phone, _ = line
    phone.call()
    answer = phone.say("养老金怎么领")
    assert "需要人工服务请按零。" in answer.says and "您可以这样问：转人工" not in answer.spoken
