"""Hotspot figures: growth, spikes, the unanswered queue, article heat, on SQLite and PostgreSQL.
Rows are written straight into the log table with chosen days (the log itself stamps "now").
Run: .venv/bin/python -m pytest -q tests/hotspots/test_analysis.py"""
from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest

from bot.hotspots import db
from bot.hotspots.analysis import HotspotAnalysis, Period, build_report, growth, is_spike, parse_since
from bot.hotspots.log import question_key
from bot.hotspots.masking import mask_personal_data

from .conftest import DOCUMENT

END = dt.date(2020, 6, 30)
_ids = itertools.count()


def add(engine, day_offset: int, text: str, n: int = 1, *, answered=True, reason=None, feedback=None,
        articles=(), channel="web"):
    """`n` turns asked `day_offset` days before END."""
    day = END - dt.timedelta(days=day_offset)
    masked = mask_personal_data(text)
    rows, cites = [], []
    for _ in range(n):
        mid = f"t{next(_ids)}"
        rows.append({
            "channel": channel, "message_id": mid, "created_at": dt.datetime.combine(day, dt.time(3)), "day": day,
            "user_hash": "0" * 64, "user_key": 0, "question": masked, "question_key": question_key(masked), "intent": "",
            "citations": json.dumps([[DOCUMENT, a] for a in articles]), "confidence": 0.5, "answered": answered,
            "abstain_reason": reason, "handoff": reason == "handoff", "degraded": False, "asking_for": None,
            "latency_ms": 10.0, "feedback": feedback,
        })
        cites += [{"channel": channel, "message_id": mid, "day": day, "document": DOCUMENT, "article": a, "rank": r}
                  for r, a in enumerate(articles)]
    votes = [{"turn_id": r["message_id"], "value": feedback, "comment": "", "created_at": r["created_at"]}
             for r in rows if feedback]
    with engine.begin() as conn:
        db.insert_turns(conn, rows)
        if votes:
            db.insert_ignore(conn, db.FeedbackRow.__table__, votes, ["turn_id"])
        if cites:
            db.insert_ignore(conn, db.TurnArticle.__table__, cites, ["channel", "message_id", "document", "article"])


@pytest.fixture
def engine(db_url):
    engine = db.get_engine(db_url)
    db.ensure_schema(engine)
    return engine


@pytest.mark.parametrize(
    ("text", "days"),
    [("7d", 7), ("2w", 14), ("30", 30), ("24h", 1), ("25h", 2), (None, 7), (" 3天 ", 3)],
)
def test_parse_since(text, days):
    assert parse_since(text) == days


@pytest.mark.parametrize(("text", "message"), [("abc", "无法识别"), ("0d", "1 至 366"), ("9999d", "1 至 366")])
def test_parse_since_refuses_with_a_chinese_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_since(text)


@pytest.mark.parametrize(
    ("current", "previous", "expected"), [(10, 5, 1.0), (5, 10, -0.5), (3, 0, None), (0, 4, -1.0)]
)
def test_growth(current, previous, expected):
    assert growth(current, previous) == expected


def daily(**counts):
    return {END - dt.timedelta(days=int(k[1:])): v for k, v in counts.items()}


@pytest.mark.parametrize(
    ("counts", "spike"),
    [
        (daily(d0=5), True),  # nothing before: at least 5 and at least 3 × 1
        (daily(d0=4), False),  # below the minimum count
        (daily(d1=9, d2=3, d3=3, d4=3, d5=3, d6=3, d7=3, d8=3), True),  # yesterday 9 ≥ 3 × mean 3
        (daily(d0=8, d1=3, d2=3, d3=3, d4=3, d5=3, d6=3, d7=3), False),  # 8 < 3 × 3
        (daily(d2=20), False),  # the day before yesterday is no longer "now"
    ],
)
def test_spike_rule(counts, spike):
    assert is_spike(counts, END) is spike


def test_hotspots_rank_group_and_compare_periods(engine):
    add(engine, 0, "失业保险金怎么领取？", 6)
    add(engine, 1, "失业保险金怎么领取", 2)  # same key: punctuation only
    add(engine, 9, "失业保险金怎么领取？", 4)  # the previous 7-day period
    add(engine, 2, "稳岗返还标准是多少", 3, answered=False, reason="low_confidence")
    add(engine, 20, "很久以前的问题", 9)
    analysis = HotspotAnalysis(engine, knowledge_base=False)
    hot = analysis.hotspots(Period.last(7, END))
    assert [(h.label, h.count, h.previous) for h in hot] == [
        ("失业保险金怎么领取？", 8, 4), ("稳岗返还标准是多少", 3, 0)]
    first, second = hot
    assert first.growth == 1.0 and first.spike and first.daily[-2:] == [2, 6]
    assert second.growth is None and second.growth_text == "新出现" and second.answered_rate == 0.0
    assert not second.spike


