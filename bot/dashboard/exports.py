"""CSV and XLSX exports of the hotspot figures and of the logged turns.

CSV is UTF-8 with a byte-order mark so Excel opens Chinese text correctly; a cell that starts with
= + - @ gets a leading apostrophe (OWASP's defence against formula injection). XLSX cells are
written as text, never formulas. Both carry only masked questions and pseudonymous user ids.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator

from bot.hotspots.analysis import (
    HotspotAnalysis,
    Period,
    channel_label,
    growth_text,
    reason_label,
)
from bot.hotspots.reasons import AbstainReason

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXPORTS = ("turns", "hotspots", "unanswered", "articles")
EXPORT_LABELS = {"turns": "问答明细", "hotspots": "热点问题", "unanswered": "未答问题", "articles": "条款热度"}


def safe_cell(value):
    """A cell value that a spreadsheet shows as text, never evaluates."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _yes(value) -> str:
    return "是" if value else "否"


def table(analysis: HotspotAnalysis, what: str, period: Period) -> tuple[list[str], Iterable[list]]:
    """Headers and rows of one export.

    :param what: one of `EXPORTS`.
    :raises ValueError: unknown export (the message is Chinese).
    """
    from bot.dashboard.auth import utc_to_local

    if what == "turns":
        from bot.handoff.desk import SPEAKER_LABELS

        headers = ["时间", "渠道", "用户（假名）", "问题（已脱敏）", "意图", "引用条款", "置信度", "已回答",
                   "未答原因", "转人工", "降级", "响应毫秒", "评价", "热点编号", "发言方", "人工客服"]

        def turn_rows() -> Iterator[list]:
            for t in analysis.turns(period):
                reason = t["abstain_reason"] or (AbstainReason.THUMBS_DOWN.value if t["feedback"] == "down" else "")
                yield [utc_to_local(t["created_at"]), channel_label(t["channel"]), t["user_hash"][:16], t["question"],
                       t["intent"], t["articles"], round(float(t["confidence"]), 4), _yes(t["answered"]),
                       reason_label(reason), _yes(t["handoff"]), _yes(t["degraded"]), round(float(t["latency_ms"]), 1),
                       {"up": "👍", "down": "👎"}.get(t["feedback"] or "", ""), t["hotspot"],
                       SPEAKER_LABELS.get(t["speaker"], t["speaker"]), t["agent"] or ""]

        return headers, turn_rows()
    if what == "hotspots":
        headers = ["排名", "问题", "次数", "上期次数", "增长", "突增", "回答率", "问法数", "热点编号"]
        return headers, (
            [i, h.label, h.count, h.previous, growth_text(h.growth), _yes(h.spike), round(h.answered_rate, 4),
             h.wordings, h.key]
            for i, h in enumerate(analysis.hotspots(period, limit=None), 1)
        )
    if what == "unanswered":
        headers = ["问题", "次数", "原因", "渠道", "最近提问", "已添加答案", "热点编号"]
        return headers, (
            [e.question, e.count, "；".join(f"{reason_label(r)} {n}" for r, n in e.reasons),
             "、".join(channel_label(c) for c in e.channels), utc_to_local(e.last_at), _yes(e.curated_id), e.key]
            for e in analysis.unanswered(period, include_resolved=True, limit=None)
        )
    if what == "articles":
        hot, uncovered = analysis.article_heat(period)
        headers = ["文件", "条款", "标题", "命中次数", "首选引用", "上期命中", "占比"]
        return headers, (
            [a.document, a.article, a.title, a.hits, a.top_hits, a.previous, round(a.share, 4)]
            for a in [*hot, *uncovered]
        )
    raise ValueError(f"不支持的导出类型“{what}”，可选：{'、'.join(EXPORTS)}。")


def csv_stream(headers: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV text in chunks (BOM first), for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(headers)
    for n, row in enumerate(rows, 1):
        writer.writerow([safe_cell(v) for v in row])
        if n % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(analysis: HotspotAnalysis, period: Period) -> bytes:
    """One workbook: a sheet per export (hotspots, unanswered, articles, turns)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    for what in ("hotspots", "unanswered", "articles", "turns"):
        sheet = workbook.create_sheet(EXPORT_LABELS[what])
        headers, rows = table(analysis, what, period)
        sheet.append(headers)
        for row in rows:
            cells = []
            for value in row:
                if isinstance(value, str):
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters are not allowed in XLSX
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text, even when it starts with "="
                cells.append(cell)
            sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
