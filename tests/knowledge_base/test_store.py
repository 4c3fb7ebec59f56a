"""The reviewable parsed files: `hotline kb build` / `kb check` and `load_knowledge_base()`."""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from bot.runtime.cli import main
from knowledge_base.model import KnowledgeBase
from knowledge_base.store import (
    PARSED_DIR,
    SOURCES_DIR,
    KnowledgeBaseError,
    clear_cache,
    document_from_json,
    document_to_json,
    load_knowledge_base,
)

from .conftest import NOTICES_DIR, SAMPLE_SLUG, SLUG_38

COMMITTED = PARSED_DIR / f"{SLUG_38}.json"


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


def test_build_reproduces_the_committed_file_byte_for_byte(runner, tmp_path):
    result = runner.invoke(main, ["kb", "build", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"{SLUG_38}.json").read_bytes() == COMMITTED.read_bytes()
    assert "5 个部分，20 条" in result.output
    assert "2. 加大企业稳定就业支持力度：第4–7条" in result.output


def test_check_passes_on_the_committed_files(runner):
    result = runner.invoke(main, ["kb", "check"])
    assert result.exit_code == 0, result.output
    assert "最新" in result.output


def test_check_fails_when_stale_missing_or_orphaned(runner, tmp_path):
    out = tmp_path / "parsed"
    out.mkdir()
    result = runner.invoke(main, ["kb", "check", "--out", str(out)])
    assert result.exit_code == 1
    assert f"{SLUG_38}.json 缺失" in result.output

    shutil.copy(COMMITTED, out / COMMITTED.name)
    (out / COMMITTED.name).write_text(COMMITTED.read_text(encoding="utf-8").replace("5.5", "6.5"), encoding="utf-8")
    (out / "gone.json").write_text("[]", encoding="utf-8")
    result = runner.invoke(main, ["kb", "check", "--out", str(out)])
    assert result.exit_code == 1
    assert f"{SLUG_38}.json 已过期" in result.output
    assert "gone.json 没有对应的原文" in result.output
    assert "hotline kb build" in result.output


def test_a_new_notice_goes_in_without_code_changes(runner, tmp_path):
    sources, out = tmp_path / "sources", tmp_path / "parsed"
    sources.mkdir()
    shutil.copy(SOURCES_DIR / f"{SLUG_38}.txt", sources)
    shutil.copy(NOTICES_DIR / f"{SAMPLE_SLUG}.txt", sources)
    (out).mkdir()
    (out / "removed-notice.json").write_text("[]", encoding="utf-8")
    result = runner.invoke(main, ["kb", "build", "--sources", str(sources), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [f"{SLUG_38}.json", f"{SAMPLE_SLUG}.json"]
    assert "已删除 removed-notice.json" in result.output

    kb = load_knowledge_base(out)
    assert [d.doc_number for d in kb.documents] == ["大人社发[2020]38号", "示人社发〔2021〕7号"]
    assert kb.document("示人社发〔2021〕7号").article(2).title == "落实见习补贴"
    assert len(list(kb.articles())) == 24
    assert runner.invoke(main, ["kb", "check", "--sources", str(sources), "--out", str(out)]).exit_code == 0


def test_build_reports_a_bad_notice_clearly(runner, tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "empty.txt").write_text("  \n", encoding="utf-8")
    result = runner.invoke(main, ["kb", "build", "--sources", str(sources), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "通知“empty”内容为空" in result.output
    assert "Traceback" not in result.output

    (sources / "empty.txt").write_bytes("一、措施\n".encode("gbk") + b"\xff\xfe")
    result = runner.invoke(main, ["kb", "build", "--sources", str(sources), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "不是 UTF-8 文本" in result.output


def test_build_without_sources(runner, tmp_path):
    result = runner.invoke(main, ["kb", "build", "--sources", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "没有通知文件" in result.output


def test_load_matches_a_fresh_parse_and_is_cached(notice_38):
    kb = load_knowledge_base()
    assert kb.documents == [notice_38]
    assert load_knowledge_base() is kb
    assert load_knowledge_base(PARSED_DIR) is kb
    assert KnowledgeBase.from_json(kb.to_json()) == kb
    assert len(kb.fingerprint) == 16


def test_json_round_trip(sample_notice):
    assert document_from_json(document_to_json(sample_notice)) == sample_notice


def test_load_empty_or_broken_dir(tmp_path):
    with pytest.raises(KnowledgeBaseError, match="知识库为空.*hotline kb build"):
        load_knowledge_base(tmp_path)
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    clear_cache()
    with pytest.raises(KnowledgeBaseError, match="bad.json 无法读取"):
        load_knowledge_base(tmp_path)
