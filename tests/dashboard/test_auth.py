"""Access to /staff: login, roles on every route, CSRF, cookies, throttling, audit.
Run: .venv/bin/python -m pytest -q tests/dashboard/test_auth.py"""
from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from bot.app import create_app
from bot.dashboard import auth
from bot.hotspots import db

from .conftest import PASSWORDS, csrf_of

SAMPLE_ARGS = {"key": "0" * 32, "answer_id": 1, "event_id": 1, "session_id": 1, "action": "take"}


def staff_routes(app):
    """(endpoint, url, methods, required role) of every protected dashboard route."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff.") or rule.endpoint in ("staff.login", "staff.static", "staff.logout"):
            continue
        view = app.view_functions[rule.endpoint]
        url = rule.build({a: SAMPLE_ARGS[a] for a in rule.arguments}, append_unknown=False)[1]
        routes.append((rule.endpoint, url, rule.methods - {"HEAD", "OPTIONS"}, view.required_role))
    return routes


def test_every_route_is_protected(app):
    routes = staff_routes(app)
    assert len(routes) >= 17
    assert {r[3] for r in routes} == {"viewer", "agent", "editor", "admin"}


def test_anonymous_visitors_are_sent_to_login(app, client):
    token = csrf_of(client.get("/staff/login").text)
    for endpoint, url, methods, _ in staff_routes(app):
        for method in methods:
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 302, (endpoint, method)
            assert response.headers["Location"].startswith("/staff/login?next="), endpoint


@pytest.mark.parametrize("role", ["viewer", "agent", "editor"])
def test_a_role_cannot_use_what_needs_a_higher_one(app, client, staff, role):
    staff.login(role)
    token = staff.csrf()
    checked = 0
    for endpoint, url, methods, needed in staff_routes(app):
        if auth.role_at_least(role, needed):
            continue
        for method in methods:
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 403, (endpoint, method)
            assert "没有执行此操作的权限" in response.text
            checked += 1
    assert checked >= {"viewer": 10, "agent": 4, "editor": 2}[role]


def test_viewer_cannot_add_an_answer_but_editor_can(client, staff, services):
    staff.login("viewer")
    form = {"question": "问", "answer": "答", "article": "大人社发[2020]38号#4"}
    assert staff.post("/staff/answers/new", form).status_code == 403
    assert services.curated.active() == []
    client.post("/staff/logout", data={"csrf_token": staff.csrf()})
    staff.login("editor")
    assert staff.post("/staff/answers/new", form).status_code == 302
    assert [a.question for a in services.curated.active()] == ["问"]


def test_login_logout_and_redirect_back(client, staff):
    response = client.get("/staff/hotspots?since=14d")
    assert response.headers["Location"] == "/staff/login?next=/staff/hotspots?since%3D14d"
    page = client.get(response.headers["Location"])
    response = client.post("/staff/login", data={"username": "viewer", "password": PASSWORDS["viewer"],
                                                 "next": "/staff/hotspots?since=14d", "csrf_token": csrf_of(page.text)})
    assert response.headers["Location"] == "/staff/hotspots?since=14d"
    assert client.get("/staff/hotspots").status_code == 200
    client.post("/staff/logout", data={"csrf_token": staff.csrf()})
    assert client.get("/staff/hotspots").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/api/chat", "/staff\\@evil"])
def test_no_open_redirect_after_login(client, target):
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={"username": "admin", "password": PASSWORDS["admin"],
                                                 "next": target, "csrf_token": csrf_of(page.text)})
    assert response.headers["Location"] == "/staff/"


def test_wrong_password_is_refused_and_audited(app, client):
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={"username": "admin", "password": "wrong-password-1",
                                                 "csrf_token": csrf_of(page.text)})
    assert response.status_code == 401 and "用户名或密码不正确" in response.text
    engine = db.get_engine(app.extensions["hotline"].settings.database_url)
    with engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(db.AuditEntry.__table__))]
    assert "login_failed" in actions


def test_five_failures_lock_the_name_for_a_while(client):
    for _ in range(5):
        client.post("/staff/login", data={"username": "editor", "password": "nope-nope-1",
                                          "csrf_token": csrf_of(client.get("/staff/login").text)})
    response = client.post("/staff/login", data={"username": "editor", "password": PASSWORDS["editor"],
                                                  "csrf_token": csrf_of(client.get("/staff/login").text)})
    assert response.status_code == 401 and "5 分钟后再试" in response.text


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_posts_without_a_valid_csrf_token_are_refused(client, staff, services, token):
    staff.login("editor")
    data = {"question": "问", "answer": "答", "article": "大人社发[2020]38号#4"}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/staff/answers/new", data=data)
    assert response.status_code == 400 and "CSRF" in response.text
    assert services.curated.active() == []


def test_login_itself_needs_csrf(client):
    response = client.post("/staff/login", data={"username": "admin", "password": PASSWORDS["admin"]})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_session_cookie_flags(client, staff):
    response = staff.login("viewer")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookie_is_secure_behind_https(settings):
    from dataclasses import replace

    from bot.runtime.services import Services

    services = Services(replace(settings, public_url="https://hotline.example.cn"))
    app = create_app({"TESTING": True, "HOTSPOT_CLUSTER_INTERVAL": 0}, services=services)
    auth.create_user(db.get_engine(settings.database_url), "admin", PASSWORDS["admin"], "admin")
    client = app.test_client()
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={"username": "admin", "password": PASSWORDS["admin"],
                                                 "csrf_token": csrf_of(page.text)})
    assert "Secure" in response.headers["Set-Cookie"]
    services.close()


def test_a_deactivated_account_loses_its_session(app, client, staff):
    staff.login("editor")
    assert client.get("/staff/").status_code == 200
    engine = db.get_engine(app.extensions["hotline"].settings.database_url)
    editor = next(u for u in auth.list_users(engine) if u.username == "editor")
    auth.update_user(engine, editor.id, active=False)
    assert client.get("/staff/").status_code == 302


def test_the_last_admin_cannot_be_removed(app):
    engine = db.get_engine(app.extensions["hotline"].settings.database_url)
    admin = next(u for u in auth.list_users(engine) if u.username == "admin")
    with pytest.raises(auth.StaffError, match="至少需要保留一个"):
        auth.update_user(engine, admin.id, role="viewer")


def test_admin_creates_a_user_and_the_audit_log_shows_it(client, staff):
    staff.login("admin")
    response = staff.post("/staff/users", {"action": "create", "username": "zhang", "password": "Zhang-pass-01",
                                           "role": "editor"}, token_from="/staff/users")
    assert response.status_code == 302
    weak = staff.post("/staff/users", {"action": "create", "username": "li", "password": "short", "role": "viewer"},
                      token_from="/staff/users")
    assert weak.status_code == 400 and "至少需要 10 个字符" in weak.text
    page = client.get("/staff/audit").text
    assert "create_user" in page and "zhang" in page and "login" in page


def test_security_headers(client, staff):
    staff.login("viewer")
    response = client.get("/staff/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"


# --- over real HTTP: what a probe found (issue 17, findings 9 and 10) ----------------------------

def _http_login(base: str, role: str = "admin", headers: dict | None = None, next_: str | None = None,
                password: str | None = None) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    browser.headers.update(headers or {})
    page = browser.get(base + "/staff/login", timeout=10)
    form = {"username": role, "password": password or PASSWORDS[role], "csrf_token": csrf_of(page.text)}
    if next_ is not None:
        form["next"] = next_
    return browser, browser.post(base + "/staff/login", data=form, allow_redirects=False, timeout=10)


def test_a_cookie_replayed_after_logout_opens_nothing(live_server):
    browser, response = _http_login(live_server.url, "admin")
    assert response.status_code == 302
    stolen = dict(browser.cookies)  # a copy taken while logged in (another tab, a proxy log, a thief)
    assert browser.get(live_server.url + "/staff/users", allow_redirects=False, timeout=10).status_code == 200
    token = csrf_of(browser.get(live_server.url + "/staff/", timeout=10).text)
    assert browser.post(live_server.url + "/staff/logout", data={"csrf_token": token},
                        allow_redirects=False, timeout=10).status_code == 302
    replay = requests.get(live_server.url + "/staff/users", cookies=stolen, allow_redirects=False, timeout=10)
    assert replay.status_code == 302 and "/staff/login" in replay.headers["Location"]
    # Logging in again works, with a new session.
    browser, response = _http_login(live_server.url, "admin")
    assert browser.get(live_server.url + "/staff/users", allow_redirects=False, timeout=10).status_code == 200


def test_the_session_cookie_lives_as_long_as_the_session(live_server):
    import email.utils
    import time as _time

    _, response = _http_login(live_server.url, "viewer")
    cookie = response.headers["Set-Cookie"]
    expires = email.utils.parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1)).timestamp()
    lifetime = expires - _time.time()
    assert abs(lifetime - auth.SESSION_HOURS * 3600) < 120, f"cookie lives {lifetime / 3600:.1f} h"


@pytest.mark.parametrize("target", ["/staff/\r\nX-Injected: 1", "/staff/\nSet-Cookie: a=b", "/staff/\x00",
                                    "/staff/\u2028x"])
def test_a_next_with_control_characters_is_a_safe_redirect(live_server, target):
    _, response = _http_login(live_server.url, "admin", next_=target)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/") and "X-Injected" not in response.headers
    assert "Set-Cookie: a=b" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("week", ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"])
def test_weekly_report_out_of_range_is_400_in_chinese(live_server, week):
    browser, _ = _http_login(live_server.url, "viewer")
    response = browser.get(live_server.url + "/staff/report/weekly", params={"week": week}, timeout=10)
    assert response.status_code == 400
    assert "周报日期须在 2000-01-01 至 2099-12-31 之间" in response.text


@pytest.mark.parametrize("week", ["2000-01-01", "2099-12-31"])
def test_weekly_report_at_the_range_ends_renders(live_server, week):
    browser, _ = _http_login(live_server.url, "viewer")
    assert browser.get(live_server.url + "/staff/report/weekly", params={"week": week}, timeout=10).status_code == 200


def test_behind_a_local_proxy_the_lockout_is_per_client_and_audited_with_its_address(app, live_server):
    # The live server is reached over loopback, so it is "a local reverse proxy": X-Forwarded-For counts.
    attacker = {"X-Forwarded-For": "203.0.113.66"}
    for _ in range(auth.LOGIN_FAILURES_MAX):
        _, response = _http_login(live_server.url, "editor", headers=attacker, password="wrong-pass-1")
        assert response.status_code == 401
    _, response = _http_login(live_server.url, "editor", headers=attacker)
    assert response.status_code == 401 and "5 分钟后再试" in response.text
    # The real editor, from another address behind the same proxy, is not locked out.
    _, response = _http_login(live_server.url, "editor", headers={"X-Forwarded-For": "198.51.100.7"})
    assert response.status_code == 302
    engine = db.get_engine(app.extensions["hotline"].settings.database_url)
    with engine.connect() as conn:
        entries = [(r.action, r.ip) for r in conn.execute(select(db.AuditEntry.__table__))]
    assert ("login_failed", "203.0.113.66") in entries and ("login", "198.51.100.7") in entries
