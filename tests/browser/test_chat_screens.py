"""The web chat as a citizen sees it, screen by screen, in headless Chromium at phone size.

The page renders the chat API's fields; here a scripted turn logic answers with exactly the
replies whose rendering is checked (a cited answer, a question back with choices, small talk, a
staff answer, …), so each test states what a person sees, whatever the dialogue engine says today.
The real dialogue is exercised by `test_web_chat.py`.

Run: .venv/bin/python -m pytest -q tests/browser/test_chat_screens.py
"""
from __future__ import annotations

import threading

import pytest
from selenium.webdriver.common.by import By

from bot.app import create_app
from bot.core import slots as S
from bot.core.turn import TEXT_MAX, Citation, Reply
from bot.runtime.services import Services
from tests.browser.conftest import ChatPage
from tests.fixtures.app import serve_app

pytestmark = pytest.mark.browser

DOCUMENT = "大人社发[2020]38号"
QUOTE = "失业保险金标准由现行当地最低工资标准的85%上调至90%"
ARTICLE_8 = Citation(DOCUMENT, 8, "提高失业人员基本待遇标准", QUOTE)
RELATED_TITLE = "扩大稳岗返还政策范围"  # article 4's title: a suggestion naming it is a related article
TOPICS = ["稳岗返还能申请吗", "失业保险金标准提高了吗"]

REPLIES = {
    # the answer quotes the clause itself: the citation names its source without repeating it
    "引用原文": Reply(reply=f"根据第（八）条：“{QUOTE}”。", citations=[ARTICLE_8], intent="ask_policy",
                  suggestions=[RELATED_TITLE, "转人工"]),
    # the answer does not quote it: the citation opens to show the clause
    "直接回答": Reply(reply="提高了：从最低工资标准的85%提高到90%。", citations=[ARTICLE_8], intent="ask_policy"),
    "稳岗返还": Reply(reply="请问贵单位属于中小微企业，还是其他企业？", answered=False, intent="check",
                  asking_for=S.ENTERPRISE_SIZE, suggestions=["中小微企业", "其他企业"]),
    # small talk, even when a dialogue engine marks it answered
    "你好": Reply(reply="您好！请问有什么可以帮您？", answered=True, intent="greet", suggestions=TOPICS + ["转人工"]),
    "核对": Reply(reply="符合条件：3/28 ≈ 10.7% ≤ 20%。", intent="check_stabilization_refund"),
    "社保卡丢了": Reply(reply="请携带身份证到社保卡服务网点挂失补办。\n——工作人员答复（大连市12333热线，2026年12月3日）",
                   intent="ask_policy"),
    "养老金": Reply(reply="本通知未涉及养老金方面的规定。", answered=False, intent="ask_policy",
                 abstain_reason="out_of_scope", suggestions=["失业保险金标准提高了吗？", "转人工"]),
}


class ScriptedConversation:
    """Answers from `REPLIES`; logs each turn like the real conversation, so 👍/👎 are stored."""

    def __init__(self, services):
        self.services = services
        self.turns = []
        self._lock = threading.Lock()

    def handle(self, turn):
        with self._lock:
            self.turns.append(turn)
        reply = REPLIES.get(turn.text) or Reply(reply="好的。", answered=False, intent="chitchat")
        self.services.turn_log.record(turn, reply, 1.0)
        return reply


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory):
    from bot.config import Settings

    settings = Settings.from_env({}, var_dir=tmp_path_factory.mktemp("chat-screens") / "var")
    services = Services(settings)
    services.conversation = ScriptedConversation(services)
    with serve_app(create_app({"TESTING": True}, services=services)) as server:
        yield server, services
    services.turn_log.close()


@pytest.fixture
def page(browser, chat_server):
    browser.set_window_size(390, 844)
    return ChatPage(browser, chat_server[0].url)


def visible(element, css):
    return [e for e in element.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]


def bar(page):
    """The quick replies under the conversation: (label or "", [(text, kind)])."""
    labels = visible(page.driver, "#quick-replies .quick-replies__label")
    buttons = visible(page.driver, "#quick-replies .quick-reply")
    kinds = [next(c.split("--")[1] for c in b.get_attribute("class").split() if "--" in c) for b in buttons]
    return (labels[0].text if labels else ""), [(b.text, k) for b, k in zip(buttons, kinds)]


