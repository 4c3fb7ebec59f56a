"""CSV and XLSX exports parse back with the csv module and openpyxl.
Run: .venv/bin/python -m pytest -q tests/dashboard/test_exports.py"""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from .conftest import seed_turns


def parse_csv(response) -> list[dict]:
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads it as UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_turns_csv(client, staff):
    staff.login("viewer")
    response = client.get("/staff/export.csv?what=turns&since=7d")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = parse_csv(response)
    assert len(rows) == 18
    assert {r["渠道"] for r in rows} == {"网页", "微信", "接口", "电话"}
    assert sum(r["已回答"] == "是" for r in rows) == 13
    assert {r["未答原因"] for r in rows if r["已回答"] == "否"} == {"超出范围", "未找到答案"}
    assert all(len(r["用户（假名）"]) == 16 and not r["用户（假名）"].startswith("user") for r in rows)


@pytest.mark.parametrize(("what", "column", "first"), [
    ("hotspots", "问题", "失业保险金怎么领取？"),
    ("unanswered", "问题", "公积金贷款利率是多少"),
    ("articles", "条款", "14"),
])
def test_summary_csvs(client, staff, what, column, first):
    staff.login("viewer")
    rows = parse_csv(client.get(f"/staff/export.csv?what={what}"))
    assert rows[0][column] == first


def test_unknown_export_is_a_chinese_400(client, staff):
    staff.login("viewer")
    response = client.get("/staff/export.csv?what=passwords")
    assert response.status_code == 400 and "不支持的导出类型" in response.text


def test_formulas_are_neutralised(client, staff, services):
    seed_turns(services.turn_log, [("=HYPERLINK(\"http://evil\",\"x\")", False, "no_match", (), "web")])
    staff.login("viewer")
    rows = parse_csv(client.get("/staff/export.csv?what=turns"))
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in {r["问题（已脱敏）"] for r in rows}
    book = openpyxl.load_workbook(io.BytesIO(client.get("/staff/export.xlsx").data))
    cells = [c for row in book["问答明细"].iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" for c in cells)


def test_xlsx_has_every_sheet(client, staff):
    staff.login("viewer")
    response = client.get("/staff/export.xlsx?since=30d")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["热点问题", "未答问题", "条款热度", "问答明细"]
    hot = list(book["热点问题"].iter_rows(values_only=True))
    assert hot[0][:3] == ("排名", "问题", "次数") and hot[1][1:3] == ("失业保险金怎么领取？", 6)
    assert len(list(book["问答明细"].iter_rows(values_only=True))) == 1 + 18
    book.close()
