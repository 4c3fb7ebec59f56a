"""The web chat in real headless Chromium against the real app: the real conversation, the real
Rasa and action servers (session fixture `rasa_stack`) and the real turn log on SQLite.

Ask, read the cited answer, complete a three-turn 稳岗返还 eligibility dialogue, give feedback and
find it stored with its turn, drive the page from the keyboard, and see errors in Chinese.
Run: `.venv/bin/python -m pytest -q tests/browser` (starts Rasa once, ~1–2 minutes).
"""
from __future__ import annotations

from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import select

from bot.app import create_app
from bot.channels import ApiChannel, WebChannel
from bot.core import slots as S
from bot.hotspots.db import FeedbackRow, TurnRow
from tests.browser.conftest import ChatPage
from tests.fixtures.app import serve_app

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ART4_LABEL = "依据：大人社发[2020]38号第（四）条“扩大稳岗返还政策范围”"


@pytest.fixture(scope="module")
def app(rasa_stack, rasa_services):
    """The app as `hotline serve` builds it, on the session's Rasa and services."""
    return create_app({"TESTING": True}, services=rasa_services)


@pytest.fixture(scope="module")
def server(app):
    with serve_app(app) as server:
        yield server


@pytest.fixture
def page(browser, server):
    return ChatPage(browser, server.url)


def bubble(message) -> str:
    return message.find_element(By.CSS_SELECTOR, ".bubble").text


def test_page_is_chinese_labelled_and_loads_nothing_from_elsewhere(page, server):
    driver = page.driver
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    assert page.find(".topbar__title").text == "大连人社 12333"
    assert page.find("#input").get_attribute("aria-label") == "输入您的问题"
    assert page.find("#send").get_attribute("aria-label") == "发送"
    assert page.find("#messages").get_attribute("role") == "log"
    starters = page.find_all(".quick-reply")
    assert starters and starters[0].text == "我的企业能申请稳岗返还吗？"
    origin = urlparse(server.url).netloc
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name);")
    assert resources and all(urlparse(r).netloc == origin for r in resources)


def test_ask_a_question_and_see_the_cited_clause(page):
    answer = page.ask("稳岗返还的裁员率标准是多少？")
    assert "5.5%" in bubble(answer)
    chips = answer.find_elements(By.CSS_SELECTOR, ".citation__chip")
    assert chips[0].text == ART4_LABEL
    chip = chips[0]
    if chip.get_attribute("aria-controls"):  # the answer does not quote the clause: the chip opens it
        quote = answer.find_element(By.CSS_SELECTOR, "#" + chip.get_attribute("aria-controls"))
        assert chip.get_attribute("aria-expanded") == "false" and not quote.is_displayed()
        chip.click()
        assert chip.get_attribute("aria-expanded") == "true" and quote.is_displayed()
        assert "裁员率" in quote.text and quote.text.rstrip("…") not in bubble(answer)
        chip.send_keys(Keys.ENTER)  # the chip is a button: the keyboard folds it again
        assert chip.get_attribute("aria-expanded") == "false" and not quote.is_displayed()
    else:  # the answer quotes it already: the chip names the source and nothing repeats the clause
        assert "裁员率" in bubble(answer)
        assert not [q for q in answer.find_elements(By.CSS_SELECTOR, ".citation__quote") if q.is_displayed()]
    assert page.user_id().startswith("web-")


def test_a_three_turn_eligibility_dialogue(page):
    """The question, then the two facts the check asks for, one per turn."""
    answers = {S.ENTERPRISE_SIZE: "中小微企业", S.LAYOFFS: "裁了3个", S.EMPLOYEES: "28个人"}
    reply = page.ask("我们公司能申请稳岗返还吗")
    turns = 1
    while reply.get_attribute("data-asking-for"):
        slot = reply.get_attribute("data-asking-for")
        assert slot in answers, bubble(reply)
        chips = [b for b in page.find_all(".quick-reply") if b.text == answers[slot]]
        if chips:  # tap the quick reply the form offers, as a user would
            before = len(page.bot_replies())
            chips[0].click()
            page.wait.until(lambda d: len(page.bot_replies()) > before and not page.find_all(".typing"))
            reply = page.bot_replies()[-1]
        else:
            reply = page.ask(answers[slot])
        turns += 1
        assert turns <= 3, bubble(reply)
    assert turns == 3
    text = bubble(reply)
    assert "3/28 ≈ 10.7% ≤ 20%" in text and "符合条件" in text
    assert reply.find_element(By.CSS_SELECTOR, ".citation__chip").text == ART4_LABEL


def test_feedback_is_stored_with_its_turn(page, rasa_services):
    answer = page.ask("稳岗返还的裁员率标准是多少？")
    turn_id = answer.get_attribute("data-turn-id")
    thumbs_down = answer.find_element(By.CSS_SELECTOR, ".feedback__btn--down")
    assert thumbs_down.get_attribute("aria-label") == "没帮助"
    thumbs_down.click()
    page.wait.until(lambda d: thumbs_down.get_attribute("aria-pressed") == "true")
    assert "感谢" in answer.find_element(By.CSS_SELECTOR, ".feedback__status").text
    log = rasa_services.turn_log
    assert log.flush(timeout=60)
    with log.engine.connect() as conn:
        feedback = conn.execute(select(FeedbackRow.value).where(FeedbackRow.turn_id == turn_id)).scalar_one()
        turn = conn.execute(select(TurnRow).where(TurnRow.message_id == turn_id)).mappings().one()
    assert feedback == "down"
    assert turn["channel"] == "web" and turn["question"] == "稳岗返还的裁员率标准是多少？"


def test_everything_works_from_the_keyboard(page):
    page.find("#input").click()
    page.driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)  # back to the last starter topic
    before = len(page.bot_replies())
    page.driver.switch_to.active_element.send_keys(Keys.ENTER)
    page.wait.until(lambda d: len(page.bot_replies()) > before and not page.find_all(".typing"))
    assert page.find_all(".msg--user .bubble")[-1].text == "农民工有哪些帮扶政策？"
    assert bubble(page.bot_replies()[-1])  # answered (or told why not), from the keyboard alone


def test_a_handoff_is_shown_clearly(page):
    # No agent has the console open here: the citizen is told at once, with 12333 (bot/handoff).
    reply = page.ask("转人工")
    assert "人工" in reply.text and "12333" in reply.text
    page.wait.until(lambda d: page.find("#handoff-status").is_displayed())
    assert "人工客服" in page.find("#handoff-status").text


def test_errors_are_shown_in_chinese(browser, rasa_services):
    app = create_app({"TESTING": True}, services=rasa_services, channels=[ApiChannel(user_limit=1), WebChannel()])
    with serve_app(app) as server:
        page = ChatPage(browser, server.url)
        page.ask("你好")
        page.find("#input").send_keys("还在吗\n")
        page.wait.until(lambda d: page.find_all(".notice--error"))
        error = page.find(".notice--error")
        assert error.get_attribute("role") == "alert"
        assert "请求过于频繁" in error.text
