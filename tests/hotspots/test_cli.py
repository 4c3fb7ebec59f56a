"""`hotline hotspots` and `hotline staff` through the real `hotline` command group.
Run: .venv/bin/python -m pytest -q tests/hotspots/test_cli.py"""
from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from bot.runtime.cli import main
from bot.hotspots import db
from bot.hotspots.log import TurnLog

from .conftest import reply, turn


@pytest.fixture
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "cli-secret")
    log = TurnLog(url, secret="cli-secret", spill_dir=tmp_path / "spill")
    for n in range(4):
        log.record(turn("失业保险金怎么领取？", message_id=f"a{n}"), reply(articles=(14,)), 5)
    log.record(turn("公积金贷款利率是多少", message_id="b"), reply(answered=False, reason="out_of_scope", articles=()), 5)
    log.close()
    yield url
    db.dispose_engine(url)


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_table(env):
    result = run("hotspots", "--since", "7d")
    assert result.exit_code == 0, result.output
    assert "热点问题" in result.output and "失业保险金怎么领取？" in result.output
    assert "超出范围 1" in result.output and "第14条" in result.output


def test_json_is_the_dashboard_report(env):
    data = json.loads(run("hotspots", "--format", "json").output)
    assert data["overview"]["turns"] == 5 and data["hotspots"][0]["count"] == 4
    assert data["unanswered"][0]["reasons"] == {"out_of_scope": 1}
    assert any(a["article"] == 14 for a in data["articles"])


def test_csv_parses_back(env):
    rows = list(csv.DictReader(io.StringIO(run("hotspots", "--format", "csv", "--since", "2w").output)))
    sections = {r["section"] for r in rows}
    assert {"overview", "hotspot", "unanswered", "article", "uncovered_article"} <= sections
    (top,) = [r for r in rows if r["section"] == "hotspot" and r["rank"] == "1"]
    assert (top["name"], top["count"]) == ("失业保险金怎么领取？", "4")


@pytest.mark.parametrize("since", ["abc", "0d", "999999d"])
def test_bad_since_is_a_chinese_usage_error(env, since):
    result = CliRunner().invoke(main, ["hotspots", "--since", since])
    assert result.exit_code == 2 and "时间范围" in result.output


def test_cluster_and_migrate(env):
    assert "数据库已是最新结构" in run("hotspots", "migrate").output
    output = run("hotspots", "cluster", "--full").output
    assert "2 种问法" in output and "2 个热点" in output


def test_create_admin_then_refuse_a_duplicate(env):
    result = CliRunner().invoke(main, ["staff", "create-admin", "--username", "root1"],
                                input="a-Strong-pass-1\na-Strong-pass-1\n")
    assert result.exit_code == 0 and "已创建管理员账号“root1”" in result.output
    again = CliRunner().invoke(main, ["staff", "create-admin", "--username", "root1", "--password", "a-Strong-pass-1"])
    assert again.exit_code == 1 and "已存在" in again.output
    weak = CliRunner().invoke(main, ["staff", "create-user", "bob", "--role", "viewer", "--password", "123"])
    assert weak.exit_code == 1 and "至少需要 10 个字符" in weak.output
    assert "root1\t管理员\t启用" in run("staff", "list").output


# --- what a logged question can do to the operator (issue 17, finding 8) -------------------------

HOSTILE = ["=1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "+1", "\t=1", "坏\x1b[2J\x1b]0;owned\x07\r问题\u202e"]


@pytest.fixture
def hostile_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'hostile.sqlite3'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "cli-secret")
    log = TurnLog(url, secret="cli-secret", spill_dir=tmp_path / "spill")
    for n, text in enumerate(HOSTILE):
        for k in range(len(HOSTILE) - n):  # distinct counts keep every one in the lists
            log.record(turn(text, message_id=f"h{n}-{k}"), reply(answered=False, reason="out_of_scope", articles=()), 5)
    log.close()
    yield url
    db.dispose_engine(url)


def test_csv_cells_cannot_be_formulas(hostile_env):
    from bot.dashboard.exports import FORMULA_PREFIXES

    rows = list(csv.DictReader(io.StringIO(run("hotspots", "--format", "csv").output)))
    names = [r["name"] for r in rows if r["section"] in ("hotspot", "unanswered")]
    assert names and "'=1+1" in names and "'-2+3+cmd|' /C calc'!A0" in names
    assert all(not cell.startswith(FORMULA_PREFIXES) for row in rows for cell in row.values() if cell)


def test_table_prints_no_raw_control_characters(hostile_env):
    output = run("hotspots", "--format", "table").output
    assert "\x1b" not in output and "\r" not in output and "\x07" not in output and "\u202e" not in output
    assert "\\x1b[2J" in output and "\\u202e" in output  # shown, as escapes
    assert all(ch == "\n" or ch.isprintable() or ch == "\u3000" for ch in output)
