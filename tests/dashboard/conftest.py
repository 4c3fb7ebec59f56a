"""Dashboard fixtures (the flaskr conftest shape): `app` on a temporary SQLite database with staff
accounts of every role and logged turns, `client`, and `staff` to log in and out.

Run: .venv/bin/python -m pytest -q tests/dashboard
"""
from __future__ import annotations

import re
import secrets

import pytest

from bot.app import create_app
from bot.core.turn import Citation, Reply, Turn
from bot.dashboard import auth
from bot.hotspots import db
from bot.runtime.services import Services

DOCUMENT = "大人社发[2020]38号"
PASSWORDS = {"admin": "admin-pass-123", "editor": "editor-pass-123", "agent": "agent-pass-123",
             "viewer": "viewer-pass-123"}


def seed_turns(log, items):
    """Record turns: items of (text, answered, reason, articles, channel)."""
    batch = secrets.token_hex(4)
    for n, (text, answered, reason, articles, channel) in enumerate(items):
        log.record(
            Turn(channel=channel, user_id=f"user-{n % 7}", text=text, message_id=f"seed-{batch}-{n}"),
            Reply(reply="答复", answered=answered, abstain_reason=reason, intent="policy_question",
                  confidence=0.8 if answered else 0.2,
                  citations=[Citation(DOCUMENT, a, "", "") for a in articles]),
            40.0,
        )
    assert log.flush(30)


SEED = (
    [("失业保险金怎么领取？", True, None, (14,), "web")] * 6
    + [("怎么领失业保险金", True, None, (14,), "wechat")] * 3
    + [("稳岗返还标准是多少？", True, None, (4,), "api")] * 4
    + [("公积金贷款利率是多少", False, "out_of_scope", (), "web")] * 3
    + [("灵活就业人员社保补贴怎么申请？", False, "no_match", (), "ivr")] * 2
)


@pytest.fixture
def services(settings):
    services = Services(settings)
    yield services
    services.close()
    db.dispose_engine(settings.database_url)


@pytest.fixture
def app(services):
    app = create_app({"TESTING": True, "HOTSPOT_CLUSTER_INTERVAL": 0}, services=services)
    engine = db.get_engine(services.settings.database_url)
    for role, password in PASSWORDS.items():
        auth.create_user(engine, role, password, role)
    seed_turns(services.turn_log, SEED)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


class StaffActions:
    def __init__(self, client):
        self._client = client

    def login(self, role: str = "admin", password: str | None = None):
        page = self._client.get("/staff/login")
        return self._client.post(
            "/staff/login",
            data={"username": role, "password": password or PASSWORDS[role], "csrf_token": csrf_of(page.text)},
        )

    def csrf(self, path: str = "/staff/") -> str:
        return csrf_of(self._client.get(path).text)

    def post(self, path: str, data: dict, token_from: str = "/staff/"):
        return self._client.post(path, data={**data, "csrf_token": self.csrf(token_from)})


@pytest.fixture
def staff(client):
    return StaffActions(client)
