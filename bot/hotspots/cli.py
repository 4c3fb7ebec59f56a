"""`hotline hotspots`: the hotspot figures on the command line, and clustering/tuning/migration.

    hotline hotspots --since 7d --format table     # what staff see on the dashboard
    hotline hotspots cluster [--full]              # place new questions in hotspots (or rebuild)
    hotline hotspots tune                          # re-tune the paraphrase threshold on labelled pairs
    hotline hotspots migrate                       # upgrade the log database to the latest schema
"""
from __future__ import annotations

import csv
import io
import json
import sys
import unicodedata

import click

from bot.config import Settings
from bot.hotspots import db
from bot.hotspots.analysis import (
    HotspotAnalysis,
    Period,
    build_report,
    channel_label,
    growth_text,
    parse_since,
    reason_label,
)

FORMATS = ("table", "csv", "json")
CSV_COLUMNS = ["section", "rank", "key", "name", "count", "previous", "growth", "spike", "answered_rate", "detail"]


def _since(_ctx, _param, value):
    try:
        return parse_since(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.group(invoke_without_command=True)
@click.option("--since", "days", default="7d", show_default=True, callback=_since,
              help="统计最近多长时间：7d（天）、2w（周）、24h（小时）。")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help="输出格式。")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="每个列表最多显示几行。")
@click.pass_context
def hotspots(ctx: click.Context, days: int, fmt: str, limit: int) -> None:
    """热点问题、未答问题和条款热度（与管理后台相同的统计）。"""
    if ctx.invoked_subcommand is not None:
        return
    report = build_report(HotspotAnalysis.from_settings(Settings.from_env()), Period.last(days), limit=limit)
    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        buffer = io.StringIO()
        write_csv(report, buffer)
        click.echo(buffer.getvalue(), nl=False)
    else:
        click.echo(format_table(report), nl=False)


def report_rows(report: dict) -> list[dict]:
    """The report as one flat table (`CSV_COLUMNS`), section by section."""
    rows = [
        {"section": "overview", "name": name, "count": value}
        for name, value in report["overview"].items() if name != "by_channel"
    ]
    rows += [{"section": "channel", "name": c, "count": n} for c, n in report["overview"]["by_channel"].items()]
    rows += [
        {"section": "hotspot", "rank": h["rank"], "key": h["key"], "name": h["question"], "count": h["count"],
         "previous": h["previous"], "growth": h["growth"], "spike": h["spike"], "answered_rate": h["answered_rate"],
         "detail": f"{h['wordings']} 种问法"}
        for h in report["hotspots"]
    ]
    rows += [
        {"section": "unanswered", "rank": u["rank"], "key": u["key"], "name": u["question"], "count": u["count"],
         "detail": "；".join(f"{reason_label(r)} {n}" for r, n in u["reasons"].items())}
        for u in report["unanswered"]
    ]
    rows += [
        {"section": "article", "rank": i, "key": f"{a['document']}#{a['article']}",
         "name": f"第{a['article']}条 {a['title']}", "count": a["hits"], "previous": a["previous"],
         "detail": f"首选引用 {a['top_hits']}"}
        for i, a in enumerate(report["articles"], 1)
    ]
    rows += [
        {"section": "uncovered_article", "key": f"{a['document']}#{a['article']}",
         "name": f"第{a['article']}条 {a['title']}", "count": 0}
        for a in report["uncovered_articles"]
    ]
    return rows


def write_csv(report: dict, out) -> None:
    """The report as CSV; cells are escaped against formula injection as the dashboard's exports are."""
    from bot.dashboard.exports import safe_cell

    # CRLF as RFC 4180 and the dashboard's exports: a CR inside a cell is then quoted, not a line break.
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in report_rows(report):
        writer.writerow({key: safe_cell(value) for key, value in row.items()})


def printable(text: str) -> str:
    """`text` safe for a terminal: control and format characters (ESC, CR, bidi overrides, …) are
    shown as escapes such as `\\x1b`, so a logged question cannot rewrite the operator's screen."""
    return "".join(
        ch if ch == " " or unicodedata.category(ch)[0] not in "CZ" or unicodedata.category(ch) == "Zs"
        else ascii(ch)[1:-1]
        for ch in text
    )