def test_clustered_wordings_count_as_one_hotspot(engine):
    add(engine, 0, "失业金怎么领", 2)
    add(engine, 0, "失业保险金如何申领", 3)
    with engine.begin() as conn:
        db.insert_ignore(conn, db.QuestionCluster.__table__, [
            {"question_key": question_key("失业金怎么领"), "cluster_key": question_key("失业保险金如何申领"), "similarity": 0.95},
            {"question_key": question_key("失业保险金如何申领"), "cluster_key": question_key("失业保险金如何申领"), "similarity": 1.0},
        ], ["question_key"])
        db.insert_ignore(conn, db.ClusterRow.__table__, [{
            "cluster_key": question_key("失业保险金如何申领"), "label": "失业保险金如何申领", "members": 2,
            "centroid": b"\0" * 8, "updated_at": dt.datetime(2020, 6, 30)}], ["cluster_key"])
    analysis = HotspotAnalysis(engine, knowledge_base=False)
    (hot,) = analysis.hotspots(Period.last(7, END))
    assert (hot.label, hot.count, hot.wordings) == ("失业保险金如何申领", 5, 2)
    detail = analysis.hotspot_detail(hot.key, Period.last(7, END))
    assert sorted(w["question"] for w in detail.wordings) == ["失业保险金如何申领", "失业金怎么领"]
    assert len(detail.examples) == 5 and sum(n for _, n in detail.weekly) == 5
    assert analysis.hotspot_detail("no-such-key", Period.last(7, END)) is None


def test_unanswered_queue_gives_reasons(engine):
    add(engine, 0, "公积金贷款利率", 3, answered=False, reason="out_of_scope")
    add(engine, 1, "公积金贷款利率", 1, answered=False, reason="no_match")
    add(engine, 0, "创业补贴", 2, answered=False, reason="low_confidence")
    add(engine, 0, "失业金标准", 2, feedback="down")  # answered, but 👎
    add(engine, 0, "要转人工", 1, reason="handoff")
    add(engine, 0, "答得很好", 5, feedback="up")
    analysis = HotspotAnalysis(engine, knowledge_base=False)
    queue = analysis.unanswered(Period.last(7, END))
    assert {e.question: (e.count, dict(e.reasons)) for e in queue} == {
        "公积金贷款利率": (4, {"out_of_scope": 3, "no_match": 1}),
        "创业补贴": (2, {"low_confidence": 2}),
        "失业金标准": (2, {"thumbs_down": 2}),
        "要转人工": (1, {"handoff": 1}),
    }
    assert [e.count for e in queue] == [4, 2, 2, 1] and queue[0].main_reason == "out_of_scope"
    assert [e.question for e in analysis.unanswered(Period.last(7, END), reason="thumbs_down")] == ["失业金标准"]


def test_answered_entries_leave_the_queue(engine):
    add(engine, 0, "公积金贷款利率", 3, answered=False, reason="out_of_scope")
    from bot.hotspots.curated import CuratedAnswerStore

    CuratedAnswerStore(engine).add("公积金贷款利率", "请咨询公积金中心。", DOCUMENT, 20, created_by="e",
                                   source_question_key=question_key("公积金贷款利率"))
    analysis = HotspotAnalysis(engine, knowledge_base=False)
    assert analysis.unanswered(Period.last(7, END)) == []
    (entry,) = analysis.unanswered(Period.last(7, END), include_resolved=True)
    assert entry.curated_id is not None


def test_article_heat_and_coverage(engine):
    from knowledge_base.store import load_knowledge_base

    add(engine, 0, "失业金", 5, articles=(14,))
    add(engine, 0, "稳岗", 3, articles=(4, 14))
    add(engine, 10, "稳岗", 2, articles=(4,))
    analysis = HotspotAnalysis(engine, knowledge_base=load_knowledge_base())
    hot, uncovered = analysis.article_heat(Period.last(7, END))
    assert [(a.article, a.hits, a.top_hits, a.previous) for a in hot] == [(14, 8, 5, 0), (4, 3, 3, 2)]
    assert hot[0].title and hot[0].share == pytest.approx(8 / 11)
    numbers = [a.article for a in uncovered]
    assert 4 not in numbers and 14 not in numbers and len(numbers) == len(analysis.all_articles()) - 2


def test_overview_and_report(engine):
    add(engine, 0, "甲", 3, channel="web")
    add(engine, 0, "乙", 2, channel="wechat", answered=False, reason="no_match", feedback="down")
    add(engine, 1, "甲", 1, channel="ivr", feedback="up")
    analysis = HotspotAnalysis(engine, knowledge_base=False)
    o = analysis.overview(Period.last(7, END))
    assert (o.total, o.answered, o.thumbs_up, o.thumbs_down) == (6, 4, 1, 2)
    assert o.per_day[-1] == (END, {"web": 3, "wechat": 2}) and o.channels == ["web", "wechat", "ivr"]
    assert o.answered_per_day[-1] == (END, 3, 5)
    report = build_report(analysis, Period.last(7, END))
    assert report["overview"]["by_channel"] == {"web": 3, "wechat": 2, "ivr": 1}
    assert report["hotspots"][0]["question"] == "甲" and report["unanswered"][0]["reasons"] == {"no_match": 2}
    assert json.dumps(report, ensure_ascii=False)
