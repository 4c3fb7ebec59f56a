"""Facts: the numbers each article states, with their comparators."""
from __future__ import annotations

import pytest

from knowledge_base.facts import cn_number, extract_facts


def summary(facts):
    return [(f.kind, f.text, f.value, f.unit, f.bound) for f in facts]


def test_article_4_facts(notice_38):
    art = notice_38.article(4)
    assert summary(art.facts) == [
        ("percent", "不高于5.5%", 5.5, "%", "le"),
        ("count", "30人（含）以下", 30, "人", "le"),
        ("percent", "不超过企业职工总数的20%", 20, "%", "le"),
        ("percent", "低于3.62%", 3.62, "%", "lt"),
        ("percent", "80%", 80, "%", None),
        ("percent", "1%", 1, "%", None),
        ("date", "至2021年8月31日", "2021-08-31", "", "le"),
    ]


def test_article_4_small_firm_threshold_goes_with_20_percent(notice_38):
    """30人（含）以下 → 20%: both facts sit in the same clause."""
    clause = next(c for c in notice_38.article(4).clauses if any(f.kind == "count" for f in c.facts))
    assert summary(clause.facts) == [
        ("count", "30人（含）以下", 30, "人", "le"),
        ("percent", "不超过企业职工总数的20%", 20, "%", "le"),
    ]


@pytest.mark.parametrize(
    "number, expected",
    [
        (2, [("date", "截至2020年2月9日", "2020-02-09", "", "le"), ("duration", "半年以上", 6, "月", "ge"),
             ("duration", "半年以上", 6, "月", "ge"), ("duration", "1年以上", 12, "月", "ge"),
             ("amount", "300元/人", 300, "元/人", None)]),
        (5, [("duration", "不少于45分钟", 45, "分钟", "ge"), ("amount", "10元", 10, "元/人·课时", None),
             ("amount", "不得超过1000元", 1000, "元/人·年", "le")]),
        (6, [("duration", "不超过1年", 12, "月", "le")]),
        (8, [("duration", "3个月", 3, "月", None), ("duration", "满1年", 12, "月", "ge"),
             ("duration", "不足10年", 120, "月", "lt"), ("percent", "85%", 85, "%", None),
             ("percent", "90%", 90, "%", None), ("duration", "满10年及以上", 120, "月", "ge"),
             ("percent", "90%", 90, "%", None), ("percent", "95%", 95, "%", None),
             ("percent", "95%", 95, "%", None)]),
        (9, [("duration", "3至6个月", 3, "月", None), ("amount", "不超过500元/人", 500, "元/人", "le")]),
        (15, [("date", "2020年6月30日前", "2020-06-30", "", "le"), ("date", "延长至9月30日前", "2020-09-30", "", "le")]),
        (20, [("count", "20条", 20, "条", None), ("count", "10项", 10, "项", None)]),
    ],
)
def test_facts_of_other_articles(notice_38, number, expected):
    assert summary(notice_38.article(number).facts) == expected


def test_articles_without_numbers_have_no_facts(notice_38):
    """Years (2018年毕业, 2020年度), document numbers and 12333 are not facts."""
    for number in (1, 3, 7, 10, 11, 12, 13, 14, 16, 17, 18, 19):
        assert notice_38.article(number).facts == [], number


def test_range_has_upper_bound(notice_38):
    fact = notice_38.article(9).facts[0]
    assert (fact.value, fact.upper) == (3, 6)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("按每人三个月计算", [("duration", "三个月", 3, "月", None)]),
        ("百分之五点五", [("percent", "百分之五点五", 5.5, "%", None)]),
        ("最高不超过两万元", [("amount", "不超过两万元", 20000, "元", "le")]),
        ("补贴最高500元", [("amount", "最高500元", 500, "元", "le")]),
        ("当地最低工资标准的85%", [("percent", "85%", 85, "%", None)]),
        ("满足条件的给予3个月补贴", [("duration", "3个月", 3, "月", None)]),
        ("二〇二〇年二月二十一日", [("date", "二〇二〇年二月二十一日", "2020-02-21", "", None)]),
        ("自2021年1月1日起", [("date", "2021年1月1日起", "2021-01-01", "", "ge")]),
        ("2月30日", []),  # not a date
        ("落实2020年度计划，2019年毕业", []),  # calendar years are not durations
        ("工作5个工作日内", [("duration", "5个工作日", 5, "工作日", None)]),
        ("见习人员不超过20人（含）的单位", [("count", "不超过20人（含）", 20, "人", "le")]),
        ("一次性吸纳就业补贴", []),
    ],
)
def test_fact_table(text, expected):
    facts = extract_facts(text, default_year=2020)
    assert summary(facts) == expected
    for fact in facts:
        assert text[fact.start:fact.end] == fact.text


def test_month_day_takes_year_from_earlier_date_then_default():
    text = "由2021年6月30日前延长至9月30日前。另于3月1日开始。"
    assert [f.value for f in extract_facts(text, default_year=2020)] == ["2021-06-30", "2021-09-30", "2021-03-01"]
    assert [f.value for f in extract_facts("于3月1日开始", default_year=2020)] == ["2020-03-01"]
    assert extract_facts("于3月1日开始") == []  # no year to infer from


@pytest.mark.parametrize("token, value", [("3", 3), ("5.5", 5.5), ("二十", 20), ("两", 2), ("半", 0.5), ("二〇二〇", 2020)])
def test_cn_number(token, value):
    assert cn_number(token) == value


def test_cn_number_rejects_words():
    assert cn_number("统筹") is None
