"""`hotline kb build` and `hotline kb check`: the parsed knowledge base, rebuilt from the sources."""
from __future__ import annotations

from pathlib import Path

import click

from knowledge_base.parser import ParseError
from knowledge_base.store import PARSED_DIR, SOURCES_DIR, KnowledgeBaseError, document_to_json, parse_sources, save


def _dir_option(flag: str, name: str, default: Path, help: str):
    return click.option(flag, name, type=click.Path(file_okay=False, path_type=Path), default=default,
                        show_default=True, help=help)


_sources_option = _dir_option("--sources", "sources_dir", SOURCES_DIR, "Directory of notices, one <slug>.txt each.")
_parsed_option = _dir_option("--out", "parsed_dir", PARSED_DIR, "Directory of parsed <slug>.json files.")


def _parse(sources_dir: Path):
    try:
        return parse_sources(sources_dir)
    except (ParseError, KnowledgeBaseError) as exc:
        raise click.ClickException(str(exc)) from None


def _orphans(documents, parsed_dir: Path) -> list[Path]:
    """Parsed files whose source is gone."""
    slugs = {d.slug for d in documents}
    return [p for p in sorted(parsed_dir.glob("*.json")) if p.stem not in slugs]


@click.group()
def kb() -> None:
    """知识库：解析通知原文（sources/*.txt）为可审阅的 parsed/*.json。"""


@kb.command()
@_sources_option
@_parsed_option
def build(sources_dir: Path, parsed_dir: Path) -> None:
    """解析全部通知，写入 parsed/<slug>.json 并列出各通知的条款 (parse every notice)."""
    documents = _parse(sources_dir)
    save(documents, parsed_dir)
    for orphan in _orphans(documents, parsed_dir):
        orphan.unlink()
        click.echo(f"已删除 {orphan.name}（原文已不存在）")
    for doc in documents:
        articles = list(doc.articles())
        clauses = sum(len(a.clauses) for a in articles)
        facts = sum(len(a.facts) for a in articles)
        click.echo(
            f"{doc.slug}  {doc.doc_number}  《{doc.title}》  {doc.issued or '日期未知'}\n"
            f"  {len(doc.sections)} 个部分，{len(articles)} 条，{clauses} 句，{facts} 个数据"
        )
        for section in doc.sections:
            numbers = [a.number for a in section.articles]
            span = f"第{numbers[0]}–{numbers[-1]}条" if len(numbers) > 1 else f"第{numbers[0]}条"
            click.echo(f"  {section.number}. {section.title or '（无标题）'}：{span}")
    click.echo(f"已写入 {len(documents)} 个文件到 {parsed_dir}")


@kb.command()
@_sources_option
@_parsed_option
def check(sources_dir: Path, parsed_dir: Path) -> None:
    """检查 parsed/*.json 是否与原文一致，不一致时退出码为 1 (for CI)."""
    documents = _parse(sources_dir)
    problems = []
    for doc in documents:
        path = parsed_dir / f"{doc.slug}.json"
        if not path.exists():
            problems.append(f"{path.name} 缺失")
        elif path.read_text(encoding="utf-8") != document_to_json(doc):
            problems.append(f"{path.name} 已过期")
    problems += [f"{p.name} 没有对应的原文" for p in _orphans(documents, parsed_dir)]
    if problems:
        raise click.ClickException("知识库与原文不一致：" + "；".join(problems) + "。请运行 `hotline kb build`。")
    click.echo(f"知识库是最新的（{len(documents)} 个文件）。")
