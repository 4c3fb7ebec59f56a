"""Validity of each measure: the article's own words first, then the notice's closing clause."""
from __future__ import annotations

import datetime as dt

from knowledge_base.parser import parse_notice

CLOSING_38 = "上述有关补贴类政策执行期限除已明确规定时限外，统一为疫情防控期间。"


def kinds(article):
    return [(v.kind, v.until, v.explicit, v.clause) for v in article.validity]


def test_article_4_epidemic_period_and_rate_until_2021_08_31(notice_38):
    art = notice_38.article(4)
    assert kinds(art) == [("epidemic_period", None, True, 2), ("until_date", "2021-08-31", True, 6)]
    refund, rate = art.validity
    assert refund.text.startswith("疫情防控期间，对不裁员或少裁员的参保中小微企业")
    assert rate.text == "失业保险继续执行总费率为1%的阶段性降低费率政策至2021年8月31日。"
    assert rate.until_date == dt.date(2021, 8, 31)
    assert art.clauses[rate.clause - 1].text == rate.text


def test_article_8_after_epidemic_and_epidemic_period(notice_38):
    art = notice_38.article(8)
    assert kinds(art) == [("after_epidemic", None, True, 2), ("epidemic_period", None, True, 5)]
    assert art.validity[0].text == "临时性提高失业保险金标准至疫情结束后3个月。"
    assert art.validity[1].text.startswith("疫情防控期间为因个人原因解除劳动合同而失业的参保人员发放失业补助金")


def test_article_15_reporting_deadline(notice_38):
    art = notice_38.article(15)
    assert kinds(art) == [("epidemic_period", None, True, 2), ("deadline", "2020-09-30", True, 2)]
    assert "报到期限由原定2020年6月30日前延长至9月30日前" in art.validity[1].text


def test_subsidy_articles_rely_on_the_closing_clause(notice_38):
    for number in (2, 9):
        art = notice_38.article(number)
        assert [(v.kind, v.text, v.until, v.explicit) for v in art.validity] == [
            ("epidemic_period", CLOSING_38, None, False)
        ], number


def test_closing_does_not_override_an_article_own_period(notice_38):
    """Article 5 pays a training subsidy and states 疫情防控期间 itself."""
    assert kinds(notice_38.article(5)) == [("epidemic_period", None, True, 2)]


def test_funds_are_not_subsidies(notice_38):
    """Article 7 only mentions 就业补助资金 (a fund), so the closing does not apply."""
    assert kinds(notice_38.article(7)) == [("none_stated", None, True, None)]


def test_attributive_epidemic_period_is_not_a_validity(notice_38):
    """打击疫情防控期间出现的招聘欺诈行为 / 增加疫情防控期间新就业政策 scope nothing."""
    assert kinds(notice_38.article(14)) == [("none_stated", None, True, None)]
    assert kinds(notice_38.article(18)) == [("none_stated", None, True, None)]


def test_qualifying_window_is_not_an_end_date(notice_38):
    """截至2020年2月9日 (article 2) describes who qualifies, not when the measure ends."""
    assert all(v.until is None for v in notice_38.article(2).validity)


def test_every_article_has_a_validity(notice_38):
    for art in notice_38.articles():
        assert art.validity, art.number


def test_sample_notice_closing_until_date_applies_to_all_without_own(sample_notice):
    assert [(a.number, kinds(a)) for a in sample_notice.articles()] == [
        (1, [("until_date", "2022-12-31", False, None)]),
        (2, [("until_date", "2022-12-31", False, None)]),
        (3, [("until_date", "2021-12-31", True, 3)]),
        (4, [("until_date", "2022-12-31", False, None)]),
    ]


def test_no_closing_means_none_stated():
    doc = parse_notice("一、措施\n\n（一）发放补贴。按规定发放岗位补贴。\n", "no-closing")
    assert kinds(doc.article(1)) == [("none_stated", None, True, None)]
