"""Screenshots of every screen as its user meets it, for anyone to look at (`make screenshots`).

Starts its own `hotline serve` on free ports with a temporary var dir (the Rasa model trained
under the repository's var/ is linked in), plays a little traffic through the chat API (the dev
questions, an eligibility check, a staff answer), groups the questions into hotspots, then drives
Debian's headless Chromium (the browser tests' set-up) and writes PNGs:

    var/screenshots/chat-*.png        the web chat at 390×844 (a phone)
    var/screenshots/staff-*.png       overview, hotspots, weekly report, … at 1366×900
    (plus the chat at 1366×900 and the overview at 390×844)

    .venv/bin/python benchmarks/screenshots.py [--out DIR] [--url URL --user NAME --password PW]

With `--url` it photographs a running server instead (its staff login given by --user/--password)
and sends no traffic of its own.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.bench_chat import DEV_QUESTIONS, start_server, wait_for  # noqa: E402

PHONE = (390, 844)
DESKTOP = (1366, 900)
STAFF_USER, STAFF_PASSWORD = "shots-admin", "shots-Pass-12333"
# Paraphrases asked several times each, so the hotspots page has groups to show.
PARAPHRASES = ["失业保险金标准提高了多少？", "失业金涨了多少", "失业保险金提高了吗", "稳岗返还的裁员率标准是多少？",
               "稳岗返还裁员率放宽到多少", "社保卡丢了怎么补办？", "灵活就业人员社保补贴怎么申请？"]
CHECK = ["我们企业能申请稳岗返还吗？", "中小微企业", "28个人", "裁了3个"]
STAFF_PAGES = [("overview", "/staff/"), ("hotspots", "/staff/hotspots"), ("report", "/staff/report/weekly"),
               ("unanswered", "/staff/unanswered"), ("answers", "/staff/answers"), ("answer-form", "/staff/answers/new"),
               ("articles", "/staff/articles")]


def browser():
    """Headless Chromium as the browser tests start it (tests/browser/conftest.py)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="hotline-shots-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}", "--lang=zh-CN"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def viewport(driver, size: tuple[int, int]) -> None:
    """Make the page's viewport exactly `size` (the window adds its frame around it)."""
    driver.set_window_size(*size)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight];")
    driver.set_window_size(size[0] * 2 - inner[0], size[1] * 2 - inner[1])


def chat(base: str, user: str, text: str, channel: str | None = None) -> dict:
    headers = {"X-Hotline-Channel": channel} if channel else {}
    response = requests.post(base + "/api/chat", json={"user_id": user, "text": text}, headers=headers, timeout=60)
    return response.json()


def wait_for_rasa(base: str, timeout: float = 600) -> None:
    """Until an eligibility question is asked back (Rasa up), not answered from retrieval alone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = chat(base, f"shots-probe-{uuid.uuid4().hex}", CHECK[0])
        if body.get("asking_for"):
            return
        time.sleep(2)
    raise SystemExit("Rasa did not come up; see the serve log")


def play_traffic(base: str) -> None:
    """A morning's questions: the dev set once, paraphrases several times, one check on the web."""
    for n, question in enumerate(DEV_QUESTIONS):
        chat(base, f"shots-dev-{n // 8}", question, "web" if n % 3 == 0 else None)
    for round_ in range(3):
        for n, question in enumerate(PARAPHRASES):
            chat(base, f"shots-para-{round_}-{n}", question, "web")
    user = f"shots-check-{uuid.uuid4().hex}"
    for text in CHECK:
        chat(base, user, text, "web")


def add_staff_answer(var_dir: Path, user: str) -> None:
    """A staff answer to a question the notice does not cover (shown as 工作人员答复)."""
    from bot.config import Settings
    from bot.hotspots.curated import CuratedAnswerStore

    store = CuratedAnswerStore.from_settings(Settings.from_env({}, var_dir=var_dir))
    store.add("社保卡丢了怎么补办？", "请携带本人身份证到就近的社保卡服务网点办理挂失和补办，补办的新卡一般当场可取。",
              created_by=user, team="大连市12333热线政策咨询组")


