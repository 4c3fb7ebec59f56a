"""Dashboard pages with data: figures shown, drill-down, add answer, callbacks, weekly report,
payload questions stored verbatim (masked) and rendered escaped, no CDN.
Run: .venv/bin/python -m pytest -q tests/dashboard/test_pages.py"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot.hotspots import db
from bot.hotspots.log import question_key

from .conftest import seed_turns

PAYLOADS = [
    "<script>alert('xss')</script>失业金怎么领",
    "<img src=x onerror=alert(1)>",
    "'; DROP TABLE turns; --",
    "\" OR 1=1 -- 13812345678",
    "{{ 7*7 }} {% raw %}",
    "</td></tr><a href=javascript:alert(1)>点我</a>",
]

PAGES = ["/staff/", "/staff/hotspots", "/staff/unanswered", "/staff/articles", "/staff/answers",
         "/staff/report/weekly", "/staff/calls", "/staff/audit", "/staff/users"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_without_external_resources(client, staff, path):
    staff.login("admin")
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert not re.search(r'(src|href)="(https?:)?//', response.text), "no CDN or external asset"


def test_overview_shows_the_figures(client, staff):
    staff.login("viewer")
    page = client.get("/staff/").text
    assert "<svg" in page and "每日提问次数（按渠道）" in page and "每日已回答比例" in page
    assert "失业保险金怎么领取？" in page and ">18<" in page  # 18 seeded turns
    assert "72.2%" in page  # 13 of 18 answered


def test_hotspot_list_drills_down_to_examples(client, staff):
    staff.login("viewer")
    page = client.get("/staff/hotspots").text
    key = question_key("失业保险金怎么领取？")
    assert f'/staff/hotspots/{key}' in page
    detail = client.get(f"/staff/hotspots/{key}")
    assert detail.status_code == 200
    assert detail.text.count("失业保险金怎么领取？") >= 6 and "网页" in detail.text and "第14条" in detail.text
    assert client.get("/staff/hotspots/" + "f" * 32).status_code == 404


def test_unanswered_queue_and_add_answer(app, client, staff, services):
    staff.login("editor")
    page = client.get("/staff/unanswered").text
    assert "公积金贷款利率是多少" in page and "超出范围 3" in page and "未找到答案 2" in page
    key = question_key("公积金贷款利率是多少")
    form = client.get(f"/staff/answers/new?key={key}").text
    assert 'value="公积金贷款利率是多少"' in form and "第4条" in form
    response = client.post("/staff/answers/new", data={
        "key": key, "question": "公积金贷款利率是多少", "answer": "本热线不受理公积金业务，请致电 12329。",
        "article": "大人社发[2020]38号#20", "csrf_token": csrf(form)})
    assert response.status_code == 302
    (curated,) = services.curated.active()
    assert (curated.question, curated.article) == ("公积金贷款利率是多少", 20)
    page = client.get("/staff/unanswered").text
    assert "公积金贷款利率是多少" not in table(page, "unanswered")  # answered: out of the open queue
    assert "已添加答案" in client.get("/staff/unanswered?resolved=1").text
    assert "add_answer" in audit_actions(app)


def test_add_answer_errors_are_shown_in_chinese(client, staff, services):
    staff.login("editor")
    form = client.get("/staff/answers/new").text
    response = client.post("/staff/answers/new", data={"question": "问", "answer": "", "article": "大人社发[2020]38号#4",
                                                       "csrf_token": csrf(form)})
    assert response.status_code == 400 and "请填写答案。" in response.text
    assert services.curated.active() == []


def test_withdraw_an_answer(client, staff, services):
    staff.login("editor")
    row = services.curated.add("问题", "答案", "大人社发[2020]38号", 4, created_by="editor")
    response = staff.post(f"/staff/answers/{row.id}/active", {"active": "0"})
    assert response.status_code == 302 and services.curated.active() == []
    assert staff.post("/staff/answers/99999/active", {"active": "1"}).status_code == 404


def test_article_heat_lists_uncovered_articles(client, staff):
    staff.login("viewer")
    page = client.get("/staff/articles").text
    assert "第14条" in page and "无人问及的条款（18）" in page


def test_callback_queue(app, client, staff, services):
    services.turn_log.record_call_event("CA9", "voicemail", {
        "recording_url": "https://api.twilio.com/rec/RE9", "duration": 42, "caller": "+8613812345678"})
    services.turn_log.record_call_event("CA8", "voicemail", {"recording_url": "javascript:alert(1)", "caller": "x"})
    assert services.turn_log.flush(20)
    staff.login("viewer")
    page = client.get("/staff/calls").text
    assert "尾号 5678" in page and "42 秒" in page and "https://api.twilio.com/rec/RE9" in page
    assert "13812345678" not in page and "javascript:alert" not in page  # a viewer does not call back
    client.post("/staff/logout", data={"csrf_token": staff.csrf()})
    staff.login("agent")
    assert "+8613812345678" in client.get("/staff/calls").text  # roles that call back see the number
    event_id = min(r["id"] for r in app.extensions["hotline"].hotspot_analysis.call_queue())
    assert staff.post(f"/staff/calls/{event_id}/handled", {}, token_from="/staff/calls").status_code == 302
    assert len(app.extensions["hotline"].hotspot_analysis.call_queue()) == 1
    assert staff.post(f"/staff/calls/{event_id}/handled", {}, token_from="/staff/calls").status_code == 404


def test_one_call_is_one_row_with_its_status_in_chinese_topic_and_words(app, client, staff, services):
    """A caller asks a question, asks for a person, nobody answers, leaves a message, hangs up:
    four events of one call, one row."""
    from bot.core.turn import Citation, Reply, Turn
    from tests.dashboard.conftest import DOCUMENT

    services.turn_log.record(Turn(channel="ivr", user_id="CA77", text="失业保险金标准提高了多少", message_id="CA77-1"),
                             Reply(reply="……", citations=[Citation(DOCUMENT, 8, "", "")]), 10.0)
    caller = {"caller": "+8613900001111"}
    services.turn_log.record_call_event("CA77", "handoff", {"reason": "caller_request", "agents": 2, **caller})
    services.turn_log.record_call_event("CA77", "voicemail", {
        "recording_url": "https://api.twilio.com/rec/RE77", "duration": 31, "dial_status": "no-answer", **caller})
    services.turn_log.record_call_event("CA77", "status", {"status": "completed", "duration": 95})
    assert services.turn_log.flush(20)
    staff.login("editor")
    page = client.get("/staff/calls").text
    assert page.count('data-call="') == 1
    assert "转人工后留言" in page and "通话已结束 · 人工坐席无人接听，已留言" in page
    assert "completed" not in page and "no-answer" not in page
    assert "“失业保险金标准提高了多少”" in page and "第8条" in page
    assert '<a href="tel:+8613900001111">' in page
    [row] = app.extensions["hotline"].hotspot_analysis.call_queue()
    assert staff.post(f"/staff/calls/{row['id']}/handled", {}, token_from="/staff/calls").status_code == 302
    assert app.extensions["hotline"].hotspot_analysis.call_queue() == []  # every event of the call is handled


def test_weekly_report_prints_cleanly(client, staff):
    staff.login("viewer")
    page = client.get("/staff/report/weekly?week=" + __import__("datetime").date.today().isoformat())
    assert page.status_code == 200 and "12333 政策问答周报" in page.text and "print-button" in page.text
    with client.get("/staff/static/staff.css") as response:
        css = response.text
    assert "@media print" in css and "@page" in css and ".no-print" in css
    bad = client.get("/staff/report/weekly?week=not-a-date")
    assert bad.status_code == 200 and "无法识别" in bad.text


def test_bad_since_falls_back_with_a_notice(client, staff):
    staff.login("viewer")
    page = client.get("/staff/hotspots?since=forever").text
    assert "无法识别" in page and "失业保险金怎么领取？" in page


def test_payload_questions_are_stored_masked_but_verbatim_and_rendered_escaped(app, client, staff, services):
    seed_turns(services.turn_log, [(p, False, "no_match", (), "web") for p in PAYLOADS])
    engine = db.get_engine(app.extensions["hotline"].settings.database_url)
    with engine.connect() as conn:
        stored = {q for (q,) in conn.execute(select(db.TurnRow.question))}
        assert conn.execute(select(func.count()).select_from(db.TurnRow)).scalar_one() == 18 + len(PAYLOADS)
    expected = {p.replace("13812345678", "[手机号]") for p in PAYLOADS}
    assert expected <= stored  # the table survived the "DROP TABLE" and each text is exactly as asked
    staff.login("editor")
    for path in ("/staff/unanswered", "/staff/hotspots", "/staff/", f"/staff/hotspots/{question_key(PAYLOADS[0])}",
                 f"/staff/answers/new?key={question_key(PAYLOADS[1])}"):
        page = client.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page and "<a href=javascript" not in page, path
    page = client.get("/staff/unanswered").text
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "{{ 7*7 }}" in page and ">49<" not in page
    assert "&#39;; DROP TABLE turns; --" in page


def table(html: str, table_id: str) -> str:
    return html[html.index(f'id="{table_id}"'):].split("</table>")[0]


def csrf(html: str) -> str:
    from .conftest import csrf_of

    return csrf_of(html)


def audit_actions(app) -> list[str]:
    engine = db.get_engine(app.extensions["hotline"].settings.database_url)
    with engine.connect() as conn:
        return [r.action for r in conn.execute(select(db.AuditEntry.__table__))]
