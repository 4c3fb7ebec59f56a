"""The domain lexicon as data: jieba user dictionary, synonyms, stop words, out-of-scope topics
and the questions each article answers. Every file beside this module is plain text to review.

`Lexicon.load()` reads them all (a few milliseconds); `Tokenizer` is jieba with the user dictionary.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
import re
from pathlib import Path

import yaml

LEXICON_DIR = Path(__file__).resolve().parent
USERDICT = LEXICON_DIR / "userdict.txt"
SYNONYMS = LEXICON_DIR / "synonyms.tsv"
STOPWORDS = LEXICON_DIR / "stopwords.txt"
OUT_OF_SCOPE = LEXICON_DIR / "out_of_scope.tsv"
NEAR_MISS = LEXICON_DIR / "near_miss.tsv"
ARTICLE_QUESTIONS = LEXICON_DIR / "article_questions.yaml"


class LexiconError(ValueError):
    """A lexicon file is malformed; the message names the file and the line."""


@dataclass(frozen=True)
class SynonymRule:
    """`variants` found in a query add `targets` to it."""

    variants: tuple[str, ...]
    targets: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    """Everything the query analyser and the tokenizer know about the domain's words."""

    userdict: tuple[str, ...]
    synonyms: tuple[SynonymRule, ...]
    stopwords: frozenset[str]
    out_of_scope: dict[str, tuple[str, ...]]  # topic → signal words
    article_questions: dict[str, dict[int, tuple[str, ...]]] = field(default_factory=dict)
    near_misses: tuple[tuple[str, re.Pattern], ...] = ()  # (what the notice lacks, question pattern)

    @classmethod
    def load(cls, directory: Path = LEXICON_DIR) -> "Lexicon":
        """Read the lexicon files from `directory`.

        :raises LexiconError: a line does not have the documented columns.
        """
        return cls(
            userdict=tuple(_userdict_words(directory / USERDICT.name)),
            synonyms=tuple(_synonym_rules(directory / SYNONYMS.name)),
            stopwords=frozenset(_lines(directory / STOPWORDS.name)),
            out_of_scope=_out_of_scope(directory / OUT_OF_SCOPE.name),
            article_questions=_article_questions(directory / ARTICLE_QUESTIONS.name),
            near_misses=tuple(_near_misses(directory / NEAR_MISS.name)),
        )

    def near_miss(self, question: str) -> str | None:
        """What the notice lacks that a (simplified) question asks for, or None."""
        return next((topic for topic, pattern in self.near_misses if pattern.search(question)), None)

    def domain_terms(self) -> set[str]:
        """User-dictionary words and every synonym term: the targets of pinyin correction."""
        terms = set(self.userdict)
        for rule in self.synonyms:
            terms.update(rule.variants)
            terms.update(rule.targets)
        return terms


def _lines(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def _userdict_words(path: Path) -> list[str]:
    return [line.split()[0] for line in _lines(path)]


def _split(cell: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in cell.split("|") if w.strip())


def _synonym_rules(path: Path) -> list[SynonymRule]:
    rules = []
    for number, line in enumerate(_lines(path), 1):
        cells = line.split("\t")
        if len(cells) != 3 or cells[1] not in ("->", "<->"):
            raise LexiconError(
                f"{path.name}: entry {number} must be 'variants<TAB>-> or <-><TAB>targets', got {line!r}"
            )
        left, right = _split(cells[0]), _split(cells[2])
        rules.append(SynonymRule(left, right))
        if cells[1] == "<->":
            rules.append(SynonymRule(right, left))
    return rules


def _out_of_scope(path: Path) -> dict[str, tuple[str, ...]]:
    topics = {}
    for number, line in enumerate(_lines(path), 1):
        cells = line.split("\t")
        if len(cells) != 2:
            raise LexiconError(f"{path.name}: entry {number} must be 'topic<TAB>words', got {line!r}")
        topics[cells[0].strip()] = _split(cells[1])
    return topics


def _near_misses(path: Path) -> list[tuple[str, re.Pattern]]:
    if not path.exists():
        return []
    entries = []
    for number, line in enumerate(_lines(path), 1):
        cells = line.split("\t")
        if len(cells) != 2:
            raise LexiconError(f"{path.name}: entry {number} must be 'topic<TAB>pattern', got {line!r}")
        try:
            entries.append((cells[0].strip(), re.compile(cells[1].strip())))
        except re.error as err:
            raise LexiconError(f"{path.name}: entry {number}: bad pattern ({err})") from None
    return entries


def _article_questions(path: Path) -> dict[str, dict[int, tuple[str, ...]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, dict[int, tuple[str, ...]]] = {}
    for slug, articles in data.items():
        if not isinstance(articles, dict):
            raise LexiconError(f"{path.name}: {slug!r} must map article numbers to question lists")
        out[str(slug)] = {int(n): tuple(str(q) for q in qs or ()) for n, qs in articles.items()}
    return out


class Tokenizer:
    """jieba search-mode segmentation with the domain user dictionary, stop words removed.

    Search mode also emits the parts of long words (失业保险金 → 失业, 保险, 保险金, 失业保险金),
    so a colloquial short form still meets the notice's long form.

    :param lexicon: supplies the user dictionary and stop words.
    """

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self._jieba = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Build the jieba dictionary and add the domain words (about a second, once)."""
        with self._lock:
            if self._jieba is not None:
                return
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            for line in _lines(LEXICON_DIR / USERDICT.name):
                parts = line.split()
                tokenizer.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None)
            for word in self.lexicon.domain_terms():
                if len(word) > 1 and word not in tokenizer.FREQ:
                    tokenizer.add_word(word)
            self._jieba = tokenizer

    def is_word(self, text: str) -> bool:
        """True when jieba's general dictionary knows `text` as a word (实业, 时间 …)."""
        if self._jieba is None:
            raise RuntimeError("Tokenizer.warm_up() must be called before is_word()")
        return self._jieba.FREQ.get(text, 0) > 0

    def tokenize(self, text: str) -> list[str]:
        """Segment normalised text into BM25 terms.

        :param text: output of `knowledge_base.text.normalize`.
        :returns: terms in order, stop words and spaces removed.
        :raises RuntimeError: `warm_up()` was not called.
        """
        if self._jieba is None:
            raise RuntimeError("Tokenizer.warm_up() must be called before tokenize()")
        stop = self.lexicon.stopwords
        return [t for t in self._jieba.cut_for_search(text) if t.strip() and t not in stop]
