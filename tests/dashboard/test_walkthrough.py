"""What a supervisor meets in the first minutes: the icon, the CSV download, the weekly report's
first week, and hotspots that read the same on the page and in `hotline hotspots`.

Run: .venv/bin/python -m pytest -q tests/dashboard/test_walkthrough.py
"""
from __future__ import annotations

import datetime as dt
import json
import re

from click.testing import CliRunner

from bot.runtime.cli import main
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
    assert f"{monday:%Y-%m-%d} 至" in page and "本周，截至今天" in page
    assert "本周没有提问" not in page and "失业保险金怎么领取？" in page


def test_the_weekly_report_opens_on_the_last_week_with_questions(client, staff, monkeypatch):
    asked = dt.date.today()
    monkeypatch.setattr(views, "today", lambda: asked + dt.timedelta(days=21))  # three quiet weeks later
    staff.login("viewer")
    page = client.get("/staff/report/weekly").text
    monday = asked - dt.timedelta(days=asked.weekday())
    assert f"{monday:%Y-%m-%d} 至" in page and "失业保险金怎么领取？" in page and "截至今天" not in page
    assert "上周无提问" in page


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
    app.extensions["hotline"].hotspot_analysis.forget_cache()
    after = agree()
    assert after["grouping"]["pending_wordings"] == 0 and "同义问法归类更新于" in after["grouping"]["text"]
    assert "本期的问法都已归类" in after["grouping"]["text"]


def test_a_staff_answer_may_cite_nothing_and_is_edited_reviewed_and_retired(app, client, staff, services):
    staff.login("editor")
    form = client.get("/staff/answers/new").text
    assert "不引用通知条款" in form and 'id="team"' in form and 'id="expires_on"' in form
    response = staff.post("/staff/answers/new", {
        "question": "社保卡丢了怎么补办", "answer": "请携带身份证到社保卡服务网点挂失补办。", "article": "",
        "team": "12333热线政策组", "expires_on": "2100-01-01"}, token_from="/staff/answers/new")
    assert response.status_code == 302
    (answer,) = services.curated.active()
    assert (answer.article, answer.team, str(answer.expires_on)) == (None, "12333热线政策组", "2100-01-01")
    listing = client.get("/staff/answers").text
    assert "工作人员答复（不引用条款）" in listing and "待审核" in listing and "2100-01-01" in listing
    assert "审核通过" not in listing  # the author does not review their own answer

    edit = client.get(f"/staff/answers/{answer.id}/edit").text
    assert "请携带身份证到社保卡服务网点挂失补办。" in edit and 'value="12333热线政策组"' in edit
    assert staff.post(f"/staff/answers/{answer.id}/edit", {
        "question": "社保卡丢了怎么补办", "answer": "请携带身份证到任一社保卡服务网点挂失补办，当场可取新卡。",
        "article": "", "team": "12333热线政策组", "expires_on": ""}, token_from="/staff/answers").status_code == 302
    assert [a.answer for a in services.curated.active()] == ["请携带身份证到任一社保卡服务网点挂失补办，当场可取新卡。"]
    bad = staff.post(f"/staff/answers/{answer.id}/edit", {"question": "问", "answer": "答", "article": "",
                                                         "expires_on": "2020-01-01"}, token_from="/staff/answers")
    assert bad.status_code == 400 and "有效期不能早于今天。" in bad.text

    client.post("/staff/logout", data={"csrf_token": staff.csrf()})
    staff.login("admin")
    assert staff.post(f"/staff/answers/{answer.id}/review", {}, token_from="/staff/answers").status_code == 302
    listing = client.get("/staff/answers").text
    assert "已审核" in listing and "admin" in listing
    assert staff.post(f"/staff/answers/{answer.id}/active", {"active": "0"}, token_from="/staff/answers").status_code == 302
    assert services.curated.active() == [] and "已停用" in client.get("/staff/answers").text
    assert staff.post("/staff/answers/99999/review", {}, token_from="/staff/answers").status_code == 404
    assert client.get("/staff/answers/99999/edit").status_code == 404
