"""Fuzzing /staff: every GET page and export with random query parameters and path values, and the
login form with random `next` targets and names, over real HTTP, logged in as an administrator.

Whatever arrives: never a 5xx; a 4xx is the staff error page with a Chinese message (or, for the
JSON report, the one error shape); a redirect never leaves /staff and never carries a control
character. This suite needs no Rasa (the dashboard reads only the log).
"""
from __future__ import annotations

import re
from urllib.parse import quote_from_bytes

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import create_app
from bot.dashboard import auth
from bot.hotspots import db
from bot.runtime.services import Services
from tests.dashboard.conftest import PASSWORDS, SEED, csrf_of, seed_turns
from tests.fixtures.app import serve_app
from tests.fuzz.conftest import CJK, FUZZ_SETTINGS, assert_error_shape, content_type

FUZZ = settings(FUZZ_SETTINGS, max_examples=60)

PARAMS = ["since", "week", "next", "key", "what", "channel", "reason", "resolved", "limit", "all", "user", "page",
          "format", "q"]
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
# Raw bytes percent-encoded as a client may send them: invalid UTF-8, NULs, CR/LF, lone surrogates' bytes.
encoded_bytes = st.binary(max_size=30).map(lambda b: quote_from_bytes(b, safe=""))
# Dates at the ends of the calendar as often as any other: date arithmetic overflows there.
dates = st.one_of(st.dates().map(lambda d: d.isoformat()), st.sampled_from(["0001-01-01", "9999-12-31"]),
                  st.sampled_from(["2020-02-30", "-1", "2020-13-01"]))
controls = st.text(st.characters(whitelist_categories=("Cc", "Cf", "Zl", "Zp")), min_size=1, max_size=5)
values = st.one_of(text, encoded_bytes, dates, controls, st.integers(-2**70, 2**70).map(str),
                   st.sampled_from(["7d", "0d", "999999d", "2w", "24h", "1", "0", "hotspots", "turns", "api"]))
# Mostly one known parameter at a time (each gets its share), sometimes several and unknown ones.
params = st.one_of(st.builds(lambda k, v: {k: v}, st.sampled_from(PARAMS), values),
                   st.builds(lambda k, v: {k: v}, st.sampled_from(PARAMS), dates),
                   st.dictionaries(st.sampled_from(PARAMS) | text, values, max_size=4))


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    from bot.config import Settings

    settings_ = Settings.from_env({}, var_dir=tmp_path_factory.mktemp("dashfuzz") / "var")
    services = Services(settings_)
    app = create_app({"TESTING": True, "HOTSPOT_CLUSTER_INTERVAL": 0}, services=services)
    auth.create_user(db.get_engine(settings_.database_url), "admin", PASSWORDS["admin"], "admin")
    seed_turns(services.turn_log, SEED)
    with serve_app(app) as server:
        browser = requests.Session()
        page = browser.get(server.url + "/staff/login", timeout=30)
        response = browser.post(server.url + "/staff/login", timeout=30, allow_redirects=False, data={
            "username": "admin", "password": PASSWORDS["admin"], "csrf_token": csrf_of(page.text)})
        assert response.status_code == 302
        yield server.url, browser, app
    services.close()
    db.dispose_engine(settings_.database_url)


