"""Chart geometry for the dashboard, computed on the server.

Functions here return plain numbers and strings; the SVG itself is written by the Jinja macros in
`templates/staff/_charts.html`, so every label goes through autoescaping and no script or CDN is
needed to draw a chart.
"""
from __future__ import annotations

import datetime as dt
import math

CHANNEL_COLOURS = {"web": "#2f7d32", "wechat": "#07a35a", "api": "#1e5fa8", "ivr": "#b26a00"}
EXTRA_COLOURS = ("#6a4c93", "#8d6e63", "#00838f", "#c2185b")


def channel_colour(channel: str, index: int = 0) -> str:
    return CHANNEL_COLOURS.get(channel, EXTRA_COLOURS[index % len(EXTRA_COLOURS)])


def nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * exponent >= value:
            return step * exponent
    return 10 * exponent


def _day_chart(days: list[dt.date], width: int, height: int) -> tuple[dict, float]:
    """The frame of a chart with one slot per day (plot area and date labels), and the slot width."""
    left, bottom, top = 44, 24, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    n = max(len(days), 1)
    slot = plot_w / n
    labels = [{"x": round(left + i * slot + slot / 2, 1), "text": f"{d:%m-%d}"}
              for i, d in enumerate(days) if i % max(1, n // 10) == 0]
    return {"width": width, "height": height, "left": left, "top": top, "plot_w": plot_w, "plot_h": plot_h,
            "labels": labels}, slot


def stacked_bars(per_day: list[tuple[dt.date, dict[str, int]]], channels: list[str], label_of,
                 width: int = 720, height: int = 220) -> dict:
    """Questions per day, one bar per day stacked by channel.

    :param per_day: (day, {channel: count}) oldest first.
    :param label_of: channel slug → Chinese label.
    """
    frame, slot = _day_chart([d for d, _ in per_day], width, height)
    left, top, plot_h = frame["left"], frame["top"], frame["plot_h"]
    peak = nice_max(max((sum(c.values()) for _, c in per_day), default=0))
    bars = []
    for i, (day, counts) in enumerate(per_day):
        y = top + plot_h
        segments = []
        for j, channel in enumerate(channels):
            value = counts.get(channel, 0)
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            segments.append({"y": round(y, 1), "h": round(h, 1), "colour": channel_colour(channel, j),
                             "title": f"{day:%m-%d} {label_of(channel)} {value}"})
        bars.append({"x": round(left + i * slot + slot * 0.15, 1), "w": round(max(slot * 0.7, 1), 1),
                     "segments": segments, "total": sum(counts.values())})
    ticks = [{"y": round(top + plot_h - plot_h * k / 4, 1), "text": f"{peak * k / 4:g}"} for k in range(5)]
    legend = [{"text": label_of(c), "colour": channel_colour(c, j)} for j, c in enumerate(channels)]
    return {**frame, "bars": bars, "ticks": ticks, "legend": legend}


def rate_line(points: list[tuple[dt.date, int, int]], width: int = 720, height: int = 160) -> dict:
    """The answered rate per day (answered / total) as a line from 0 to 100 %; days without
    questions leave a gap."""
    frame, slot = _day_chart([p[0] for p in points], width, height)
    left, top, plot_h = frame["left"], frame["top"], frame["plot_h"]
    segments: list[list[str]] = [[]]
    dots = []
    for i, (day, answered, total) in enumerate(points):
        if not total:
            if segments[-1]:
                segments.append([])
            continue
        x = left + i * slot + slot / 2
        y = top + plot_h * (1 - answered / total)
        segments[-1].append(f"{x:.1f},{y:.1f}")
        dots.append({"x": round(x, 1), "y": round(y, 1), "title": f"{day:%m-%d} {answered / total:.0%}（{answered}/{total}）"})
    ticks = [{"y": round(top + plot_h * (1 - k / 4), 1), "text": f"{k * 25}%"} for k in range(5)]
    return {**frame, "lines": [" ".join(s) for s in segments if s], "dots": dots, "ticks": ticks}


def sparkline(values: list[int], width: int = 120, height: int = 24) -> dict:
    """A tiny line of daily counts for a table row."""
    peak = max(values, default=0) or 1
    n = len(values)
    step = width / max(n - 1, 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (height - 4) * v / peak:.1f}" for i, v in enumerate(values))
    return {"width": width, "height": height, "points": points}


def hbar(value: float, peak: float, width: int = 160) -> int:
    """Pixel length of a horizontal bar."""
    return int(round(width * value / peak)) if peak else 0
