"""The reviewable parsed knowledge base: one JSON file per notice under `knowledge_base/parsed/`.

`hotline kb build` writes the files from `knowledge_base/sources/*.txt`; everything else reads
them through `load_knowledge_base()`, which parses nothing and is cached per process.
"""
from __future__ import annotations

import functools
import json
from dataclasses import asdict
from pathlib import Path

from knowledge_base.model import Document, KnowledgeBase, _document_from_dict
from knowledge_base.parser import parse_notice

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCES_DIR = PACKAGE_DIR / "sources"
PARSED_DIR = PACKAGE_DIR / "parsed"


class KnowledgeBaseError(RuntimeError):
    """The knowledge base is missing or unreadable; the message says what to do, in Chinese."""


def document_to_json(doc: Document) -> str:
    """The file form of a document: pretty, UTF-8 text, fields in model order, final newline."""
    return json.dumps(asdict(doc), ensure_ascii=False, indent=2) + "\n"


def document_from_json(text: str) -> Document:
    """Inverse of `document_to_json`."""
    return _document_from_dict(json.loads(text))


def read_source(path: Path) -> str:
    """A notice's text; a UTF-8 BOM is dropped.

    :raises KnowledgeBaseError: the file is not UTF-8 text.
    """
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(f"通知文件 {path.name} 不是 UTF-8 文本：{exc}") from None


def parse_sources(sources_dir: Path | None = None) -> list[Document]:
    """Parse every `<slug>.txt` in `sources_dir` (default: the bundled sources), sorted by slug.

    :raises KnowledgeBaseError: no sources, or a file that is not UTF-8.
    :raises knowledge_base.parser.ParseError: a notice the parser cannot read.
    """
    sources_dir = Path(sources_dir or SOURCES_DIR)
    paths = sorted(sources_dir.glob("*.txt"))
    if not paths:
        raise KnowledgeBaseError(f"目录 {sources_dir} 中没有通知文件（*.txt）。")
    return [parse_notice(read_source(p), p.stem) for p in paths]


def save(documents: list[Document], parsed_dir: Path | None = None) -> list[Path]:
    """Write `<slug>.json` for each document; files are only rewritten when their content changes.

    :returns: the paths of the written (or unchanged) files, in document order.
    """
    parsed_dir = Path(parsed_dir or PARSED_DIR)
    parsed_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for doc in documents:
        path = parsed_dir / f"{doc.slug}.json"
        content = document_to_json(doc)
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
        paths.append(path)
    clear_cache()
    return paths


def load_knowledge_base(parsed_dir: Path | None = None) -> KnowledgeBase:
    """All parsed documents, sorted by slug; cached per process and directory.

    :param parsed_dir: default `knowledge_base/parsed/`.
    :raises KnowledgeBaseError: the directory has no parsed files, or one is unreadable.
    """
    return _load(str(Path(parsed_dir or PARSED_DIR).resolve()))


@functools.lru_cache(maxsize=8)
def _load(parsed_dir: str) -> KnowledgeBase:
    paths = sorted(Path(parsed_dir).glob("*.json"))
    if not paths:
        raise KnowledgeBaseError(f"知识库为空：{parsed_dir} 中没有解析结果，请先运行 `hotline kb build`。")
    documents = []
    for path in paths:
        try:
            documents.append(document_from_json(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise KnowledgeBaseError(
                f"知识库文件 {path.name} 无法读取（{exc}），请运行 `hotline kb build` 重新生成。"
            ) from None
    return KnowledgeBase(documents)


def clear_cache() -> None:
    """Forget loaded knowledge bases (after `save`, or in tests)."""
    _load.cache_clear()