def _table(headers: list[str], rows: list[list]) -> str:
    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)

    cells = [[str(c) for c in headers]] + [[printable("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c + " " * (widths[i] - width(c)) for i, c in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def format_table(report: dict) -> str:
    o = report["overview"]
    p = report["period"]
    parts = [
        f"统计区间：{p['start']} 至 {p['end']}（{p['days']} 天）\n",
        f"提问 {o['turns']} 次（上期 {o['previous_turns']}，{growth_text(o['growth'])}），"
        f"已回答 {o['answered_rate']:.1%}，转人工 {o['handoff']}，👍 {o['thumbs_up']} 👎 {o['thumbs_down']}，"
        f"用户 {o['users']} 人，平均响应 {o['mean_latency_ms']:.0f} ms\n",
        "渠道：" + printable("，".join(f"{channel_label(c)} {n}" for c, n in o["by_channel"].items()) or "无") + "\n",
        "\n热点问题\n",
        report["grouping"]["text"] + "（hotline hotspots cluster 可立即归类）\n"
        if report["grouping"]["pending_wordings"] else report["grouping"]["text"] + "\n",
        _table(
            ["#", "问题", "次数", "上期", "增长", "突增", "回答率", "问法"],
            [[h["rank"], h["question"], h["count"], h["previous"], growth_text(h["growth"]),
              "是" if h["spike"] else "", f"{h['answered_rate']:.0%}", h["wordings"]] for h in report["hotspots"]],
        ),
        "\n未答问题\n",
        _table(
            ["#", "问题", "次数", "原因"],
            [[u["rank"], u["question"], u["count"],
              "；".join(f"{reason_label(r)} {n}" for r, n in u["reasons"].items())] for u in report["unanswered"]],
        ),
        "\n条款热度\n",
        _table(
            ["条款", "标题", "命中", "首选", "上期"],
            [[f"第{a['article']}条", a["title"], a["hits"], a["top_hits"], a["previous"]] for a in report["articles"]],
        ),
        "\n无人问及的条款：" + ("、".join(f"第{a['article']}条" for a in report["uncovered_articles"]) or "无") + "\n",
    ]
    return "".join(parts)


@hotspots.command("cluster")
@click.option("--full", is_flag=True, help="全部重新聚类（默认只归类新出现的问法）。")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None, help="相似度阈值（默认用调好的阈值）。")
def cluster_command(full: bool, threshold: float | None) -> None:
    """把同义问法归为同一个热点。"""
    from bot.hotspots.clustering import HotspotClusterer

    result = HotspotClusterer.from_settings(Settings.from_env(), threshold=threshold).run(full=full)
    click.echo(
        f"{'全部重新聚类' if full else '增量聚类'}：{result.new_questions} 种新问法，共 {result.questions} 种问法、"
        f"{result.clusters} 个热点，阈值 {result.threshold:.4f}，用时 {result.seconds:.1f} 秒"
    )


@hotspots.command("tune")
@click.option("--pairs", "pairs_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="标注好的问句对（默认 knowledge_base/questions/paraphrase_pairs.yaml）。")
@click.option("--write/--dry-run", default=True, show_default=True, help="是否写入 paraphrase_threshold.json。")
def tune_command(pairs_path: str | None, write: bool) -> None:
    """在标注问句对上调整聚类的相似度阈值。"""
    from pathlib import Path

    from bot.hotspots.clustering import PAIRS_FILE, THRESHOLD_FILE, load_pairs, make_question_encoder, tune_threshold

    encoder = make_question_encoder(Settings.from_env().encoder)
    record = tune_threshold(load_pairs(Path(pairs_path) if pairs_path else PAIRS_FILE), encoder)
    text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    if write:
        THRESHOLD_FILE.write_text(text, encoding="utf-8")
        click.echo(f"已写入 {THRESHOLD_FILE}")
    click.echo(text, nl=False)


@hotspots.command("migrate")
def migrate_command() -> None:
    """把日志数据库升级到最新结构（Alembic upgrade head）。"""
    engine = db.get_engine(Settings.from_env().database_url)
    db.upgrade(engine)
    click.echo(f"数据库已是最新结构：{engine.url.render_as_string(hide_password=True)}")


if __name__ == "__main__":  # pragma: no cover
    hotspots(sys.argv[1:])
