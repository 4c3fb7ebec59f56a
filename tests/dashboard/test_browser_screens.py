"""The staff pages as a supervisor meets them, in headless Chromium at 1366×900: the tab icon, the
hotspots page saying how fresh its grouping is, the weekly report's first week, and a staff answer
that cites nothing, from the form to the citizen's chat (the last one with the real Rasa stack).

Run: .venv/bin/python -m pytest -q tests/dashboard/test_browser_screens.py
"""
from __future__ import annotations

import datetime as dt
import secrets
import shutil
import tempfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from bot.app import create_app
from bot.dashboard import auth
from bot.hotspots import db
from bot.hotspots.clustering import HotspotClusterer
from tests.fixtures.app import serve_app

from .conftest import PASSWORDS, SEED, seed_turns

pytestmark = pytest.mark.browser

WAIT_SECONDS = 30  # an upper bound for slow shared cores, never a timing assertion


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="hotline-staff-screens-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1366,900", "--lang=zh-CN"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def site(services):
    """The app over HTTP on a fresh database with the seed questions and an account per role."""
    app = create_app({"TESTING": True, "HOTSPOT_CLUSTER_INTERVAL": 0}, services=services)
    engine = db.get_engine(services.settings.database_url)
    for role, password in PASSWORDS.items():
        auth.create_user(engine, role, password, role)
    seed_turns(services.turn_log, SEED)
    with serve_app(app) as server:
        yield server, app


def log_in(browser, url: str, role: str = "viewer", password: str | None = None):
    browser.delete_all_cookies()
    browser.get(url + "/staff/login")
    wait = WebDriverWait(browser, WAIT_SECONDS)
    wait.until(EC.presence_of_element_located((By.ID, "username"))).send_keys(role)
    browser.find_element(By.ID, "password").send_keys(password or PASSWORDS[role])
    browser.find_element(By.ID, "login-submit").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "header.top nav")))
    return wait


def icon_loads(browser) -> bool:
    """Whether the icon the page names for its tab loads as an image."""
    return browser.execute_async_script(
        "const done = arguments[0]; const link = document.querySelector('link[rel=icon]');"
        "if (!link) { done(false); return; }"
        "const img = new Image(); img.onload = () => done(img.naturalWidth > 0); img.onerror = () => done(false);"
        "img.src = link.href;"
    )


def after_click(wait, button):
    """Click a button that reloads the answers list; the list's first row once reloaded."""
    button.click()
    wait.until(EC.staleness_of(button))
    return wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#answers tbody tr")))


def test_every_page_shows_an_icon_in_its_tab(browser, site):
    server, _ = site
    for path in ("/", "/staff/login"):
        browser.get(server.url + path)
        assert icon_loads(browser), path
    log_in(browser, server.url)
    browser.get(server.url + "/staff/")
    assert icon_loads(browser)


def test_the_hotspots_page_says_how_fresh_its_grouping_is(browser, site, services):
    server, app = site
    log_in(browser, server.url)
    browser.get(server.url + "/staff/hotspots")
    grouping = browser.find_element(By.ID, "grouping")
    assert grouping.is_displayed() and "问法尚未归类：5 种问法暂时各自单独列出。" in grouping.text
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#hotspots tbody tr")]
    assert len(rows) == 5

    HotspotClusterer.from_settings(services.settings).run(full=True)
    app.extensions["hotline"].hotspot_analysis.forget_cache()
    browser.refresh()
    grouping = browser.find_element(By.ID, "grouping")
    assert "同义问法归类更新于" in grouping.text and "本期的问法都已归类" in grouping.text


def test_the_weekly_report_opens_on_this_week(browser, site):
    server, _ = site
    log_in(browser, server.url)
    browser.find_element(By.LINK_TEXT, "周报").click()
    head = WebDriverWait(browser, WAIT_SECONDS).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".report-head")))
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    assert f"{monday:%Y-%m-%d} 至" in head.text and "本周，截至今天" in head.text
    assert "本周没有提问" not in browser.find_element(By.TAG_NAME, "main").text