def hotline(*args: str, env: dict, stdin: str | None = None) -> str:
    result = subprocess.run([str(Path(sys.executable).with_name("hotline")), *args], cwd=REPO_ROOT, env=env,
                            input=stdin, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise SystemExit(f"hotline {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def shoot_chat(driver, base: str, out: Path) -> list[Path]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    viewport(driver, PHONE)
    driver.get(base + "/")
    driver.execute_script("window.localStorage.clear();")
    driver.get(base + "/")
    wait = WebDriverWait(driver, 60)
    shots = [out / "chat-start.png"]
    driver.save_screenshot(str(shots[-1]))

    def ask(text: str) -> None:
        before = len(driver.find_elements(By.CSS_SELECTOR, ".msg--bot[data-turn-id], .notice--error"))
        box = driver.find_element(By.ID, "input")
        box.send_keys(text + "\n")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".msg--bot[data-turn-id], .notice--error")) > before)
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".typing"))
        time.sleep(0.3)

    steps = [
        ("chat-answer", ["稳岗返还的裁员率标准是多少？"]),
        ("chat-choices", ["我们企业能申请稳岗返还吗？"]),
        ("chat-verdict", ["中小微企业", "28个人", "裁了3个"]),
        ("chat-staff-answer", ["社保卡丢了怎么补办？"]),
        ("chat-out-of-scope", ["公积金贷款利率是多少"]),
    ]
    for name, texts in steps:
        for text in texts:
            ask(text)
        if name == "chat-verdict":  # a vote cast, as a citizen would
            ups = driver.find_elements(By.CSS_SELECTOR, ".msg--bot[data-turn-id] .feedback__btn--up")
            if ups:
                ups[-1].click()
                time.sleep(0.5)
        shots.append(out / f"{name}.png")
        driver.save_screenshot(str(shots[-1]))
    box = driver.find_element(By.ID, "input")
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", box, "请问" * 1000)
    driver.find_element(By.ID, "send").click()
    time.sleep(0.5)
    shots.append(out / "chat-too-long.png")
    driver.save_screenshot(str(shots[-1]))
    viewport(driver, DESKTOP)  # the same conversation on a desktop browser
    shots.append(out / "chat-desktop.png")
    driver.save_screenshot(str(shots[-1]))
    return shots


def shoot_staff(driver, base: str, out: Path, user: str, password: str) -> list[Path]:
    from selenium.webdriver.common.by import By

    viewport(driver, DESKTOP)
    driver.get(base + "/staff/login")
    shots = [out / "staff-login.png"]
    driver.save_screenshot(str(shots[-1]))
    driver.find_element(By.NAME, "username").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(password + "\n")
    time.sleep(1)
    for name, path in STAFF_PAGES:
        driver.get(base + path)
        time.sleep(0.5)
        shots.append(out / f"staff-{name}.png")
        driver.save_screenshot(str(shots[-1]))
    driver.get(base + "/staff/hotspots")
    links = driver.find_elements(By.CSS_SELECTOR, "a.hotspot-link")
    if links:  # the drill-down of the hottest question
        links[0].click()
        time.sleep(0.5)
        shots.append(out / "staff-hotspot-detail.png")
        driver.save_screenshot(str(shots[-1]))
    viewport(driver, PHONE)  # a supervisor glancing at the figures on a phone
    driver.get(base + "/staff/")
    time.sleep(0.5)
    shots.append(out / "staff-overview-phone.png")
    driver.save_screenshot(str(shots[-1]))
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "var" / "screenshots")
    parser.add_argument("--url", help="photograph this running server instead of starting one")
    parser.add_argument("--user", default=STAFF_USER)
    parser.add_argument("--password", default=STAFF_PASSWORD)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    process = None
    with tempfile.TemporaryDirectory(prefix="hotline-shots-") as tmp:
        try:
            if args.url:
                base = args.url.rstrip("/")
            else:
                process, base, _ = start_server(Path(tmp))
                env = {**os.environ, "HOTLINE_VAR_DIR": str(Path(tmp) / "var")}
                env.pop("HOTLINE_DATABASE_URL", None)
                wait_for(base + "/api/openapi.json", 600, process)
                print("waiting for Rasa …", flush=True)
                wait_for_rasa(base)
                hotline("staff", "create-admin", "--username", args.user, env=env,
                        stdin=f"{args.password}\n{args.password}\n")
                add_staff_answer(Path(tmp) / "var", args.user)
                print("playing traffic …", flush=True)
                play_traffic(base)
                print(hotline("hotspots", "cluster", env=env).strip(), flush=True)
            driver = browser()
            try:
                shots = shoot_chat(driver, base, args.out) + shoot_staff(driver, base, args.out, args.user, args.password)
            finally:
                driver.quit()
        finally:
            if process is not None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=60)
    for shot in shots:
        print(shot.relative_to(REPO_ROOT) if shot.is_relative_to(REPO_ROOT) else shot)


if __name__ == "__main__":
    main()
