"""Extract the numbers a notice states: amounts, percentages, counts, dates and durations.

Each `Fact` keeps its surface text *with* the comparator words around the number
("不超过企业职工总数的20%", "30人（含）以下", "满10年及以上") and a machine-readable `bound`,
so eligibility rules can tell 不高于 (le) from 低于 (lt). Offsets are relative to the text
passed in (an article's text). Chinese numerals (三个月, 半年, 百分之五) go through cn2an.

Conventions:
- percent: value in percent (5.5), unit "%".
- amount: value in yuan, unit "元" or "元/<per>" ("元/人", "元/人·课时" for 每人每课时…10元).
- count: value, unit 人 | 名 | 户 | 家 | 项 | 条 | 次.
- date: value ISO "YYYY-MM-DD"; a date without a year takes the year of the nearest earlier
  full date in the same text, else `default_year` (the notice's year).
- duration: years and months are expressed in months (unit "月": 1年 → 12, 半年 → 6,
  3个月 → 3); shorter durations keep their own unit ("分钟", "天", "小时", "周", "工作日").
  A range 3至6个月 has value 3 and upper 6.
"""
from __future__ import annotations

import datetime as dt
import re

import cn2an

from knowledge_base.model import Fact

_CN_DIGITS = "零〇一二两三四五六七八九十百千万"
_NUM = rf"(?:\d+(?:\.\d+)?|[{_CN_DIGITS}]+)"

# Comparator words before a number → bound. Longest first so 不得超过 wins over 超过.
_PREFIX_BOUNDS = {
    "不得超过": "le", "不得高于": "le", "不得多于": "le", "不超过": "le", "不高于": "le",
    "不多于": "le", "不大于": "le", "最高": "le", "最多": "le", "至多": "le", "上限为": "le",
    "不得低于": "ge", "不得少于": "ge", "不低于": "ge", "不少于": "ge", "不小于": "ge",
    "最低": "ge", "最少": "ge", "至少": "ge", "满": "ge",
    "低于": "lt", "少于": "lt", "小于": "lt", "不足": "lt", "未满": "lt", "不满": "lt",
    "高于": "gt", "超过": "gt", "多于": "gt", "大于": "gt",
}
# These must touch the number: 满足/最低工资 are ordinary words, not comparisons.
_ADJACENT_ONLY = {"满", "最高", "最多", "最低", "最少"}
_MAX_GAP = 10  # "不超过企业职工总数的20%": words allowed between comparator and number
_PREFIX_RE = re.compile("|".join(sorted(map(re.escape, _PREFIX_BOUNDS), key=len, reverse=True)))
# 以下/以内 include the number in Chinese legal usage, 以上 too.
_SUFFIX_RE = re.compile(r"(?:[（(]含[）)])?(?:及)?以(?P<dir>[下上内])|[（(]含[）)]")
_SUFFIX_BOUNDS = {"下": "le", "内": "le", "上": "ge"}
# A comparison never reaches across these.
_WINDOW_STOP = re.compile(r"[，。；：！？,;:!?\n（(]")

_PERCENT_RE = re.compile(r"(?P<num>\d+(?:\.\d+)?)\s*%|百分之(?P<cn>[零〇一二两三四五六七八九十百点]+)")
_AMOUNT_RE = re.compile(
    rf"(?P<num>{_NUM})(?P<mult>[万亿千]?)元(?:/(?P<per>人·月|人次|人|户|月|年|次|课时))?"
)
_COUNT_RE = re.compile(r"(?P<num>\d+)(?P<unit>人|名|户|家|项|条|次)(?!次性)")
_DURATION_RE = re.compile(
    rf"(?P<num>{_NUM}|半)(?:(?:至|到|-|－|~|～|—)(?P<num2>{_NUM}))?"
    r"(?P<unit>个月|个工作日|工作日|个小时|小时|分钟|年|周|天)"
)
_YEAR_CN = "〇零一二三四五六七八九"
_YEAR_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_FULL_DATE_RE = re.compile(
    rf"(?P<y>\d{{4}}|[{_YEAR_CN}]{{4}})年(?P<m>\d{{1,2}}|[一二三四五六七八九十]{{1,2}})月"
    r"(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})[日号]"
)
_MONTH_DAY_RE = re.compile(
    r"(?<![\d年〇零一二三四五六七八九十])(?P<m>\d{1,2}|[一二三四五六七八九十]{1,2})月"
    r"(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})[日号]"
)
_DATE_PREFIX_RE = re.compile(r"(?:截至|截止到|截止|延长至|推迟至|至|到)$")
_DATE_SUFFIX_RE = re.compile(r"^(?P<w>以前|之前|前|以后|之后|后|起)")

