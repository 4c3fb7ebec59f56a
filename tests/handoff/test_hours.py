"""HOTLINE_AGENT_HOURS: parsing (errors name the bad span), open or closed at a moment, the label."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.config import ConfigError, Settings
from bot.agent_hours import AgentHours

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(day: str, time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize("moment, expected", [
    (at("2026-12-07", "08:29"), False),  # a Monday, before opening
    (at("2026-12-07", "08:30"), True),  # opening minute included
    (at("2026-12-07", "16:59"), True),
    (at("2026-12-07", "17:00"), False),  # closing minute excluded
    (at("2026-12-11", "10:00"), True),  # Friday
    (at("2026-12-12", "10:00"), False),  # Saturday
])
def test_default_hours_are_weekdays_half_past_eight_to_five(moment, expected):
    assert AgentHours.parse(Settings.agent_hours).open_at(moment) is expected


def test_naive_moments_are_utc():
    hours = AgentHours.parse("1-5 08:30-17:00")
    assert hours.open_at(dt.datetime(2026, 12, 7, 0, 30)) is True  # 08:30 in Dalian
    assert hours.open_at(dt.datetime(2026, 12, 7, 0, 29)) is False


def test_several_spans_and_the_label():
    hours = AgentHours.parse("1-5 08:30-11:30, 1-5 13:00-17:00,6 09:00-12:00")
    assert hours.open_at(at("2026-12-07", "12:00")) is False
    assert hours.open_at(at("2026-12-12", "09:30")) is True
    assert hours.label() == "周一至周五 08:30—11:30，周一至周五 13:00—17:00，周六 09:00—12:00"
    assert AgentHours.parse("1-7 00:00-24:00").open_at(at("2026-12-13", "23:59")) is True


@pytest.mark.parametrize("value", ["weekdays 9-5", "1-5 08:30", "5-1 08:30-17:00", "1-5 17:00-08:30",
                                   "1-8 08:00-09:00", "1-5 08:60-09:00", ""])
def test_bad_hours_are_refused_naming_the_value(value, tmp_path):
    with pytest.raises(ConfigError, match="HOTLINE_AGENT_HOURS"):
        Settings.from_env({"HOTLINE_AGENT_HOURS": value or " "}, var_dir=tmp_path)
    if value:
        with pytest.raises(ConfigError, match="HOTLINE_AGENT_HOURS"):
            AgentHours.parse(value)
