"""Query analysis: normalise, repair speech-recognition homophones, expand synonyms, tokenise.

    analyzer = QueryAnalyzer()
    analyzer.warm_up()
    q = analyzer.run("失业进 能领多少")["query"]
    q.text        # "失业金 能领多少"     (pinyin shi-ye-jin matches the domain term 失业金)
    q.expansions  # ("失业保险金",)      (synonym table: 失业金 → 失业保险金)

Homophone repair is general: any window of the query whose toneless pinyin equals that of a
domain term (user dictionary or synonym table), up to common accent merges (zh/z, ch/c, sh/s,
n/l, in/ing, en/eng), that shares at least half its characters with it and that is not itself a
word of jieba's general dictionary (实业 stays 实业), is replaced by it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pypinyin import Style, lazy_pinyin

from knowledge_base.cache import LruCache
from knowledge_base.lexicon import Lexicon, Tokenizer
from knowledge_base.text import MAX_QUERY_CHARS, has_chinese, normalize

# Accent merges heard on the hotline and made by speech recognisers.
_INITIAL_MERGES = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FINAL_MERGES = (("ing", "in"), ("eng", "en"))
_MIN_TERM = 2
_MAX_TERM = 8


def fuzzy_syllable(syllable: str) -> str:
    """Toneless pinyin with accent merges: `shi` → `si`, `ning` → `lin`."""
    for long, short in _INITIAL_MERGES:
        if syllable.startswith(long):
            syllable = short + syllable[len(long):]
            break
    for long, short in _FINAL_MERGES:
        if syllable.endswith(long):
            syllable = syllable[: -len(long)] + short
            break
    return syllable


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


@dataclass(frozen=True)
class AnalyzedQuery:
    """A query ready for the retrievers.

    :param raw: what the user typed.
    :param text: normalised and homophone-repaired text (what the encoder sees).
    :param expansions: canonical terms added by the synonym table, not already in `text`.
    :param tokens: BM25 terms of `text`.
    :param expansion_tokens: BM25 terms of `expansions`.
    :param corrections: (heard, repaired) pairs from pinyin matching.
    :param out_of_scope_topics: topics of `out_of_scope.tsv` the query names.
    :param truncated: the raw text was longer than `MAX_QUERY_CHARS`.
    :param chinese: the text contains Chinese characters.
    :param canonical_text: `text` with each synonym variant replaced by its first canonical term
        (失业金涨了没 → 失业保险金提高没): the question in the notice's words, for coverage features.
    :param canonical_tokens: BM25 terms of `canonical_text`.
    """

    raw: str
    text: str
    expansions: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()
    expansion_tokens: tuple[str, ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()
    out_of_scope_topics: tuple[str, ...] = ()
    truncated: bool = False
    chinese: bool = True
    canonical_text: str = ""
    canonical_tokens: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.text

    @property
    def dense_text(self) -> str:
        """The text for the encoder: the repaired query plus its canonical terms."""
        return f"{self.text} {' '.join(self.expansions)}" if self.expansions else self.text


@dataclass
class QueryAnalyzer:
    """Turns raw user text into an `AnalyzedQuery`. Cheap to build; `warm_up()` loads jieba.

    :param lexicon: the domain lexicon (default: the files in `knowledge_base/lexicon/`).
    :param max_chars: longer input is cut to this many characters.
    :param pinyin_repair: replace homophones of domain terms (speech-recognition errors).
    :param cache_size: analyses kept per process for repeated questions; 0 keeps none.
    :raises ValueError: `max_chars` is not positive.
    """

    lexicon: Lexicon | None = None
    max_chars: int = MAX_QUERY_CHARS
    pinyin_repair: bool = True
    cache_size: int = 0  # analyses kept per process (`LruCache`); 0 analyses every query again
    _tokenizer: Tokenizer | None = field(default=None, init=False, repr=False)
    _by_pinyin: dict[tuple[str, ...], list[str]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _canonical_pairs: list[tuple[str, str]] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_chars <= 0:
            raise ValueError(f"max_chars must be greater than 0. Currently, the max_chars is {self.max_chars}")
        self._analyses: LruCache[AnalyzedQuery] = LruCache(self.cache_size)

    @property
    def tokenizer(self) -> Tokenizer:
        if self._tokenizer is None:
            raise RuntimeError("QueryAnalyzer.warm_up() must be called first")
        return self._tokenizer

    def warm_up(self) -> None:
        """Load the lexicon, jieba and the pinyin table of domain terms."""
        with self._lock:
            if self._tokenizer is not None:
                return
            if self.lexicon is None:
                self.lexicon = Lexicon.load()
            tokenizer = Tokenizer(self.lexicon)
            tokenizer.warm_up()
            by_pinyin: dict[tuple[str, ...], list[str]] = {}
            for term in sorted(self.lexicon.domain_terms()):
                if _MIN_TERM <= len(term) <= _MAX_TERM and all(_is_cjk(c) for c in term):
                    key = tuple(fuzzy_syllable(s) for s in lazy_pinyin(term, style=Style.NORMAL))
                    by_pinyin.setdefault(key, []).append(term)
            self._by_pinyin = by_pinyin
            self._tokenizer = tokenizer

    # -- steps ---------------------------------------------------------------------------

    def repair_homophones(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """Replace windows that sound like a domain term but are written otherwise.

        :returns: the repaired text and the (heard, repaired) pairs, longest windows first.
        """
        if not self._by_pinyin or not has_chinese(text):
            return text, []
        syllables = [fuzzy_syllable(s) for s in lazy_pinyin(text, style=Style.NORMAL, errors=lambda x: list(x))]
        if len(syllables) != len(text):  # pypinyin merged something unexpected: leave the text
            return text, []
        terms = self.lexicon.domain_terms() if self.lexicon else set()
        out = list(text)
        taken = [False] * len(text)
        corrections = []
        for length in range(min(_MAX_TERM, len(text)), _MIN_TERM - 1, -1):
            for i in range(len(text) - length + 1):
                window = text[i : i + length]
                if any(taken[i : i + length]) or not all(_is_cjk(c) for c in window):
                    continue
                if window in terms:  # already a domain word: protect it from shorter repairs
                    taken[i : i + length] = [True] * length
                    continue
                if self._tokenizer is not None and self._tokenizer.is_word(window):
                    continue  # a real word (实业, 时间) is what was meant, not a mishearing
                for term in self._by_pinyin.get(tuple(syllables[i : i + length]), ()):
                    shared = sum(a == b for a, b in zip(window, term))
                    if shared * 2 >= length:
                        out[i : i + length] = list(term)
                        taken[i : i + length] = [True] * length
                        corrections.append((window, term))
                        break
        return "".join(out), corrections

    def expand(self, text: str) -> list[str]:
        """Canonical terms of every synonym variant found in `text`, not already present."""
        assert self.lexicon is not None
        found: list[str] = []
        for rule in self.lexicon.synonyms:
            if any(v in text for v in rule.variants):
                for target in rule.targets:
                    if target not in text and target not in found:
                        found.append(target)
        return found

    def canonicalize(self, text: str) -> str:
        """Replace synonym variants (longest first) by the first canonical term of their rule."""
        assert self.lexicon is not None
        if self._canonical_pairs is None:  # longest variant first; the lexicon does not change
            self._canonical_pairs = sorted(
                ((v, rule.targets[0]) for rule in self.lexicon.synonyms for v in rule.variants if rule.targets),
                key=lambda p: -len(p[0]),
            )
        for variant, target in self._canonical_pairs:
            if variant in text and target not in text:
                text = text.replace(variant, target)
        return text

    def topics(self, text: str) -> list[str]:
        """Out-of-scope topics whose signal words occur in `text`."""
        assert self.lexicon is not None
        return [topic for topic, words in self.lexicon.out_of_scope.items() if any(w in text for w in words)]

    # -- component -----------------------------------------------------------------------

    def analyze(self, raw: str | None) -> AnalyzedQuery:
        """Analyse one query; see `run`. The same text gives the same (immutable) analysis."""
        return self._analyses.get_or_compute(raw or "", self._analyze)  # raises before warm_up(), keeping nothing

    def _analyze(self, raw: str) -> AnalyzedQuery:
        tokenizer = self.tokenizer
        text = normalize(raw, self.max_chars)
        truncated = len(raw) > self.max_chars
        if not text:
            return AnalyzedQuery(raw=raw, text="", truncated=truncated, chinese=False)
        corrections: list[tuple[str, str]] = []
        if self.pinyin_repair:
            text, corrections = self.repair_homophones(text)
        expansions = self.expand(text)
        canonical = self.canonicalize(text)
        return AnalyzedQuery(
            raw=raw,
            text=text,
            expansions=tuple(expansions),
            tokens=tuple(tokenizer.tokenize(text)),
            expansion_tokens=tuple(t for e in expansions for t in tokenizer.tokenize(e)),
            corrections=tuple(corrections),
            out_of_scope_topics=tuple(self.topics(text)),
            truncated=truncated,
            chinese=has_chinese(text),
            canonical_text=canonical,
            canonical_tokens=tuple(tokenizer.tokenize(canonical)),
        )

    def run(self, query: str) -> dict[str, AnalyzedQuery]:
        """:param query: raw user text (any length, any script).
        :returns: `{"query": AnalyzedQuery}`.
        :raises RuntimeError: `warm_up()` was not called.
        """
        return {"query": self.analyze(query)}