# overlap resolution: earlier kinds win when two matches cover the same characters
_PRIORITY = {"date": 0, "percent": 1, "amount": 2, "duration": 3, "count": 4}


def cn_number(token: str) -> float | None:
    """A number written in digits or Chinese numerals ("3", "5.5", "二十", "二〇二〇", "半").

    :returns: the value, or None when the token is not a number.
    """
    if token == "半":
        return 0.5
    try:
        return float(token)
    except ValueError:
        pass
    if token and all(ch in _YEAR_CN for ch in token) and len(token) == 4:
        return float("".join(str(_YEAR_DIGITS[ch]) for ch in token))  # 二〇二〇 → 2020
    try:
        return float(cn2an.cn2an(token, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


def _clean(value: float) -> float | int:
    """Integral floats as ints so the JSON reads 300, not 300.0."""
    return int(value) if float(value).is_integer() else round(value, 4)


def _prefix(text: str, start: int, floor: int) -> tuple[int, str | None]:
    """Find a comparator that governs the number at `start`.

    :param floor: the comparator may not begin before this offset (previous number's end).
    :returns: (start of the fact text, bound) — `start` and None when there is no comparator.
    """
    window_start = max((stop.end() for stop in _WINDOW_STOP.finditer(text, floor, start)), default=floor)
    window = text[window_start:start]
    best: tuple[int, str | None] = (start, None)
    for m in _PREFIX_RE.finditer(window):
        gap = len(window) - m.end()
        if m.group() in _ADJACENT_ONLY and gap:
            continue
        if gap <= _MAX_GAP and not re.search(r"\d", window[m.end():]):
            best = (window_start + m.start(), _PREFIX_BOUNDS[m.group()])
    return best


def _suffix(text: str, end: int) -> tuple[int, str | None]:
    m = _SUFFIX_RE.match(text, end)
    if m:  # a bare （含） only widens the text; the comparator before the number decides
        return m.end(), _SUFFIX_BOUNDS.get(m.group("dir") or "")
    return end, None


def _bounded(text: str, kind: str, m: re.Match, value, unit: str, floor: int, upper=None) -> Fact:
    start, bound = _prefix(text, m.start(), floor)
    end, suffix_bound = _suffix(text, m.end())
    return Fact(kind=kind, text=text[start:end], value=value, unit=unit, start=start, end=end,
                bound=suffix_bound or bound, upper=upper)


def _date_iso(y: float | None, m: float | None, d: float | None) -> str | None:
    try:
        return dt.date(int(y), int(m), int(d)).isoformat()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _dates(text: str, default_year: int | None) -> list[tuple[re.Match, str]]:
    found: list[tuple[re.Match, str]] = []
    for m in _FULL_DATE_RE.finditer(text):
        iso = _date_iso(cn_number(m["y"]), cn_number(m["m"]), cn_number(m["d"]))
        if iso:
            found.append((m, iso))
    taken = [(m.start(), m.end()) for m, _ in found]
    for m in _MONTH_DAY_RE.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        earlier = [iso for f, iso in found if f.end() <= m.start() and f.re is _FULL_DATE_RE]
        year = int(earlier[-1][:4]) if earlier else default_year
        iso = _date_iso(year, cn_number(m["m"]), cn_number(m["d"])) if year else None
        if iso:
            found.append((m, iso))
    return sorted(found, key=lambda pair: pair[0].start())


def extract_facts(text: str, default_year: int | None = None) -> list[Fact]:
    """Find amounts, percentages, counts, dates and durations in `text`.

    :param text: normalised text (an article); offsets in the result refer to it.
    :param default_year: year for dates written without one (9月30日) when no earlier full
        date in `text` gives it, normally the notice's year.
    :returns: facts ordered by position, non-overlapping.
    """
    candidates: list[tuple[int, int, str, re.Match, object]] = [
        (m.start(), m.end(), "date", m, iso) for m, iso in _dates(text, default_year)
    ]
    for m in _PERCENT_RE.finditer(text):
        value = cn_number(m["num"] or m["cn"].replace("点", "."))
        if m["cn"] and "点" in m["cn"]:
            whole, _, frac = m["cn"].partition("点")
            w = cn_number(whole)
            value = None if w is None else float(f"{int(w)}.{''.join(str(int(cn_number(c) or 0)) for c in frac)}")
        if value is not None:
            candidates.append((m.start(), m.end(), "percent", m, value))
    for m in _AMOUNT_RE.finditer(text):
        value = cn_number(m["num"])
        if value is not None:
            value *= {"万": 1e4, "亿": 1e8, "千": 1e3, "": 1}[m["mult"]]
            candidates.append((m.start(), m.end(), "amount", m, value))
    for m in _DURATION_RE.finditer(text):
        value = cn_number(m["num"])
        if value is None:
            continue
        after = text[m.end(): m.end() + 1]
        if m["unit"] == "年" and (value >= 100 or after in ("度", "初", "底", "末") or re.match(r"\d", after)):
            continue  # a calendar year (2020年, 2020年度), not a duration
        candidates.append((m.start(), m.end(), "duration", m, value))
    candidates += [(m.start(), m.end(), "count", m, float(m["num"])) for m in _COUNT_RE.finditer(text)]

    # keep the best non-overlapping matches: longer first, then by kind priority
    candidates.sort(key=lambda c: (-(c[1] - c[0]), _PRIORITY[c[2]], c[0]))
    chosen: list[tuple[int, int, str, re.Match, object]] = []
    for cand in candidates:
        if all(cand[1] <= c[0] or c[1] <= cand[0] for c in chosen):
            chosen.append(cand)
    chosen.sort(key=lambda c: c[0])

    facts: list[Fact] = []
    floor = 0
    for start, end, kind, m, value in chosen:
        if kind == "date":
            facts.append(_date_fact(text, m, value, floor))
        elif kind == "duration":
            facts.append(_duration_fact(text, m, value, floor))
        else:
            unit = "%" if kind == "percent" else _amount_unit(text, m) if kind == "amount" else m["unit"]
            facts.append(_bounded(text, kind, m, _clean(value), unit, floor))
        floor = facts[-1].end
    return facts


def _amount_unit(text: str, m: re.Match) -> str:
    """元, 元/人 (300元/人), or the 每… that precedes it in the same phrase (每人每课时…10元)."""
    if m["per"]:
        return f"元/{m['per']}"
    window_start = max((stop.end() for stop in re.finditer(r"[，。；：\n]", text[:m.start()])), default=0)
    per = re.findall(r"每(人|户|月|年|次|课时)", text[window_start:m.start()])
    return "元/" + "·".join(per) if per else "元"


def _duration_fact(text: str, m: re.Match, value: float, floor: int) -> Fact:
    unit = m["unit"]
    upper = cn_number(m["num2"]) if m["num2"] else None
    factor = {"年": 12, "个月": 1}.get(unit)
    if factor:
        value, upper = value * factor, (upper * factor if upper is not None else None)
        unit = "月"
    else:
        unit = {"个工作日": "工作日", "个小时": "小时"}.get(unit, unit)
    return _bounded(text, "duration", m, _clean(value), unit, floor, None if upper is None else _clean(upper))


def _date_fact(text: str, m: re.Match, iso: str, floor: int) -> Fact:
    start, end, bound = m.start(), m.end(), None
    prefix = _DATE_PREFIX_RE.search(text[max(floor, start - 3):start])
    if prefix:
        start -= len(prefix.group())
        bound = "le"
    suffix = _DATE_SUFFIX_RE.match(text[end:end + 2])
    if suffix:
        end += len(suffix.group())
        bound = "le" if "前" in suffix["w"] else "ge"
    return Fact(kind="date", text=text[start:end], value=iso, unit="", start=start, end=end, bound=bound)
