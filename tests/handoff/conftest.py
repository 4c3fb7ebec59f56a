"""Human-service fixtures: the real app (real conversation in its degraded mode, since no Rasa
runs here: 转人工 is recognised by its words and policy questions are answered from the real
retriever), a real SQLite log, staff accounts of every role, a fake WeChat API, and helpers to
chat, log in and act in the console over real HTTP.

Run: .venv/bin/python -m pytest -q tests/handoff
"""
from __future__ import annotations

import re
import shutil
import socket
import time
from pathlib import Path

import pytest
import requests

from bot.app import create_app
from bot.config import Settings
from bot.dashboard import auth
from bot.hotspots import db
from bot.runtime.services import Services
from tests.fixtures.app import serve_app
from tests.handoff.fake_wechat import APP_ID, APP_SECRET, FakeWeChatApi

PASSWORDS = {"admin": "admin-pass-123", "editor": "editor-pass-123", "agent": "agent-pass-123",
             "agent2": "agent2-pass-123", "viewer": "viewer-pass-123"}
ROLE_OF = {"agent2": "agent"}
ALWAYS = "1-7 00:00-24:00"
NEVER_TODAY = "1-7 00:00-00:01"  # one minute after midnight: closed during any test run
WECHAT_TOKEN = "handofftoken123"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory) -> Path:
    """One built retrieval index for the session (copied into each test's var/)."""
    var = tmp_path_factory.mktemp("handoff-index")
    services = Services(Settings.from_env({}, var_dir=var))
    services.retriever  # builds and warms the index
    services.close()
    return var / "index"


@pytest.fixture(scope="session")
def wechat_api():
    api = FakeWeChatApi()
    yield api
    api.close()


def make_services(tmp_path, index_dir, wechat_api, hours=ALWAYS) -> Services:
    var = tmp_path / "var"
    shutil.copytree(index_dir, var / "index")
    settings = Settings.from_env(
        {}, var_dir=var, rasa_url=f"http://127.0.0.1:{closed_port()}", rasa_timeout=1.0, agent_hours=hours,
        wechat_token=WECHAT_TOKEN, wechat_app_id=APP_ID, wechat_app_secret=APP_SECRET,
        wechat_api_base_url=wechat_api.url, rate_limit_user=0, rate_limit_ip=0,
    )
    return Services(settings)


@pytest.fixture
def hours():
    return ALWAYS


@pytest.fixture
def services(tmp_path, index_dir, wechat_api, hours):
    services = make_services(tmp_path, index_dir, wechat_api, hours)
    yield services
    services.close()
    db.dispose_engine(services.settings.database_url)


@pytest.fixture
def app(services):
    app = create_app({"TESTING": True, "HOTSPOT_CLUSTER_INTERVAL": 0}, services=services)
    engine = db.get_engine(services.settings.database_url)
    for name, password in PASSWORDS.items():
        auth.create_user(engine, name, password, ROLE_OF.get(name, name))
    return app


@pytest.fixture
def server(app):
    with serve_app(app) as live:
        yield live


class Citizen:
    """A citizen on the web chat API (as the page calls it)."""

    def __init__(self, url: str, user_id: str, channel: str = "web"):
        self.url, self.user_id, self.channel = url, user_id, channel
        self.after = 0

    def say(self, text: str) -> dict:
        response = requests.post(self.url + "/api/chat", json={"user_id": self.user_id, "text": text},
                                 headers={"X-Hotline-Channel": self.channel}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def poll(self) -> dict:
        response = requests.get(self.url + "/api/handoff", params={"user_id": self.user_id, "after": self.after},
                                headers={"X-Hotline-Channel": self.channel}, timeout=10)
        assert response.status_code == 200, response.text
        view = response.json()
        for message in view["messages"]:
            self.after = max(self.after, message["id"])
        return view

    def wait_for_message(self, timeout: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.poll()["messages"]
            if messages:
                return messages
            time.sleep(0.1)
        raise AssertionError("no agent message reached the citizen")


class Agent:
    """A staff member in the console, over HTTP with a cookie session."""

    def __init__(self, url: str, username: str):
        self.url, self.username = url, username
        self.http = requests.Session()
        page = self.http.get(url + "/staff/login", timeout=10).text
        response = self.http.post(url + "/staff/login", data={
            "username": username, "password": PASSWORDS[username], "csrf_token": csrf_of(page),
        }, timeout=10)
        assert response.status_code == 200 and "退出" in response.text, response.text[:300]
        self.csrf = csrf_of(response.text)

    def queue(self) -> dict:
        response = self.http.get(self.url + "/staff/agent/queue.json", timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def conversation(self, session_id: int) -> dict:
        return self.http.get(f"{self.url}/staff/agent/c/{session_id}.json", timeout=10).json()

    def act(self, session_id: int, action: str, **fields) -> requests.Response:
        return self.http.post(f"{self.url}/staff/agent/c/{session_id}/{action}",
                              data={"csrf_token": self.csrf, **fields}, timeout=30)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(r'data-csrf="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)
