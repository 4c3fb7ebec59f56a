"""Curated answers: the retrieval hook contract on SQLite and PostgreSQL.
Run: .venv/bin/python -m pytest -q tests/hotspots/test_curated.py"""
from __future__ import annotations

import datetime as dt

import pytest

from bot.hotspots import db
from bot.hotspots.curated import DEFAULT_TEAM, CuratedAnswerError, CuratedAnswerStore
from knowledge_base.curated import CuratedAnswer, CuratedSource

from .conftest import DOCUMENT


@pytest.fixture
def store(db_url):
    return CuratedAnswerStore(db.get_engine(db_url), version_ttl=1000)


def test_it_is_a_curated_source(store):
    assert isinstance(store, CuratedSource)
    assert store.active() == []


def test_an_added_answer_is_served_at_once_and_withdrawn_at_once(store):
    before = store.version()
    row = store.add("灵活就业人员社保补贴怎么申请？", "请携带身份证到街道社保所申请。", DOCUMENT, 9,
                    created_by="editor1")
    assert store.version() != before  # the same process sees it without waiting for the TTL
    assert store.active() == [CuratedAnswer(row.id, "灵活就业人员社保补贴怎么申请？",
                                            "请携带身份证到街道社保所申请。", DOCUMENT, 9, team=DEFAULT_TEAM,
                                            updated=db.local_day(row.updated_at))]
    version = store.version()
    assert store.set_active(row.id, False)
    assert store.version() != version and store.active() == []
    assert [r.active for r in store.all()] == [False]
    assert store.set_active(99999, True) is False


def test_another_process_sees_it_after_the_ttl(db_url):
    writer = CuratedAnswerStore(db.get_engine(db_url))
    reader = CuratedAnswerStore(db.make_engine(db_url), version_ttl=0)
    first = reader.version()
    writer.add("问", "答", DOCUMENT, 1, created_by="a")
    assert reader.version() != first and len(reader.active()) == 1
    reader.engine.dispose()


@pytest.mark.parametrize(
    ("question", "answer", "document", "article", "message"),
    [
        ("", "答", DOCUMENT, 4, "请填写问题。"),
        ("问", "  ", DOCUMENT, 4, "请填写答案。"),
        ("问", "答", "", 4, "请选择答案依据的文件。"),
        ("问", "答", DOCUMENT, "四", "请选择答案依据的条款。"),
        ("问", "答", DOCUMENT, 0, "条款编号不正确。"),
        ("问" * 501, "答", DOCUMENT, 4, "问题不能超过 500 个字。"),
        ("问", "答", None, 4, "请选择答案依据的文件。"),
        ("问", "答", DOCUMENT, None, "请选择答案依据的条款。"),
    ],
)
def test_invalid_answers_are_refused_with_a_chinese_message(store, question, answer, document, article, message):
    with pytest.raises(CuratedAnswerError, match=message):
        store.add(question, answer, document, article, created_by="x")


def test_an_unreachable_database_never_breaks_retrieval(tmp_path):
    store = CuratedAnswerStore(db.make_engine("postgresql+psycopg://postgres@127.0.0.1:1/test"), version_ttl=0)
    assert store.version() == "empty"
    assert store.active() == []


def test_an_answer_may_cite_nothing_and_is_signed_by_its_team(store):
    row = store.add("社保卡丢了怎么补办？", "请携带身份证到社保卡服务网点挂失补办。", created_by="editor1",
                    team="12333热线政策组", expires_on=dt.date(2100, 1, 1))
    (answer,) = store.active()
    assert (answer.document, answer.article, answer.team) == (None, None, "12333热线政策组")
    assert answer.updated == db.local_day(row.updated_at) and answer.expires_on == dt.date(2100, 1, 1)


def test_an_expiry_date_in_the_past_is_refused(store):
    with pytest.raises(CuratedAnswerError, match="有效期不能早于今天。"):
        store.add("问", "答", created_by="x", expires_on=dt.date(2020, 1, 1))


def test_an_edit_is_served_at_once_and_needs_a_new_review(store):
    row = store.add("问", "旧答案", DOCUMENT, 4, created_by="editor1")
    assert store.review(row.id, "editor2").reviewed_by == "editor2"
    version = store.version()
    edited = store.update(row.id, "问", "新答案", team="政策组")
    assert store.version() != version
    assert (edited.answer, edited.document, edited.article, edited.reviewed_by) == ("新答案", None, None, None)
    assert [a.answer for a in store.active()] == ["新答案"]
    assert store.update(99999, "问", "答") is None


def test_nobody_reviews_their_own_answer(store):
    row = store.add("问", "答", created_by="editor1")
    with pytest.raises(CuratedAnswerError, match="不能审核自己添加的答案"):
        store.review(row.id, "editor1")
    assert store.review(99999, "editor2") is None
