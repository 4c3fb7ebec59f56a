"""The retrieval units shared by BM25 and the dense index: clauses and the questions articles answer.

A clause passage carries its article's title as context ("扩大稳岗返还政策范围：疫情防控期间，…"),
so a clause that never repeats the topic still matches it. A question passage is one line of
`lexicon/article_questions.yaml`, attached to its article (no clause).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from enum import Enum

import numpy as np

from knowledge_base.model import KnowledgeBase


class PassageKind(str, Enum):
    CLAUSE = "clause"
    QUESTION = "question"


@dataclass(frozen=True)
class Passage:
    """One retrievable text and where it points.

    :param id: clause id (`slug/article/clause`) or `slug/article/q<n>` for a question.
    :param document: document slug.
    :param article: article number.
    :param clause: clause number, `None` for an attached question.
    :param kind: clause or question.
    :param text: the text that is indexed (context included).
    """

    id: str
    document: str
    article: int
    clause: int | None
    kind: PassageKind
    text: str


def build_passages(kb: KnowledgeBase, questions: dict[str, dict[int, tuple[str, ...]]] | None = None) -> list[Passage]:
    """All passages of `kb`: every clause with its article title, then the attached questions.

    :param kb: the parsed knowledge base.
    :param questions: `{slug: {article: (question, …)}}`; entries for unknown articles are ignored.
    :returns: passages in knowledge-base order.
    """
    passages: list[Passage] = []
    known: set[tuple[str, int]] = set()
    for doc, article, clause in kb.clauses():
        known.add((doc.slug, article.number))
        passages.append(Passage(id=clause.id, document=doc.slug, article=article.number, clause=clause.number,
                                kind=PassageKind.CLAUSE, text=f"{article.title}：{clause.text}"))
    for slug, articles in (questions or {}).items():
        for number, texts in sorted(articles.items()):
            if (slug, number) not in known:
                continue
            for i, text in enumerate(texts, 1):
                passages.append(Passage(id=f"{slug}/{number}/q{i}", document=slug, article=number, clause=None,
                                        kind=PassageKind.QUESTION, text=text))
    return passages


def passages_fingerprint(passages: list[Passage]) -> str:
    """Content hash of the passages (texts and targets): the index is rebuilt when it changes."""
    payload = json.dumps([asdict(p) for p in passages], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ScoredPassage:
    """A passage with one retriever's score (higher is better; scales differ between retrievers)."""

    passage: Passage
    score: float


def check_top_k(top_k: int) -> int:
    """`top_k` itself, once it is known to be positive.

    :raises ValueError: it is not positive.
    """
    if top_k <= 0:
        raise ValueError(f"top_k must be greater than 0. Currently, the top_k is {top_k}")
    return top_k


def resolve_top_k(top_k: int | None, default: int) -> int:
    """The `top_k` a `run()` uses: the call's value, else the component's default (checked likewise)."""
    return check_top_k(default if top_k is None else top_k)


def best_indices(scores, top_k: int):
    """The indices of the `top_k` highest scores, best first (ties in passage order).

    A partition, then a sort of those few: a fused retriever asks for one passage per component,
    and sorting every passage per query would cost more than scoring them.
    """
    if top_k >= len(scores):
        return np.argsort(-scores, kind="stable")
    kth = np.partition(scores, len(scores) - top_k)[len(scores) - top_k]  # the top_k-th best score
    few = np.flatnonzero(scores >= kth)  # every passage tied with it too, so ties keep passage order
    return few[np.lexsort((few, -scores[few]))][:top_k]
