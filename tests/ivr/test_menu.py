"""Menu words and keys. Run: .venv/bin/python -m pytest -q tests/ivr/test_menu.py"""
import pytest

from bot.core.messages import say
from ivr import menu


def test_the_main_menu_offers_the_five_topics_repeat_and_agent():
    for key, label in (("1", "企业稳岗与用工"), ("2", "失业保险待遇"), ("3", "职业培训补贴"), ("4", "高校毕业生"), ("5", "农民工与创业")):
        assert f"{label}请按{key}" in menu.main_menu()
        assert menu.topic(key).label == label
    assert "重听请按9" in menu.main_menu() and "转人工服务请按0" in menu.main_menu()
    assert menu.topic("6") is None and menu.topic("9") is None


def test_every_submenu_offers_its_questions_and_the_way_back():
    for topic in menu.TOPICS:
        prompt = menu.topic_menu(topic)
        assert 2 <= len(topic.questions) <= 4
        for question in topic.questions:
            assert f"{question.label}请按{question.key}" in prompt
            assert question.text.endswith("？")
        assert "返回主菜单请按星号键" in prompt and "转人工服务请按0" in prompt
        keys = [q.key for q in topic.questions]
        assert menu.KEY_REPEAT not in keys and menu.KEY_AGENT not in keys


@pytest.mark.parametrize(
    "speech, key",
    [("1", "1"), ("一", "1"), ("幺", "1"), ("按二", "2"), ("两", "2"), ("选择3号", "3"), ("按3", "3"),
     ("按零键。", "0"), ("九", "9"), ("十", None), ("失业金", None), ("12", None), ("", None)],
)
def test_a_spoken_digit_counts_as_its_key(speech, key):
    assert menu.spoken_key(speech) == key


@pytest.mark.parametrize(
    "speech, command",
    [("我要转人工。", "转人工"), ("请转人工吧", "转人工"), ("人工服务！", "人工服务"), ("没有了，谢谢。", "没有了谢谢"),
     ("再说一遍", "再说一遍"), ("失业金标准是多少？", "失业金标准是多少")],
)
def test_speech_is_normalised_before_matching_commands(speech, command):
    assert menu.normalise_speech(speech) == command


def test_hints_start_with_the_menu_and_are_deduplicated_and_capped():
    hints = menu.speech_hints(["扩大稳岗返还政策范围", "失业保险金", "失业保险金", "稳岗，返还"], limit=20).split(",")
    assert hints[:5] == [t.label for t in menu.TOPICS]
    assert hints.count("失业保险金") == 1 and "稳岗返还" in hints
    assert len(menu.speech_hints([f"词{i}" for i in range(500)]).split(",")) == menu.MAX_HINTS


@pytest.mark.parametrize(
    "speech, done",
    [("没有了，谢谢。", True), ("谢谢", True), ("再见", True), ("好的，谢谢你", True), ("不用了", True), ("没有问题了，再见", True),
     ("没有找到工作怎么办", False), ("谢谢，我还想问失业金", False), ("", False)],
)
def test_the_caller_saying_they_are_done(speech, done):
    assert menu.is_done(speech) is done


@pytest.mark.parametrize(
    "suggestions, heard",
    [(["失业保险金标准提高了多少？", "转人工"], "您可以这样问：失业保险金标准提高了多少？"),
     (["转人工", "扩大稳岗返还政策范围"], "您可以这样问：扩大稳岗返还政策范围"),
     (["转人工"], "需要人工服务请按0。"), ([], "")],
)
def test_after_a_miss_the_caller_hears_a_question_to_try_or_the_agent_key(suggestions, heard):
    assert menu.spoken_suggestion(suggestions) == heard


@pytest.mark.parametrize("words", ["转人工", "人工", "客服", "我要找人工客服。", "帮我接一下真人", "我要投诉", "给我回个电话"])
def test_the_phone_hears_the_chats_handoff_words(words):
    from bot.dialogue import cues

    assert menu.asks_for_agent(words) and cues.HANDOFF.search(menu.normalise_speech(words))


@pytest.mark.parametrize("words", ["人工智能", "客服电话是多少", "失业保险金标准提高了多少"])
def test_words_that_only_mention_a_person_are_questions(words):
    assert not menu.asks_for_agent(words)