def test_a_quoted_clause_is_not_repeated_under_the_answer(page):
    answer = page.ask("引用原文")
    assert QUOTE in answer.find_element(By.CSS_SELECTOR, ".bubble").text
    (source,) = visible(answer, ".citation__chip")
    assert source.text == "依据：大人社发[2020]38号第（八）条“提高失业人员基本待遇标准”"
    source.click()  # naming the source only: nothing opens, the clause is not shown twice
    assert [q for q in visible(answer, ".citation__quote")] == []
    assert answer.text.count(QUOTE) == 1


def test_a_clause_the_answer_does_not_quote_opens_under_it(page):
    answer = page.ask("直接回答")
    (chip,) = visible(answer, ".citation__chip")
    assert not visible(answer, ".citation__quote")
    chip.click()
    (quote,) = visible(answer, ".citation__quote")
    assert quote.text == QUOTE


def test_answers_can_be_rated_and_the_chosen_thumb_looks_chosen(page, chat_server):
    answer = page.ask("直接回答")
    up = answer.find_element(By.CSS_SELECTOR, ".feedback__btn--up")
    down = answer.find_element(By.CSS_SELECTOR, ".feedback__btn--down")
    untouched = up.value_of_css_property("background-color")
    up.click()
    page.wait.until(lambda d: up.get_attribute("aria-pressed") == "true")
    assert "感谢您的反馈" in answer.text
    assert up.value_of_css_property("opacity") == "1"  # not greyed out
    assert up.value_of_css_property("background-color") != untouched  # highlighted
    assert float(down.value_of_css_property("opacity")) < 1 and down.get_attribute("aria-pressed") == "false"
    down.click()  # the vote is cast: a second one is not sent
    assert down.get_attribute("aria-pressed") == "false"


@pytest.mark.parametrize("question", ["稳岗返还", "你好", "养老金"])
def test_questions_back_small_talk_and_abstentions_have_nothing_to_rate(page, question):
    reply = page.ask(question)
    assert not reply.find_elements(By.CSS_SELECTOR, ".feedback__btn")
    assert "有帮助" not in reply.text


def test_a_verdict_can_be_rated(page):
    assert visible(page.ask("核对"), ".feedback__btn--up")


def test_a_staff_answer_can_be_rated_and_shows_who_answered(page):
    answer = page.ask("社保卡丢了")
    signature = answer.find_element(By.CSS_SELECTOR, ".bubble__signature")
    assert signature.text == "——工作人员答复（大连市12333热线，2026年12月3日）"
    assert visible(answer, ".feedback__btn--up")


def test_choices_are_offered_as_choices_not_as_questions(page):
    page.ask("稳岗返还")
    label, items = bar(page)
    assert label == "请选择：" and items == [("中小微企业", "choice"), ("其他企业", "choice")]
    assert "您可以问" not in page.find("#quick-replies").text


def test_suggested_questions_are_labelled_as_questions_and_the_handoff_as_an_action(page):
    page.ask("你好")
    label, items = bar(page)
    assert label == "您可以问：" and items == [(t, "question") for t in TOPICS] + [("转人工", "action")]
    page.ask("养老金")
    label, items = bar(page)
    assert label == "您可以问：" and items == [("失业保险金标准提高了吗？", "question"), ("转人工", "action")]


def test_related_articles_are_listed_with_the_answer_not_as_questions(page):
    answer = page.ask("引用原文")
    related = visible(answer, ".related")
    assert related and related[0].text.splitlines() == ["相关条款：", RELATED_TITLE]
    label, items = bar(page)
    assert items == [("转人工", "action")] and label == ""  # only the hand-off is left below
    assert RELATED_TITLE not in page.find("#quick-replies").text


def test_a_paste_over_the_limit_is_refused_with_the_limit_stated(page, chat_server):
    conversation = chat_server[1].conversation
    before = len(conversation.turns)
    text = "问" * (TEXT_MAX * 2)
    box = page.find("#input")
    page.driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", box, text)
    counter = page.find("#counter")
    assert counter.is_displayed() and counter.text == f"{TEXT_MAX * 2}/{TEXT_MAX} 字，超出 {TEXT_MAX} 字"
    page.find("#send").click()
    page.wait.until(lambda d: page.find_all(".notice--error"))
    notice = page.find_all(".notice--error")[-1].text
    assert notice == f"问题不能超过 {TEXT_MAX} 个字（现在 {TEXT_MAX * 2} 个字），请删减后再发送。"
    assert box.get_attribute("value") == text  # nothing was cut or lost
    assert len(conversation.turns) == before and not page.find_all(".msg--user")
    page.driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", box, "你好")
    assert not counter.is_displayed()
