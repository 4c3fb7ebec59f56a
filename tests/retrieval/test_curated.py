"""knowledge_base.curated: the in-memory source and curated answers taking priority."""
import pytest

from knowledge_base.curated import CuratedAnswer, InMemoryCuratedSource, char_bigram_overlap
from knowledge_base.retrieval import PolicyRetriever

ANSWER = CuratedAnswer(
    id=7,
    question="失业保险金每个月几号发到卡上",
    answer="失业保险金一般于每月15日前发放到本人社会保障卡，遇节假日顺延。",
    document="大人社发[2020]38号",
    article=8,
)


def test_in_memory_source_version_changes_with_answers():
    source = InMemoryCuratedSource()
    empty = source.version()
    source.add(ANSWER)
    assert source.version() != empty and source.active() == [ANSWER]
    source.remove(7)
    assert source.version() == empty and source.active() == []


def test_char_bigram_overlap():
    assert char_bigram_overlap("失业金", "失业金") == 1.0
    assert char_bigram_overlap("失业金", "稳岗返还") == 0.0
    assert char_bigram_overlap("", "失业金") == 0.0


@pytest.fixture(scope="module")
def curated_retriever(kb, encoder, index_dir, lexicon, retriever):
    # `retriever` first: it builds the shared index this one loads
    source = InMemoryCuratedSource([ANSWER])
    curated = PolicyRetriever(kb, encoder=encoder, index_dir=index_dir, curated=source, lexicon=lexicon)
    curated.warm_up()
    return curated, source


def test_matching_question_returns_the_curated_answer_first(curated_retriever):
    retriever, _ = curated_retriever
    result = retriever.run("失业保险金每个月几号发到卡上？")
    assert result.curated == ANSWER
    assert not result.abstained and result.abstain_reason is None
    assert result.hits[0].article == 8
    assert result.confidence > 0.9


def test_a_different_question_is_not_hijacked(curated_retriever):
    retriever, _ = curated_retriever
    result = retriever.run("稳岗返还的裁员率是多少")
    assert result.curated is None and result.hits[0].article == 4


def test_new_answers_are_seen_without_restart(curated_retriever):
    retriever, source = curated_retriever
    extra = CuratedAnswer(id=8, question="灵活就业人员社保补贴怎么申请", answer="请携带身份证到户籍所在地街道办理。")
    assert retriever.run("灵活就业人员社保补贴怎么申请").curated is None
    source.add(extra)
    try:
        result = retriever.run("灵活就业人员社保补贴怎么申请")
        assert result.curated == extra and not result.abstained
    finally:
        source.remove(8)
    assert retriever.run("灵活就业人员社保补贴怎么申请").curated is None



def test_an_expired_answer_no_longer_answers(curated_retriever):
    import datetime as dt

    retriever, source = curated_retriever
    question = "灵活就业人员社保补贴怎么申请"
    today = retriever._curated.today()
    lapsed = CuratedAnswer(id=9, question=question, answer="去年的办法。", expires_on=today - dt.timedelta(days=1))
    last_day = CuratedAnswer(id=10, question=question, answer="今年的办法。", expires_on=today)
    source.add(lapsed)
    try:
        assert retriever.run(question).curated is None
        source.add(last_day)
        assert retriever.run(question).curated == last_day  # the expiry date is the last day it is served
    finally:
        source.remove(9)
        source.remove(10)


def test_an_answer_is_live_until_its_expiry_date_inclusive():
    import datetime as dt

    day = dt.date(2026, 12, 31)
    answer = CuratedAnswer(1, "问", "答", expires_on=day)
    assert answer.live_on(day) and not answer.live_on(day + dt.timedelta(days=1))
    assert CuratedAnswer(1, "问", "答").live_on(dt.date(2100, 1, 1))
