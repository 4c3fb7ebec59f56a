"""Headless Chromium (Debian's chromium + chromedriver) driving the web chat served over real HTTP."""
from __future__ import annotations

import shutil
import tempfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_SECONDS = 30  # an upper bound for slow shared CI cores, never a timing assertion


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session, with a phone-sized window."""
    profile = tempfile.mkdtemp(prefix="hotline-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=390,844", "--lang=zh-CN",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class ChatPage:
    """The web chat as a user sees it."""

    def __init__(self, driver, url: str):
        self.driver = driver
        self.wait = WebDriverWait(driver, WAIT_SECONDS)
        driver.get(url + "/")
        driver.execute_script("window.localStorage.clear();")
        driver.get(url + "/")
        self.wait.until(EC.element_to_be_clickable((By.ID, "send")))

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def bot_replies(self):
        return self.find_all(".msg--bot[data-turn-id]")

    def ask(self, text: str):
        """Type a question, press Enter, wait for the answer; returns the new bot message element."""
        before = len(self.bot_replies()) + len(self.find_all(".notice--error"))
        box = self.find("#input")
        box.send_keys(text)
        box.send_keys("\n")
        self.wait.until(lambda d: len(self.bot_replies()) + len(self.find_all(".notice--error")) > before)
        self.wait.until(lambda d: not self.find_all(".typing"))
        replies = self.bot_replies()
        return replies[-1] if replies else None

    def user_id(self) -> str:
        return self.driver.execute_script("return window.localStorage.getItem('hotline12333.userId');")
