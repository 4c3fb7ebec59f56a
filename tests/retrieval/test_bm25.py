"""knowledge_base.bm25.BM25Retriever."""
import pytest

from knowledge_base.bm25 import BM25Retriever


class TestBM25Retriever:
    def test_defaults(self, fixture_passages):
        retriever = BM25Retriever(fixture_passages)
        assert (retriever.top_k, retriever.k1, retriever.b, retriever.expansion_weight) == (10, 1.2, 0.75, 0.5)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"top_k": 0}, "top_k must be greater than 0"),
            ({"k1": -1}, "k1 must be >= 0"),
            ({"b": 2}, "b must be between 0 and 1"),
            ({"expansion_weight": 3}, "expansion_weight must be between 0 and 1"),
        ],
    )
    def test_bad_params(self, fixture_passages, kwargs, message):
        with pytest.raises(ValueError, match=message):
            BM25Retriever(fixture_passages, **kwargs)

    def test_no_passages(self):
        with pytest.raises(ValueError, match="at least one passage"):
            BM25Retriever([])

    def test_run_before_warm_up(self, fixture_passages, analyzer):
        with pytest.raises(RuntimeError, match="warm_up"):
            BM25Retriever(fixture_passages, analyzer).run("失业保险金")

    def test_run(self, fixture_passages, analyzer):
        retriever = BM25Retriever(fixture_passages, analyzer)
        retriever.warm_up()
        docs = retriever.run("失业保险金标准", top_k=2)["documents"]
        assert 1 <= len(docs) <= 2
        assert docs[0].passage.article == 1
        assert docs == sorted(docs, key=lambda d: -d.score)
        assert retriever.run("报到期限")["documents"][0].passage.article == 2

    def test_synonym_expansion_reaches_the_notice_words(self, fixture_passages, analyzer):
        retriever = BM25Retriever(fixture_passages, analyzer)
        retriever.warm_up()
        # 应届生 never occurs in the passages; the synonym table maps it to 高校毕业生
        assert retriever.run("应届生")["documents"][0].passage.article == 2

    def test_nothing_in_common_returns_nothing(self, fixture_passages, analyzer):
        retriever = BM25Retriever(fixture_passages, analyzer)
        retriever.warm_up()
        assert retriever.run("今天天气")["documents"] == []
        assert retriever.coverage(analyzer.analyze("今天天气")) == 0.0


@pytest.mark.parametrize("top_k", [1, 2, 3, 5, 8])
def test_best_indices_are_a_stable_sort_cut_short(top_k):
    import numpy as np

    from knowledge_base.passages import best_indices

    scores = np.array([0.5, 2.0, 0.5, 2.0, 1.0, 0.0, 2.0], dtype=np.float32)  # ties keep passage order
    assert list(best_indices(scores, top_k)) == list(np.argsort(-scores, kind="stable")[:top_k])
