"""When people answer 转人工: `HOTLINE_AGENT_HOURS`, in Dalian's local time.

Format: comma-separated spans `<days> <from>-<to>`, days as ISO weekdays (1 = Monday … 7 = Sunday)
in a range or a single day; e.g. `1-5 08:30-17:00` (the default), `1-5 08:30-11:30,1-5 13:00-17:00`,
`1-7 00:00-24:00` (always). Outside these hours, or when no agent has the console open, the citizen
is told at once, with the hours and 12333, and may leave a message or a number for a callback.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.config import LOCAL_TZ

_SPAN = re.compile(r"^([1-7])(?:-([1-7]))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Span:
    first_day: int
    last_day: int
    start: int  # minutes after midnight
    end: int

    def label(self) -> str:
        days = (f"周{_WEEKDAYS[self.first_day - 1]}" if self.first_day == self.last_day
                else f"周{_WEEKDAYS[self.first_day - 1]}至周{_WEEKDAYS[self.last_day - 1]}")
        return f"{days} {self.start // 60:02d}:{self.start % 60:02d}—{self.end // 60:02d}:{self.end % 60:02d}"


@dataclass(frozen=True)
class AgentHours:
    spans: tuple[Span, ...]

    @classmethod
    def parse(cls, text: str) -> "AgentHours":
        """:raises ConfigError: a span that is not `<days> HH:MM-HH:MM`, naming it."""
        from bot.config import ConfigError

        spans = []
        for raw in (text or "").split(","):
            raw = " ".join(raw.split())
            match = _SPAN.match(raw)
            if not match:
                raise ConfigError(
                    f"HOTLINE_AGENT_HOURS must be spans like '1-5 08:30-17:00' (ISO weekdays, local times), got {raw!r}"
                )
            first, last = int(match.group(1)), int(match.group(2) or match.group(1))
            start = int(match.group(3)) * 60 + int(match.group(4))
            end = int(match.group(5)) * 60 + int(match.group(6))
            if first > last or not (0 <= start < end <= 24 * 60) or int(match.group(4)) > 59 or int(match.group(6)) > 59:
                raise ConfigError(f"HOTLINE_AGENT_HOURS has an empty or impossible span {raw!r}")
            spans.append(Span(first, last, start, end))
        return cls(tuple(spans))

    def open_at(self, moment: dt.datetime | None = None) -> bool:
        """Whether `moment` (aware, or naive UTC; default now) is within the hours."""
        moment = moment or dt.datetime.now(dt.timezone.utc)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        local = moment.astimezone(LOCAL_TZ)
        minute = local.hour * 60 + local.minute
        day = local.isoweekday()
        return any(s.first_day <= day <= s.last_day and s.start <= minute < s.end for s in self.spans)

    def label(self) -> str:
        """The hours as citizens read them: `周一至周五 08:30—17:00`."""
        return "，".join(s.label() for s in self.spans)
