"""Two headless Chromium browsers over real HTTP: a citizen on the web chat (phone-sized) and an
agent in the console (1366×900). The citizen asks for a person, the agent takes the conversation,
they talk, the agent hands back and the bot answers again. Set HOTLINE_SCREENSHOT_DIR to keep
screenshots of both screens.

Run: .venv/bin/python -m pytest -q tests/handoff/test_browser.py
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from bot.core.messages import say
from tests.browser.conftest import CHROMEDRIVER, CHROMIUM, WAIT_SECONDS, ChatPage
from tests.handoff.conftest import PASSWORDS

pytestmark = pytest.mark.browser


def chromium(size: str):
    profile = tempfile.mkdtemp(prefix="hotline-handoff-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-sync", f"--user-data-dir={profile}",
                 f"--window-size={size}", "--lang=zh-CN"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    return driver, profile


@pytest.fixture
def two_browsers():
    citizen, p1 = chromium("390,844")
    agent, p2 = chromium("1366,900")
    try:
        yield citizen, agent
    finally:
        for driver, profile in ((citizen, p1), (agent, p2)):
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)


def shot(driver, name: str) -> None:
    folder = os.environ.get("HOTLINE_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def text_of(driver, css: str) -> str:
    return " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, css))


def test_a_citizen_and_an_agent_talk_through_the_console(server, two_browsers):
    citizen_driver, agent_driver = two_browsers
    wait_agent = WebDriverWait(agent_driver, WAIT_SECONDS)

    # The agent signs in and opens the console: someone is on duty.
    agent_driver.get(server.url + "/staff/login?next=/staff/agent")
    agent_driver.find_element(By.NAME, "username").send_keys("agent")
    agent_driver.find_element(By.NAME, "password").send_keys(PASSWORDS["agent"] + "\n")
    wait_agent.until(EC.text_to_be_present_in_element((By.ID, "duty"), "在线客服：agent"))

    chat = ChatPage(citizen_driver, server.url)
    wait_citizen = chat.wait
    answer = chat.ask("失业保险金标准提高了多少")
    assert "第（八）条" in answer.text
    chat.ask("转人工")
    wait_citizen.until(EC.text_to_be_present_in_element((By.ID, "handoff-status"), "已为您排队，前面还有 0 位"))
    assert "已为您排队，前面还有 0 位" in chat.bot_replies()[-1].text
    shot(citizen_driver, "handoff-citizen-queued")

    # The conversation shows up in the open console, with its topic and transcript.
    item = wait_agent.until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".queue__item.waiting")))
    assert "网页" in item.text and "第 1 位" in item.text
    item.click()
    wait_agent.until(EC.text_to_be_present_in_element((By.ID, "transcript"), "转人工"))
    assert "失业保险金标准提高了多少" in text_of(agent_driver, "#transcript")
    assert "智能助手" in text_of(agent_driver, "#transcript .bot")
    shot(agent_driver, "handoff-console-waiting")
    agent_driver.find_element(By.ID, "take").click()
    wait_agent.until(EC.visibility_of_element_located((By.ID, "reply-text")))

    # Insert a cited answer from the knowledge base, then send.
    agent_driver.find_element(By.ID, "answer-q").send_keys("失业保险金标准")
    suggestion = wait_agent.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#answers button")))
    assert "第" in suggestion.text
    suggestion.click()
    box = agent_driver.find_element(By.ID, "reply-text")
    assert box.get_attribute("value").startswith("根据")
    box.clear()
    box.send_keys("您好，我是人工客服。失业保险金按最低工资标准的90%发放。")
    agent_driver.find_element(By.ID, "send").click()

    # The citizen sees the agent's message as it comes.
    wait_citizen.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".msg--agent .bubble"), "我是人工客服"))
    assert "人工客服 agent" in text_of(citizen_driver, ".msg--agent .msg__name")
    assert "依据：" in text_of(citizen_driver, ".msg--agent")
    wait_citizen.until(EC.text_to_be_present_in_element((By.ID, "handoff-status"), "人工客服 agent 正在为您服务"))

    # The citizen's next message goes to the agent, not the bot.
    box = citizen_driver.find_element(By.ID, "input")
    box.send_keys("明白了，谢谢\n")
    wait_citizen.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#messages"), "消息已送达人工客服 agent"))
    wait_agent.until(EC.text_to_be_present_in_element((By.ID, "transcript"), "明白了，谢谢"))
    shot(citizen_driver, "handoff-citizen-with-agent")
    shot(agent_driver, "handoff-console-serving")

    agent_driver.find_element(By.ID, "handback").click()
    wait_citizen.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#messages"), say("handoff_handed_back")))
    wait_citizen.until(EC.invisibility_of_element_located((By.ID, "handoff-status")))
    wait_agent.until(EC.text_to_be_present_in_element((By.ID, "queue"), "暂无等待人工服务的会话"))

    again = chat.ask("失业保险金标准提高了多少")
    assert "第（八）条" in again.text and again.get_attribute("data-turn-id")
    shot(citizen_driver, "handoff-citizen-back-to-bot")


def login(driver, url: str, username: str, path: str) -> None:
    driver.get(f"{url}/staff/login?next={path}")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORDS[username] + "\n")
    WebDriverWait(driver, WAIT_SECONDS).until(EC.presence_of_element_located((By.CSS_SELECTOR, "header.top nav")))


def test_the_callback_desk_shows_one_row_per_call_in_chinese(server, services, two_browsers):
    from bot.core.turn import Citation, Reply, Turn

    log = services.turn_log
    log.record(Turn(channel="ivr", user_id="CA501", text="失业保险金标准提高了多少", message_id="CA501-1"),
               Reply(reply="……", citations=[Citation("大人社发[2020]38号", 8, "", "")]), 10.0)
    caller = {"caller": "+8613900002222"}
    log.record_call_event("CA501", "handoff", {"reason": "caller_request", "agents": 2, **caller})
    log.record_call_event("CA501", "voicemail", {"recording_url": "https://api.twilio.com/rec/RE501", "duration": 31,
                                                 "dial_status": "no-answer", **caller})
    log.record_call_event("CA501", "status", {"status": "completed", "duration": 95})
    assert log.flush(20)
    viewer_driver, agent_driver = two_browsers
    viewer_driver.set_window_size(1366, 900)

    login(agent_driver, server.url, "agent", "/staff/calls")
    rows = agent_driver.find_elements(By.CSS_SELECTOR, "#calls tbody tr")
    assert len(rows) == 1
    row = rows[0].text
    assert "转人工后留言" in row and "通话已结束 · 人工坐席无人接听，已留言" in row and "completed" not in row
    assert "+8613900002222" in row and "失业保险金标准提高了多少" in row and "第8条" in row
    shot(agent_driver, "callback-desk-agent")

    login(viewer_driver, server.url, "viewer", "/staff/calls")
    row = viewer_driver.find_element(By.CSS_SELECTOR, "#calls tbody tr").text
    assert "尾号 2222" in row and "13900002222" not in row
    agent_driver.get(server.url + "/staff/")
    assert "转人工会话" in agent_driver.find_element(By.ID, "human-service").text
    shot(agent_driver, "overview-human-service")
