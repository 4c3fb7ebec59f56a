"""Fusion of several retrievers' passage scores into one article ranking.

    fuser = ArticleFuser(mode=FusionMode.DISTRIBUTION_BASED, weights={"bm25": 0.4, "dense": 0.6})
    ranked = fuser.run({"bm25": bm25_scores, "dense": dense_scores}, passages)["documents"]

Each retriever's passage scores are first rolled up to articles (an article scores as its best
passage, clause or attached question), then the article scores are fused by the chosen mode:

- `rrf`: reciprocal rank fusion, Σ wᵢ / (k + rankᵢ); scale-free, ignores how far ahead a hit is.
- `weighted`: Σ wᵢ · min-max-normalised scoreᵢ over the articles.
- `dbsf`: distribution-based score fusion, Σ wᵢ · (scoreᵢ − μᵢ) / σᵢ over the articles: keeps how
  far the best article stands out from the rest, which is what separates a clear hit from a guess.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from knowledge_base.passages import Passage, check_top_k, resolve_top_k

ArticleKey = tuple[str, int]  # (document slug, article number)


class FusionMode(str, Enum):
    RECIPROCAL_RANK_FUSION = "rrf"
    WEIGHTED_SCORE = "weighted"
    DISTRIBUTION_BASED = "dbsf"

    @classmethod
    def parse(cls, value: "FusionMode | str") -> "FusionMode":
        """:raises ValueError: unknown mode; the message lists the supported ones."""
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            raise ValueError(f"unknown fusion mode {value!r}; supported: {[m.value for m in cls]}") from None


@dataclass(frozen=True)
class FusedArticle:
    """One article after fusion.

    :param key: (document slug, article number).
    :param score: the fused score (comparable only within one query and one mode).
    :param sources: each retriever's article score (its best passage's raw score).
    :param ranks: each retriever's 1-based rank of this article.
    :param best_passages: each retriever's best passage index (into the passage list) for the article.
    """

    key: ArticleKey
    score: float
    sources: dict[str, float] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)
    best_passages: dict[str, int] = field(default_factory=dict)


def article_keys(passages: list[Passage]) -> tuple[list[ArticleKey], np.ndarray]:
    """The distinct articles in passage order, and each passage's article position."""
    keys: list[ArticleKey] = []
    position: dict[ArticleKey, int] = {}
    owner = np.empty(len(passages), dtype=np.int64)
    for i, p in enumerate(passages):
        key = (p.document, p.article)
        if key not in position:
            position[key] = len(keys)
            keys.append(key)
        owner[i] = position[key]
    return keys, owner


def roll_up(scores: np.ndarray, owner: np.ndarray, n_articles: int) -> tuple[np.ndarray, np.ndarray]:
    """Article score = its best passage's score.

    :returns: (article scores, index of the best passage of each article).
    """
    best = np.full(n_articles, -np.inf, dtype=np.float64)
    arg = np.full(n_articles, -1, dtype=np.int64)
    for i, (s, a) in enumerate(zip(scores, owner)):
        if s > best[a]:
            best[a], arg[a] = s, i
    best[np.isinf(best)] = 0.0
    return best, arg


def _ranks(scores: np.ndarray) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def _rrf(scores: np.ndarray, weight: float, k: float) -> np.ndarray:
    return weight / (k + _ranks(scores))


def _minmax(scores: np.ndarray, weight: float, k: float) -> np.ndarray:
    low, high = float(scores.min()), float(scores.max())
    if high - low < 1e-12:
        return np.zeros_like(scores)
    return weight * (scores - low) / (high - low)


def _zscore(scores: np.ndarray, weight: float, k: float) -> np.ndarray:
    std = float(scores.std())
    if std < 1e-12:
        return np.zeros_like(scores)
    return weight * (scores - float(scores.mean())) / std


_COMBINE = {
    FusionMode.RECIPROCAL_RANK_FUSION: _rrf,
    FusionMode.WEIGHTED_SCORE: _minmax,
    FusionMode.DISTRIBUTION_BASED: _zscore,
}


class ArticleFuser:
    """Roll passage scores up to articles and fuse the retrievers.

    :param mode: a `FusionMode` or its value (`rrf`, `weighted`, `dbsf`).
    :param weights: weight of each retriever by name; a retriever not named weighs 1.
    :param rrf_k: the k of reciprocal rank fusion.
    :param top_k: articles returned by default.
    :raises ValueError: unknown mode, negative weight, non-positive `rrf_k` or `top_k`.
    """

    def __init__(self, mode: FusionMode | str = FusionMode.DISTRIBUTION_BASED, weights: dict[str, float] | None = None,
                 rrf_k: float = 60.0, top_k: int = 5):
        self.mode = FusionMode.parse(mode)
        self.weights = dict(weights or {})
        if any(w < 0 for w in self.weights.values()):
            raise ValueError(f"weights must be >= 0. Currently, the weights are {self.weights}")
        if rrf_k <= 0:
            raise ValueError(f"rrf_k must be greater than 0. Currently, the rrf_k is {rrf_k}")
        check_top_k(top_k)
        self.rrf_k = rrf_k
        self.top_k = top_k

    def run(
        self, scores: dict[str, np.ndarray], passages: list[Passage], top_k: int | None = None
    ) -> dict[str, list[FusedArticle]]:
        """Fuse per-passage scores of several retrievers into ranked articles.

        :param scores: retriever name → scores aligned with `passages`.
        :param passages: the passages every score array refers to.
        :param top_k: how many articles (default: the `top_k` given at construction).
        :returns: `{"documents": [FusedArticle, …]}`, best first.
        :raises ValueError: no scores, misaligned arrays or a bad `top_k`.
        """
        top_k = resolve_top_k(top_k, self.top_k)
        if not scores:
            raise ValueError("ArticleFuser.run needs the scores of at least one retriever")
        for name, s in scores.items():
            if len(s) != len(passages):
                raise ValueError(f"{name}: {len(s)} scores for {len(passages)} passages")
        keys, owner = article_keys(passages)
        fused = np.zeros(len(keys), dtype=np.float64)
        per_source: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        combine = _COMBINE[self.mode]
        for name, s in scores.items():
            article_scores, best = roll_up(np.asarray(s, dtype=np.float64), owner, len(keys))
            per_source[name] = (article_scores, _ranks(article_scores), best)
            fused += combine(article_scores, self.weights.get(name, 1.0), self.rrf_k)
        order = np.argsort(-fused, kind="stable")[:top_k]
        return {
            "documents": [
                FusedArticle(
                    key=keys[a],
                    score=float(fused[a]),
                    sources={n: float(v[0][a]) for n, v in per_source.items()},
                    ranks={n: int(v[1][a]) for n, v in per_source.items()},
                    best_passages={n: int(v[2][a]) for n, v in per_source.items()},
                )
                for a in order
            ]
        }
