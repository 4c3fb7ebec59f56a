"""How long each measure applies, read from the article's own words and the notice's closing.

Kinds (see `Validity`):
- `epidemic_period`: a sentence scoped by 疫情防控期间 (at the start of a phrase: "疫情防控期间，…",
  "在疫情防控期间，…", "对在疫情防控期间…"); attributive uses such as "打击疫情防控期间出现的…"
  are not a validity.
- `until_date`: "…政策至2021年8月31日" (截至 is a qualifying window, not an end, and is skipped).
- `deadline`: a time limit moved to a date: "报到期限…延长至9月30日前".
- `after_epidemic`: "至疫情结束后3个月".
- the closing clause ("上述有关补贴类政策执行期限除已明确规定时限外，统一为疫情防控期间。") gives
  the same kinds with `explicit=False` to articles of that category that state no period themselves.
- `none_stated`: nothing applies.

Each entry's `text` is the sentence that states it, so a reader sees which measure it governs.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from bot.core.messages import say
from knowledge_base.model import Validity

_EPIDEMIC_RE = re.compile(r"(?:^|(?<=[，；：,;:]))(?:在|对在|于)?疫情(?:防控)?期间")
_EPIDEMIC_ANYWHERE_RE = re.compile(r"疫情(?:防控)?期间")
_AFTER_EPIDEMIC_RE = re.compile(r"至疫情(?:结束|解除)后")
_DEADLINE_WORDS_RE = re.compile(r"期限|时限|截止|报到")
_UNTIL_RE = re.compile(r"(?:延长|推迟)?(?:至|到)")
_CATEGORY_RE = re.compile(r"([\u4e00-\u9fff]{2})类(?:政策|措施)")
# words that mark an article as belonging to a category named in the closing
_CATEGORY_WORDS = {"补贴": ("补贴", "补助")}


@dataclass(frozen=True)
class ClosingRule:
    """A period the closing gives to every article of a category that states none itself.

    :param kind: `epidemic_period` or `until_date`.
    :param text: the closing sentence.
    :param until: ISO end date for `until_date`.
    :param keywords: words an article must contain to fall under it; empty for all articles.
    """

    kind: str
    text: str
    until: str | None
    keywords: tuple[str, ...]

    def applies_to(self, article_text: str) -> bool:
        if not self.keywords:
            return True
        # 就业补助资金 is a fund that pays for measures, not a subsidy measure itself
        words = "|".join(map(re.escape, self.keywords))
        return re.search(rf"(?:{words})(?!资金|基金)", article_text) is not None


def article_validity(
    sentences: list[tuple[int, int, int]], text: str, date_facts: list[tuple[int, int, str, str]]
) -> list[Validity]:
    """Validity stated in an article's own text.

    :param sentences: (start, end, clause number) of each full sentence of the article, offsets
        relative to `text`; the clause number is that of the clause where the sentence starts.
    :param text: the article text.
    :param date_facts: (start, end, surface text, ISO date) of the article's date facts.
    :returns: entries in text order, one per (sentence, kind, date).
    """
    found: list[Validity] = []
    for start, end, clause in sentences:
        sentence = text[start:end]
        phrases = re.split(r"(?<=[，；：,;:])", sentence)
        if any(_EPIDEMIC_RE.match(p) for p in phrases):
            found.append(Validity("epidemic_period", sentence, None, True, clause))
        if _AFTER_EPIDEMIC_RE.search(sentence):
            found.append(Validity("after_epidemic", sentence, None, True, clause))
        for d_start, d_end, surface, iso in date_facts:
            # the date fact's surface carries its preposition: 至…/延长至… end a measure,
            # 截至… only bounds a qualifying window
            if not (start <= d_start < end and _UNTIL_RE.match(surface)):
                continue
            kind = "deadline" if _DEADLINE_WORDS_RE.search(sentence) else "until_date"
            found.append(Validity(kind, sentence, iso, True, clause))
    return found


def closing_rules(closing: str, dates: list[tuple[int, int, str, str]]) -> list[ClosingRule]:
    """The periods a notice's closing paragraph gives to categories of measures.

    :param closing: the closing text.
    :param dates: date facts of the closing, as in `article_validity`.
    :returns: one rule per closing sentence that states a period.
    """
    rules: list[ClosingRule] = []
    pos = 0
    for sentence in re.split(r"(?<=[。！？\n])", closing):
        start, pos = pos, pos + len(sentence)
        sentence = sentence.strip()
        if not sentence:
            continue
        category = _CATEGORY_RE.search(sentence)
        keywords = _CATEGORY_WORDS.get(category.group(1), (category.group(1),)) if category else ()
        until = [iso for s, _e, surface, iso in dates if start <= s < pos and _UNTIL_RE.match(surface)]
        if until:
            rules.append(ClosingRule("until_date", sentence, until[-1], keywords))
        elif _EPIDEMIC_ANYWHERE_RE.search(sentence):
            rules.append(ClosingRule("epidemic_period", sentence, None, keywords))
    return rules


def resolve_validity(article_text: str, own: list[Validity], rules: list[ClosingRule]) -> list[Validity]:
    """Own validity if the article states any; else what the closing gives it; else none_stated."""
    if own:
        return own
    implied = [
        Validity(rule.kind, rule.text, rule.until, False, None) for rule in rules if rule.applies_to(article_text)
    ]
    return implied or [Validity("none_stated", "", None, True, None)]


# -- validity as of a date ---------------------------------------------------------------------
# One wording for every channel, policy answers and verdicts alike (有效期; the catalogue's
# `validity_*`, `deadline_*` and `basis_*` sentences). `kind` is a kind of `Validity` or of the
# rule table (`epidemic_period_by_closing`, `after_epidemic_3_months`).

_AFTER_MONTHS_RE = re.compile(r"疫情(?:结束|解除)后(\d+)个月")
BASIS_KINDS = ("epidemic_period", "epidemic_period_by_closing", "after_epidemic", "until_date", "deadline")


@dataclass(frozen=True)
class ValidityAsOf:
    """A measure's validity judged against a date.

    :param line: the 有效期 sentence.
    :param end: the resolved last day, or None when open-ended or not stated.
    :param ended: True when `end` lies before `as_of`.
    :param headline: the first sentence of an answer when the measure has ended, else "".
    """

    line: str
    end: dt.date | None
    ended: bool
    headline: str = ""


def chinese_date(day: dt.date) -> str:
    """2021-08-31 → 2021年8月31日."""
    return f"{day.year}年{day.month}月{day.day}日"


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _normal_kind(kind: str, explicit: bool) -> str:
    if kind == "epidemic_period" and not explicit:
        return "epidemic_period_by_closing"
    return "after_epidemic" if kind.startswith("after_epidemic") else kind


def validity_as_of(
    kind: str,
    as_of: dt.date,
    epidemic_end: dt.date | None,
    *,
    until: dt.date | None = None,
    text: str = "",
    explicit: bool = True,
) -> ValidityAsOf:
    """Judge one validity against `as_of`, resolving the epidemic period by `epidemic_end`.

    :param kind: `epidemic_period`, `epidemic_period_by_closing`, `after_epidemic[_3_months]`,
        `until_date`, `deadline` or `none_stated`.
    :param epidemic_end: the end of 疫情防控期间 (HOTLINE_EPIDEMIC_END); None keeps it open.
    :param until: the explicit end date of `until_date` / `deadline`.
    :param text: the notice's words (the N of 疫情结束后N个月 is read from them; default 3).
    :param explicit: False when the period comes from the notice's closing clause.
    """
    kind = _normal_kind(kind, explicit)
    months_match = _AFTER_MONTHS_RE.search(text or "")
    months = int(months_match.group(1)) if months_match else 3
    basis = say(f"basis_{kind}", months=months, until=chinese_date(until) if until else "") if kind in BASIS_KINDS else ""
    because = ""
    if kind in ("until_date", "deadline"):
        end = until
    elif kind in ("epidemic_period", "epidemic_period_by_closing", "after_epidemic"):
        if epidemic_end is None:
            return ValidityAsOf(say("validity_open", basis=basis), None, False)
        end = epidemic_end if kind != "after_epidemic" else _add_months(epidemic_end, months)
        because = say("validity_epidemic_end", epidemic_end=chinese_date(epidemic_end))
    else:
        return ValidityAsOf(say("validity_none"), None, False)
    if end is None:
        return ValidityAsOf(say("validity_open", basis=basis), None, False)
    deadline = kind == "deadline"  # a time limit (报到期限) passes; a measure (有效期) ends
    if end < as_of:
        headline = say("headline_deadline_passed" if deadline else "headline_ended", end=chinese_date(end))
        line = say("deadline_passed" if deadline else "validity_ended", basis=basis, end=chinese_date(end), because=because)
        return ValidityAsOf(line, end, True, headline)
    line = say("deadline_running" if deadline else "validity_running", basis=basis, as_of=chinese_date(as_of), because=because)
    return ValidityAsOf(line, end, False)
