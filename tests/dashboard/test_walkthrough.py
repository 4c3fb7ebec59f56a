"""What a supervisor meets in the first minutes: the icon, the CSV download, the weekly report's
first week, and hotspots that read the same on the page and in `hotline hotspots`.

Run: .venv/bin/python -m pytest -q tests/dashboard/test_walkthrough.py
"""
from __future__ import annotations

import datetime as dt
import json
import re

from click.testing import CliRunner

from bot.cli import main
from bot.dashboard import views
from bot.hotspots.clustering import HotspotClusterer


def test_every_page_links_an_icon_that_exists(client, staff):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/staff/login").text
    staff.login("viewer")
    for path in ("/", "/staff/", "/staff/hotspots"):
        page = client.get(path).text
        assert '<link rel="icon" href="/favicon.ico"' in page, path


def test_the_csv_export_names_its_charset_once(client, staff):
    staff.login("viewer")
    response = client.get("/staff/export.csv?what=hotspots")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_the_weekly_report_opens_on_this_week_when_it_has_questions(client, staff):
    staff.login("viewer")
    page = client.get("/staff/report/weekly").text
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    assert f"{monday:%Y-%m-%d} 至" in page and "本周没有提问" not in page and "失业保险金怎么领取？" in page


def test_the_weekly_report_opens_on_the_last_week_with_questions(client, staff, monkeypatch):
    asked = dt.date.today()
    monkeypatch.setattr(views, "today", lambda: asked + dt.timedelta(days=21))  # three quiet weeks later
    staff.login("viewer")
    page = client.get("/staff/report/weekly").text
    monday = asked - dt.timedelta(days=asked.weekday())
    assert f"{monday:%Y-%m-%d} 至" in page and "失业保险金怎么领取？" in page


def page_hotspots(client) -> list[tuple[str, int, int]]:
    html = client.get("/staff/hotspots?since=7d").text
    body = html[html.index('id="hotspots"'):].split("</table>")[0]
    rows = re.findall(r'class="hotspot-link"[^>]*>([^<]+)</a>.*?<td class="num">(\d+)</td>.*?'
                      r'<td class="num">\d+%</td><td class="num">(\d+)</td>', body, re.S)
    return [(q, int(n), int(w)) for q, n, w in rows]


def page_grouping(client) -> str:
    html = client.get("/staff/hotspots?since=7d").text
    return re.search(r'id="grouping">([^<]+)<', html).group(1)


def cli_report(settings) -> dict:
    env = {"HOTLINE_DATABASE_URL": settings.database_url, "HOTLINE_VAR_DIR": str(settings.var_dir)}
    result = CliRunner().invoke(main, ["hotspots", "--since", "7d", "--format", "json", "--limit", "100"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def cli_table(settings) -> str:
    env = {"HOTLINE_DATABASE_URL": settings.database_url, "HOTLINE_VAR_DIR": str(settings.var_dir)}
    return CliRunner().invoke(main, ["hotspots", "--since", "7d"], env=env).output


def test_the_hotspots_page_and_the_cli_agree_and_say_how_fresh_the_grouping_is(app, client, staff, services):
    settings = services.settings
    staff.login("viewer")

    def agree():
        report = cli_report(settings)
        cli = [(h["question"], h["count"], h["wordings"]) for h in report["hotspots"]]
        assert page_hotspots(client) == cli
        assert report["grouping"]["text"] in page_grouping(client)
        assert report["grouping"]["text"] in cli_table(settings)
        return report

    before = agree()  # nothing grouped yet: each wording on its own, and both say so
    assert before["grouping"]["pending_wordings"] == 5 and "尚未归类" in before["grouping"]["text"]

    HotspotClusterer.from_settings(settings).run(full=True)
    app.extensions["hotspot_analysis"].forget_cache()
    after = agree()
    assert after["grouping"]["pending_wordings"] == 0 and "同义问法归类更新于" in after["grouping"]["text"]
    assert "本期的问法都已归类" in after["grouping"]["text"]
