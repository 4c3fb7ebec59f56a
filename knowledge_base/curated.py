"""The hook through which answers curated by hotline staff take priority over retrieval.

Staff write an answer for a question the notice does not answer well (the dashboard stores it
in the database: `bot/hotspots/curated.py`). Retrieval asks a `CuratedSource` for the active
answers and returns one when the user's question matches its question closely
(`PolicyRetriever` decides; see `CuratedMatcher`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from typing import Callable, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import numpy as np

from knowledge_base.encoders import Encoder
from knowledge_base.query import QueryAnalyzer

# A curated answer replaces retrieval, so a match must be unmistakable: the question embeddings
# nearly identical AND most of the wording shared (or the wording almost the same by itself).
CURATED_MIN_COSINE = 0.93
CURATED_MIN_OVERLAP = 0.5
CURATED_SURE_OVERLAP = 0.85
# Expiry dates are the hotline's calendar days.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


@dataclass(frozen=True)
class CuratedAnswer:
    """One answer written by staff.

    :param id: the store's id.
    :param question: the question it answers, as staff wrote it.
    :param answer: the full answer text shown to the user (Simplified Chinese).
    :param document: the cited document number (大人社发[2020]38号), if any.
    :param article: the cited article number, if any; None: a staff reply citing nothing (工作人员答复).
    :param team: the team that wrote it, shown with a reply that cites nothing.
    :param updated: the date it was last written or reviewed, shown with it.
    :param expires_on: the last day it is served; None: until retired.
    """

    id: int
    question: str
    answer: str
    document: str | None = None
    article: int | None = None
    team: str = ""
    updated: dt.date | None = None
    expires_on: dt.date | None = None

    def live_on(self, day: dt.date) -> bool:
        """Whether it is still served on `day` (an expiry date is the last day it is)."""
        return self.expires_on is None or day <= self.expires_on


@runtime_checkable
class CuratedSource(Protocol):
    """Where curated answers come from."""

    def version(self) -> str:
        """A cheap token that changes whenever the active answers change."""
        ...

    def active(self) -> list[CuratedAnswer]:
        """The answers currently published (not retired); the matcher skips expired ones."""
        ...


class InMemoryCuratedSource:
    """A `CuratedSource` held in memory (tests, scripts).

    :param answers: the initial answers.
    """

    def __init__(self, answers: list[CuratedAnswer] | None = None):
        self._answers = list(answers or [])
        self._lock = threading.Lock()

    def add(self, answer: CuratedAnswer) -> None:
        with self._lock:
            self._answers.append(answer)

    def remove(self, answer_id: int) -> None:
        with self._lock:
            self._answers = [a for a in self._answers if a.id != answer_id]

    def version(self) -> str:
        with self._lock:
            payload = "\n".join(repr(a) for a in self._answers)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def active(self) -> list[CuratedAnswer]:
        with self._lock:
            return list(self._answers)


def char_bigram_overlap(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams of two normalised texts (0..1)."""
    def grams(text: str) -> set[str]:
        text = text.replace(" ", "")
        return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())

    ga, gb = grams(a), grams(b)
    if not ga or not gb:
        return 0.0
    return 2 * len(ga & gb) / (len(ga) + len(gb))


@dataclass(frozen=True)
class CuratedMatch:
    answer: CuratedAnswer
    cosine: float
    overlap: float


class CuratedMatcher:
    """Finds the curated answer whose question matches a query; re-reads the source when its
    `version()` changes (cheap check on every query, re-embedding only on change).

    :param source: the curated answers.
    :param encoder: the retriever's encoder (already warmed up).
    :param analyzer: the retriever's query analyser (already warmed up).
    :param today: the current day, against which expiry dates are judged (default: Dalian's today).
    """

    def __init__(self, source: CuratedSource, encoder: Encoder, analyzer: QueryAnalyzer,
                 today: Callable[[], dt.date] = local_today):
        self.source = source
        self.today = today
        self.encoder = encoder
        self.analyzer = analyzer
        self._version: str | None = None
        self._answers: list[CuratedAnswer] = []
        self._texts: list[str] = []
        self._vectors = np.zeros((0, 1), dtype=np.float32)
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        version = self.source.version()
        if version == self._version:
            return
        with self._lock:
            if version == self._version:
                return
            answers = [a for a in self.source.active() if a.question and a.question.strip()]
            texts = [self.analyzer.analyze(a.question).text for a in answers]
            vectors = self.encoder.encode_queries([self.analyzer.analyze(a.question).dense_text for a in answers]) if answers else np.zeros((0, 1), dtype=np.float32)
            self._answers, self._texts, self._vectors, self._version = answers, texts, vectors, version

    def match(self, text: str, vector: np.ndarray) -> CuratedMatch | None:
        """The best live (published, not expired) curated answer for a query, or `None` below the thresholds.

        :param text: the analysed query text.
        :param vector: the query's embedding (unit norm, shape (dim,)).
        """
        self._refresh()
        answers, texts, vectors = self._answers, self._texts, self._vectors
        if not answers:
            return None
        cosines = vectors @ vector
        best: CuratedMatch | None = None
        today = self.today()
        for answer, question, cosine in zip(answers, texts, cosines):
            if not answer.live_on(today):
                continue
            overlap = char_bigram_overlap(text, question)
            ok = overlap >= CURATED_SURE_OVERLAP or (cosine >= CURATED_MIN_COSINE and overlap >= CURATED_MIN_OVERLAP)
            if ok and (best is None or (cosine + overlap) > (best.cosine + best.overlap)):
                best = CuratedMatch(answer, float(cosine), float(overlap))
        return best
