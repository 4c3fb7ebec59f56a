"""When the event of a case happened (`event_date`): "2023-02", "2020-10-08", "2023", "now", or
"now-1m" / "now-1y" (a month or a year before the day asked: 上个月, 去年), and what it reads as."""
from __future__ import annotations

import datetime as dt
import re

VALUE = re.compile(r"now(?:-\d+[my])?|\d{4}(?:-\d{2}(?:-\d{2})?)?")
_MONTHS = 12
_FIRST_DAY = dt.date.min.isoformat()[len("YYYY"):]  # "2023" → 2023-01-01, "2023-02" → 2023-02-01


def earliest_day(event: str, as_of: dt.date) -> dt.date:
    """The first day an event can have happened."""
    return dt.date.fromisoformat((absolute(event, as_of) + _FIRST_DAY)[: len("YYYY-MM-DD")])


def absolute(event: str, as_of: dt.date) -> str:
    """"now-1m" on 2026-12-04 → "2026-11"; "now-1y" → "2025"; "now" → "2026-12-04"; a date stays."""
    if not event.startswith("now"):
        return event
    if event == "now":
        return as_of.isoformat()
    back, unit = int(event[len("now-"):-1]), event[-1]
    if unit == "y":
        return f"{as_of.year - back:04d}"
    months = as_of.year * _MONTHS + as_of.month - 1 - back
    return f"{months // _MONTHS:04d}-{months % _MONTHS + 1:02d}"


def text(event: str) -> str:
    """"2023-02" → 2023年2月."""
    parts = [int(p) for p in event.split("-")]
    return "".join(f"{n}{unit}" for n, unit in zip(parts, ("年", "月", "日")))