def get_routes(app) -> list[str]:
    """Every GET rule of the dashboard, path variables as `{name}`."""
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff.") and "GET" in rule.methods and rule.endpoint != "staff.static":
            rules.append(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
    return sorted(rules)


def check_page(response: requests.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.url, response.text[:300])
    if response.is_redirect:
        location = response.headers["Location"]
        assert location.startswith(("/staff", "http://127.0.0.1")) and "/staff" in location, location
        assert location.isprintable(), location
    elif response.status_code >= 400:
        if content_type(response).startswith("application/json"):
            assert_error_shape(response)
        else:
            assert CJK.search(response.text), response.text[:300]


# Values at the edges of what a parameter's parser accepts: each is sent, in a sweep, in every
# parameter every page reads (the random search below rarely lands on one exact value).
EDGES = ["0001-01-01", "9999-12-31", "1969-12-31", "2020-02-30", "-1", "0", str(2**63), "9" * 400, "999999d",
         "0d", "\r\nX-Injected: 1", "%", "\x00", " ", "１２", "²"]


def params_read_by(app, endpoint: str) -> list[str]:
    """The query parameters a dashboard view reads (`request.args.get("…")`, `_period` → since)."""
    import inspect

    from bot.dashboard import views

    source = inspect.getsource(app.view_functions[endpoint])
    names = re.findall(r'request\.(?:args|values)\.get\("(\w+)"', source)
    if "_period(" in source:
        names += re.findall(r'request\.args\.get\("(\w+)"', inspect.getsource(views._period))
    return sorted(set(names))


def test_edge_values_in_every_parameter_of_every_page_never_5xx(dashboard):
    base, browser, app = dashboard
    swept = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff.") or "GET" not in rule.methods or rule.arguments:
            continue
        for name in params_read_by(app, rule.endpoint):
            for value in EDGES:
                check_page(browser.get(base + rule.rule, params={name: value}, allow_redirects=False, timeout=60))
                swept += 1
    assert swept > len(EDGES) * 10  # since, week, next, what, limit, … were found


def test_random_query_parameters_on_every_page_never_5xx(dashboard):
    base, browser, app = dashboard
    routes = get_routes(app)
    assert "/staff/report/weekly" in routes and "/staff/export.csv" in routes
    for route in routes:  # every page gets its own examples
        _fuzz_page(base, browser, route)


def _fuzz_page(base: str, browser: requests.Session, route: str) -> None:
    @settings(FUZZ, max_examples=30)
    @given(params, st.one_of(text, encoded_bytes, st.integers(-2**70, 2**70).map(str)))
    def run(params: dict, path_value: str) -> None:
        path = route.format(**{name: quote_from_bytes(path_value.encode("utf-8"), safe="") or "x"
                               for name in re.findall(r"{(\w+)}", route)})
        query = "&".join(f"{quote_from_bytes(k.encode('utf-8'), safe='')}={v if '%' in v else quote_from_bytes(v.encode('utf-8'), safe='')}"
                         for k, v in params.items())
        check_page(browser.get(base + path + ("?" + query if query else ""), allow_redirects=False, timeout=60))

    run()


def _login(base: str, target: str, username: str, password: str, client_ip: str) -> requests.Response | None:
    browser = requests.Session()
    # A different client behind the (loopback) proxy each time, so lockouts do not mask the rest.
    browser.headers["X-Forwarded-For"] = client_ip
    page = browser.get(base + "/staff/login", params={"next": target}, timeout=60)
    check_page(page)
    if page.status_code != 200:
        return None
    response = browser.post(base + "/staff/login", allow_redirects=False, timeout=60, data={
        "username": username, "password": password, "next": target, "csrf_token": csrf_of(page.text)})
    check_page(response)
    assert "X-Injected" not in response.headers
    return response


def test_edge_login_targets_never_5xx(dashboard):
    base, _, _ = dashboard
    for n, edge in enumerate(EDGES):
        response = _login(base, "/staff/" + edge, "admin", PASSWORDS["admin"], f"198.51.100.{n + 1}")
        assert response is not None and response.status_code == 302


def test_random_login_targets_and_names_never_5xx(dashboard):
    base, _, _ = dashboard

    # Targets under /staff followed by anything: only those get past the open-redirect rule.
    targets = st.one_of(text, encoded_bytes, st.builds(lambda rest: "/staff/" + rest, text | controls),
                        st.builds(lambda a, b: f"/staff/{a}{b}", text, controls), st.sampled_from(["//evil"]))
    client_ips = st.ip_addresses(v=4).map(str)

    @settings(FUZZ, max_examples=60)
    @given(targets, st.sampled_from(["admin", "admin", "admin"]) | text, st.booleans(), client_ips)
    def run(target: str, username: str, right_password: bool, client_ip: str) -> None:
        _login(base, target, username, PASSWORDS["admin"] if right_password else "wrong-pass-1", client_ip)

    run()
