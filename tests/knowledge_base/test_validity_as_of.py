"""`knowledge_base.validity.validity_as_of`: one wording of validity for answers and verdicts,
judged against a date, with 疫情防控期间 resolved by HOTLINE_EPIDEMIC_END. One row per edge."""
from __future__ import annotations

import datetime as dt

import pytest

from knowledge_base.validity import validity_as_of

END = dt.date(2023, 1, 8)
TODAY = dt.date(2026, 12, 3)


@pytest.mark.parametrize("name, kind, as_of, kw, ended, end, words", [
    ("an epidemic-period measure ended with the epidemic period", "epidemic_period", TODAY, {}, True, END, ["2023年1月8日结束", "乙类乙管"]),
    ("on the last day it still runs", "epidemic_period", END, {}, False, END, ["尚未到期"]),
    ("the day after it has ended", "epidemic_period", END + dt.timedelta(days=1), {}, True, END, ["已于2023年1月8日结束"]),
    ("three months after the epidemic", "after_epidemic", TODAY, {"text": "至疫情结束后3个月"}, True, dt.date(2023, 4, 8), ["疫情结束后3个月", "2023年4月8日"]),
    ("N months read from the words", "after_epidemic_3_months", TODAY, {"text": "至疫情结束后6个月"}, True, dt.date(2023, 7, 8), ["6个月"]),
    ("an explicit date", "until_date", TODAY, {"until": dt.date(2021, 8, 31)}, True, dt.date(2021, 8, 31), ["至2021年8月31日"]),
    ("a deadline is 届满", "deadline", TODAY, {"until": dt.date(2020, 9, 30)}, True, dt.date(2020, 9, 30), ["期限", "届满"]),
    ("the closing clause's period names its basis", "epidemic_period", TODAY, {"explicit": False}, True, END, ["补贴类政策"]),
    ("no period stated", "none_stated", TODAY, {}, False, None, ["未对这项措施单独规定"]),
])
def test_validity(name, kind, as_of, kw, ended, end, words):
    judged = validity_as_of(kind, as_of, END, **kw)
    assert (judged.ended, judged.end) == (ended, end), name
    assert all(w in judged.line for w in words), judged.line
    assert bool(judged.headline) == ended


def test_an_unset_epidemic_end_keeps_todays_wording():
    judged = validity_as_of("epidemic_period", TODAY, None)
    assert not judged.ended and judged.end is None and "未写明具体截止日期" in judged.line
    assert validity_as_of("until_date", TODAY, None, until=dt.date(2021, 8, 31)).ended  # explicit dates stand


def test_the_setting_is_read_and_empty_means_unset(tmp_path):
    from bot.config import ConfigError, Settings

    assert Settings.from_env({}, var_dir=tmp_path).epidemic_end == END
    assert Settings.from_env({"HOTLINE_EPIDEMIC_END": ""}, var_dir=tmp_path).epidemic_end is None
    assert Settings.from_env({"HOTLINE_EPIDEMIC_END": "2022-12-07"}, var_dir=tmp_path).epidemic_end == dt.date(2022, 12, 7)
    with pytest.raises(ConfigError, match="HOTLINE_EPIDEMIC_END"):
        Settings.from_env({"HOTLINE_EPIDEMIC_END": "soon"}, var_dir=tmp_path)