def test_a_staff_answer_citing_nothing_is_written_edited_reviewed_and_retired(browser, site, services):
    server, _ = site
    wait = log_in(browser, server.url, "editor")
    browser.get(server.url + "/staff/answers/new")
    browser.find_element(By.ID, "question").send_keys("社保卡丢了怎么补办")
    article = Select(browser.find_element(By.ID, "article"))
    assert article.first_selected_option.text == "不引用通知条款（显示为“工作人员答复”）"
    browser.find_element(By.ID, "answer").send_keys("请携带身份证到社保卡服务网点挂失补办。")
    team = browser.find_element(By.ID, "team")
    team.clear()
    team.send_keys("12333热线政策组")
    browser.find_element(By.ID, "publish").click()
    row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#answers tbody tr")))
    assert "工作人员答复（不引用条款）" in row.text and "12333热线政策组" in row.text and "待审核" in row.text
    assert not row.find_elements(By.XPATH, ".//button[text()='审核通过']")  # not by its own author

    row.find_element(By.LINK_TEXT, "修改").click()
    answer = wait.until(EC.presence_of_element_located((By.ID, "answer")))
    answer.clear()
    answer.send_keys("请携带身份证到任一社保卡服务网点挂失补办，新卡当场可取。")
    row = after_click(wait, browser.find_element(By.ID, "publish"))
    assert "新卡当场可取" in row.text

    wait = log_in(browser, server.url, "admin")
    browser.get(server.url + "/staff/answers")
    row = after_click(wait, browser.find_element(By.XPATH, "//button[text()='审核通过']"))
    assert "已审核" in row.text and "admin" in row.text
    row = after_click(wait, row.find_element(By.XPATH, ".//button[text()='停用']"))
    assert "已停用" in row.text and services.curated.active() == []


@pytest.mark.integration
def test_the_citizen_sees_a_staff_answer_as_such(browser, rasa_stack, rasa_services):
    """The real chain: the form, the curated store, retrieval, the dialogue and the chat page."""
    app = create_app({"TESTING": True, "HOTSPOT_CLUSTER_INTERVAL": 0}, services=rasa_services)
    username, password = f"editor-{secrets.token_hex(3)}", f"Editor-{secrets.token_hex(6)}"
    auth.create_user(db.get_engine(rasa_services.settings.database_url), username, password, "editor")
    question, text = "社保卡丢了怎么补办？", "请携带本人身份证到社保卡服务网点办理挂失和补办。"
    with serve_app(app) as server:
        wait = log_in(browser, server.url, username, password)
        browser.get(server.url + "/staff/answers/new")
        browser.find_element(By.ID, "question").send_keys(question)
        browser.find_element(By.ID, "answer").send_keys(text)
        browser.find_element(By.ID, "publish").click()
        wait.until(EC.presence_of_element_located((By.ID, "answers")))

        browser.get(server.url + "/")
        browser.execute_script("window.localStorage.clear();")
        browser.get(server.url + "/")
        wait.until(EC.element_to_be_clickable((By.ID, "send"))).click()
        before = len(browser.find_elements(By.CSS_SELECTOR, ".msg--bot[data-turn-id]"))
        browser.find_element(By.ID, "input").send_keys(question + "\n")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".msg--bot[data-turn-id]")) > before)
        reply = browser.find_elements(By.CSS_SELECTOR, ".msg--bot[data-turn-id]")[-1]
        assert text in reply.find_element(By.CSS_SELECTOR, ".bubble").text
        signature = reply.find_element(By.CSS_SELECTOR, ".bubble__signature").text
        assert signature.startswith("——工作人员答复（大连市12333热线，") and "依据" not in reply.text
        assert reply.find_element(By.CSS_SELECTOR, ".feedback__btn--up").is_displayed()
