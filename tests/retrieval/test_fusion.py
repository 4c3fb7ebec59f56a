"""knowledge_base.fusion: modes, roll-up to articles."""
import numpy as np
import pytest

from knowledge_base.fusion import ArticleFuser, FusionMode, roll_up


class TestArticleFuser:
    def test_defaults(self):
        fuser = ArticleFuser()
        assert fuser.mode is FusionMode.DISTRIBUTION_BASED and fuser.top_k == 5

    def test_unknown_mode_lists_the_supported_ones(self):
        with pytest.raises(ValueError, match=r"supported: \['rrf', 'weighted', 'dbsf'\]"):
            ArticleFuser(mode="borda")

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [({"weights": {"bm25": -1}}, "weights must be >= 0"), ({"rrf_k": 0}, "rrf_k"), ({"top_k": 0}, "top_k")],
    )
    def test_bad_params(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            ArticleFuser(**kwargs)

    @pytest.mark.parametrize("mode", list(FusionMode))
    def test_run_rolls_clauses_up_to_articles(self, fixture_passages, mode):
        # passages: article 1 clauses 1-2, article 2 clauses 1-2, article 1 question
        n = len(fixture_passages)
        bm25 = np.zeros(n)
        dense = np.full(n, 0.1)
        bm25[1] = 5.0  # article 1, clause 2
        dense[-1] = 0.9  # article 1's attached question
        ranked = ArticleFuser(mode).run({"bm25": bm25, "dense": dense}, fixture_passages)["documents"]
        assert [a.key[1] for a in ranked] == [1, 2]
        assert ranked[0].ranks == {"bm25": 1, "dense": 1}
        assert ranked[0].best_passages == {"bm25": 1, "dense": n - 1}
        assert ranked[0].score > ranked[1].score

    def test_misaligned_scores(self, fixture_passages):
        with pytest.raises(ValueError, match="scores for"):
            ArticleFuser().run({"bm25": np.zeros(1)}, fixture_passages)
        with pytest.raises(ValueError, match="at least one retriever"):
            ArticleFuser().run({}, fixture_passages)


def test_roll_up_takes_the_best_passage():
    scores, best = roll_up(np.array([0.1, 0.7, 0.3]), np.array([0, 0, 1]), 2)
    assert scores.tolist() == [0.7, 0.3] and best.tolist() == [1, 2]
