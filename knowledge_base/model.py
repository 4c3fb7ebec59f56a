"""The parsed knowledge base: documents → sections → articles → clauses, with facts and validity.

This is the contract between the parser, the reviewable JSON file, retrieval and answers.
Offsets are character offsets into the document's normalised source text (`Document.text`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Iterator


@dataclass(frozen=True)
class Fact:
    """A number the text states: `kind` is amount | percent | date | duration | count | rate."""

    kind: str
    text: str  # the surface form, e.g. "不高于 5.5%" or "300元/人"
    value: float | str  # 5.5, 300, "2021-08-31", months for durations
    unit: str = ""  # "%", "元", "元/人", "月", "年", "人", "分钟", "课时"
    start: int = 0  # offset within the article text
    end: int = 0
    # how the number bounds the measure: "le" (不超过/不高于/以下/（含）), "lt" (低于/不足),
    # "ge" (不低于/满/以上), "gt" (超过/高于), None when the text states no comparison
    bound: str | None = None
    upper: float | None = None  # the top of a range such as 3至6个月 (value is the bottom)


@dataclass(frozen=True)
class Validity:
    """How long a measure applies.

    :param kind: `epidemic_period` (疫情防控期间), `until_date` (至2021年8月31日),
        `deadline` (报到期限延长至9月30日), `after_epidemic` (至疫情结束后3个月), `none_stated`.
    :param text: the words of the notice that state it.
    :param until: the explicit end date, if the text gives one.
    :param explicit: False when it comes from the notice's closing clause, not the article itself.
    """

    kind: str
    text: str
    until: str | None = None  # ISO date
    explicit: bool = True
    clause: int | None = None  # number of the article's clause that states it (None: from the closing)

    @property
    def until_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.until) if self.until else None


@dataclass(frozen=True)
class Clause:
    """One sentence-level unit of an article, the retrieval grain."""

    id: str  # "<document slug>/<article>/<clause>", e.g. "dalian-hrss-2020-38/4/2"
    number: int  # 1-based within the article
    text: str
    start: int  # offsets into Document.text
    end: int
    facts: list[Fact] = field(default_factory=list)
    item: str = ""  # sub-item label inside the article, e.g. "1." or "1.（2）"; "" for none


@dataclass(frozen=True)
class Article:
    number: int  # （四） → 4, numbering runs through the whole document
    title: str  # first sentence without its full stop, e.g. "扩大稳岗返还政策范围"
    text: str  # the whole article, page breaks joined
    start: int
    end: int
    section: int
    clauses: list[Clause] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    validity: list[Validity] = field(default_factory=list)
    label: str = ""  # the numbering as printed, e.g. "（四）"


@dataclass(frozen=True)
class Section:
    number: int  # 一、 → 1
    title: str
    articles: list[Article] = field(default_factory=list)


@dataclass(frozen=True)
class Document:
    slug: str  # file stem, e.g. "dalian-hrss-2020-38"
    doc_number: str  # "大人社发[2020]38号", used in citations
    title: str
    issuers: list[str]
    issued: str | None  # ISO date
    text: str  # normalised full text that offsets refer to
    sections: list[Section] = field(default_factory=list)
    closing: str = ""  # clauses after the last article (e.g. the validity of subsidy policies)
    source_sha256: str = ""
    preamble: str = ""  # addressees and introduction between the title and the first section

    def articles(self) -> Iterator[Article]:
        for section in self.sections:
            yield from section.articles

    def article(self, number: int) -> Article:
        for art in self.articles():
            if art.number == number:
                return art
        raise KeyError(f"{self.doc_number} has no article {number}")


@dataclass(frozen=True)
class KnowledgeBase:
    documents: list[Document]

    @property
    def fingerprint(self) -> str:
        """Content hash; the retrieval index records it and is rebuilt when it changes."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()[:16]

    def articles(self) -> Iterator[tuple[Document, Article]]:
        for doc in self.documents:
            for art in doc.articles():
                yield doc, art

    def clauses(self) -> Iterator[tuple[Document, Article, Clause]]:
        for doc, art in self.articles():
            for clause in art.clauses:
                yield doc, art, clause

    def document(self, key: str) -> Document:
        for doc in self.documents:
            if key in (doc.slug, doc.doc_number):
                return doc
        raise KeyError(f"no document {key!r}; known: {[d.doc_number for d in self.documents]}")

    def to_json(self) -> str:
        return json.dumps([asdict(d) for d in self.documents], ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "KnowledgeBase":
        return cls([_document_from_dict(d) for d in json.loads(text)])


def _document_from_dict(d: dict) -> Document:
    sections = [
        Section(
            number=s["number"],
            title=s["title"],
            articles=[
                Article(
                    **{k: v for k, v in a.items() if k not in ("clauses", "facts", "validity")},
                    clauses=[
                        Clause(**{**c, "facts": [Fact(**f) for f in c["facts"]]}) for c in a["clauses"]
                    ],
                    facts=[Fact(**f) for f in a["facts"]],
                    validity=[Validity(**v) for v in a["validity"]],
                )
                for a in s["articles"]
            ],
        )
        for s in d["sections"]
    ]
    return Document(**{**d, "sections": sections})
