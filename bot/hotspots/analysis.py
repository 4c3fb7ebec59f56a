"""The figures staff read: hotspots, the unanswered queue, per-article heat, the overview, the weekly report.

Every figure is computed from the log with aggregate queries over indexed columns (day, question
key, channel), then combined in Python, so a page stays fast with 100,000 logged turns. The
dashboard, the exports and `hotline hotspots` all read them from here.

Rules stated once:
- growth: (count in the period − count in the previous period of the same length) / previous;
  None when the previous period had none (shown as 新出现).
- spike: on today or yesterday, the hotspot was asked at least `SPIKE_MIN_COUNT` times and at
  least `SPIKE_RATIO` times its mean daily count over the `SPIKE_BASELINE_DAYS` days before
  (that mean counted as at least 1).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterator

from sqlalchemy import and_, case, func, select, text
from sqlalchemy.engine import Engine

from bot.hotspots import db
from bot.hotspots.reasons import REASON_LABELS, AbstainReason

SPIKE_MIN_COUNT = 5
SPIKE_RATIO = 3.0
SPIKE_BASELINE_DAYS = 7
SPIKE_RECENT_DAYS = 2
DEFAULT_SINCE_DAYS = 7
MAX_SINCE_DAYS = 366
CHANNEL_LABELS = {"web": "网页", "wechat": "微信", "api": "接口", "ivr": "电话"}


# Twilio's call statuses and <Dial> outcomes as staff read them (the callback desk).
CALL_STATUS_LABELS = {
    "queued": "排队中", "initiated": "已发起", "ringing": "振铃中", "in-progress": "通话中",
    "completed": "通话已结束", "busy": "占线", "failed": "呼叫失败", "no-answer": "无人接听", "canceled": "已取消",
}
DIAL_STATUS_LABELS = {
    "completed": "已接通人工", "answered": "已接通人工", "no-answer": "人工坐席无人接听", "busy": "人工坐席忙",
    "failed": "转接失败", "canceled": "转接已取消", "no-agents": "未配置人工坐席",
}


def call_status_label(status: str, dial_status: str = "", events=()) -> str:
    """`通话已结束 · 人工坐席无人接听，已留言` from Twilio's fields (unknown values are shown as given)."""
    parts = []
    if status:
        parts.append(CALL_STATUS_LABELS.get(status, status))
    outcome = DIAL_STATUS_LABELS.get(dial_status, dial_status) if dial_status else ""
    if "voicemail" in events:
        outcome = f"{outcome}，已留言" if outcome else "已留言"
    elif "handoff" in events and not outcome:
        outcome = "已转人工"
    if outcome:
        parts.append(outcome)
    return " · ".join(parts) or "—"


def _json_object(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


def reason_label(reason: str | None) -> str:
    try:
        return REASON_LABELS[AbstainReason(reason)]
    except ValueError:
        return reason or ""


def today() -> dt.date:
    """Today in the hotline's time zone."""
    return db.local_day(db.utcnow())


_SINCE = re.compile(r"^\s*(\d{1,4})\s*([dwh天周]?)\s*$", re.IGNORECASE)


def parse_since(text: str | int | None) -> int:
    """Days covered by a `--since` value: ``7d``, ``2w``, ``30``, ``24h`` (rounded up to days).

    :raises ValueError: a Chinese message naming the bad value.
    """
    if text is None or text == "":
        return DEFAULT_SINCE_DAYS
    match = _SINCE.match(str(text))
    if not match:
        raise ValueError(f"时间范围“{text}”无法识别，请写成 7d（天）、2w（周）或 24h（小时）。")
    number, unit = int(match.group(1)), match.group(2).lower()
    days = number * 7 if unit in ("w", "周") else (-(-number // 24) if unit == "h" else number)
    if not 1 <= days <= MAX_SINCE_DAYS:
        raise ValueError(f"时间范围须在 1 至 {MAX_SINCE_DAYS} 天之间，收到“{text}”。")
    return days


@dataclass(frozen=True)
class Period:
    """Whole local days, both ends included."""

    start: dt.date
    end: dt.date

    @classmethod
    def last(cls, days: int, end: dt.date | None = None) -> "Period":
        end = end or today()
        return cls(end - dt.timedelta(days=days - 1), end)

    @classmethod
    def week_of(cls, day: dt.date) -> "Period":
        """The Monday-to-Sunday week containing `day`."""
        start = day - dt.timedelta(days=day.weekday())
        return cls(start, start + dt.timedelta(days=6))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> "Period":
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) of the period as naive UTC datetimes (the form stored)."""
        def utc(day: dt.date) -> dt.datetime:
            local = dt.datetime.combine(day, dt.time(), tzinfo=db.LOCAL_TZ)
            return local.astimezone(dt.timezone.utc).replace(tzinfo=None)

        return utc(self.start), utc(self.end + dt.timedelta(days=1))


def growth(current: int, previous: int) -> float | None:
    """Relative change against the previous period; None when there was nothing before."""
    return None if previous == 0 else (current - previous) / previous


def growth_text(value: float | None) -> str:
    return "新出现" if value is None else f"{value:+.0%}"


def is_spike(daily: dict[dt.date, int], end: dt.date) -> bool:
    """The spike rule of the module docstring, on one hotspot's daily counts."""
    for offset in range(SPIKE_RECENT_DAYS):
        day = end - dt.timedelta(days=offset)
        count = daily.get(day, 0)
        baseline = sum(daily.get(day - dt.timedelta(days=i), 0) for i in range(1, SPIKE_BASELINE_DAYS + 1))
        mean = max(baseline / SPIKE_BASELINE_DAYS, 1.0)
        if count >= SPIKE_MIN_COUNT and count >= SPIKE_RATIO * mean:
            return True
    return False


@dataclass
class Hotspot:
    key: str
    label: str
    count: int
    previous: int
    growth: float | None
    spike: bool
    daily: list[int]  # one count per day of the period
    answered: int
    wordings: int

    @property
    def growth_text(self) -> str:
        return growth_text(self.growth)

    @property
    def answered_rate(self) -> float:
        return self.answered / self.count if self.count else 0.0


@dataclass
class HotspotDetail:
    hotspot: Hotspot
    period: Period
    wordings: list[dict]  # question, count, similarity
    examples: list[dict]  # recent turns
    weekly: list[tuple[dt.date, int]]  # (Monday, count), oldest first
    reasons: list[tuple[str, int]]


@dataclass
class UnansweredEntry:
    key: str
    question: str
    count: int
    reasons: list[tuple[str, int]]  # (reason, count), most frequent first
    last_at: dt.datetime
    channels: list[str]
    curated_id: int | None = None

    @property
    def main_reason(self) -> str:
        return self.reasons[0][0] if self.reasons else ""


@dataclass
class ArticleHeat:
    document: str
    article: int
    title: str
    hits: int
    top_hits: int
    previous: int
    share: float

    @property
    def growth_text(self) -> str:
        return growth_text(growth(self.hits, self.previous))


@dataclass
class Overview:
    period: Period
    total: int
    answered: int
    handoff: int
    thumbs_up: int
    thumbs_down: int
    users: int
    mean_latency_ms: float
    channels: list[str]
    per_day: list[tuple[dt.date, dict[str, int]]]
    answered_per_day: list[tuple[dt.date, int, int]]  # (day, answered, total)
    top_hotspots: list[Hotspot] = field(default_factory=list)
    previous_total: int = 0

    @property
    def answered_rate(self) -> float:
        return self.answered / self.total if self.total else 0.0

    @property
    def unanswered(self) -> int:
        return self.total - self.answered


def _count_true(column):
    return func.sum(case((column, 1), else_=0))


@dataclass(frozen=True)
class Grouping:
    """How fresh the grouping of paraphrases into hotspots is, for a period.

    :param updated_at: naive UTC time of the last clustering run; None if none ever ran.
    :param pending: wordings asked in the period that no run has placed yet (listed on their own).
    """

    updated_at: dt.datetime | None
    pending: int

    def text(self) -> str:
        """One sentence for staff, the same on the dashboard and in `hotline hotspots`."""
        if self.updated_at is None:
            return (f"问法尚未归类：{self.pending} 种问法暂时各自单独列出。" if self.pending
                    else "问法尚未归类。")
        local = self.updated_at.replace(tzinfo=dt.timezone.utc).astimezone(db.LOCAL_TZ)
        head = f"同义问法归类更新于 {local:%Y-%m-%d %H:%M}"
        if self.pending:
            return f"{head}；其后新出现的 {self.pending} 种问法尚未归入热点，暂时单独列出。"
        return f"{head}，本期的问法都已归类。"


class HotspotAnalysis:
    """Reads the figures from the log database.

    :param engine: the hotspot database (migrated on first use).
    :param knowledge_base: for article titles and coverage (`knowledge_base.store.load_knowledge_base()`);
        None to load it lazily, and articles show without titles if it cannot be loaded.
    """

    CLUSTER_MAP_TTL_S = 5.0

    def __init__(self, engine: Engine, knowledge_base=None):
        self.engine = engine
        self._knowledge_base = knowledge_base
        self._cluster_map: dict[str, str] = {}
        self._cluster_map_at = float("-inf")
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings, knowledge_base=None) -> "HotspotAnalysis":
        return cls(db.get_engine(settings.database_url), knowledge_base)

    # --- helpers ---------------------------------------------------------------------------

    def _connect(self):
        db.ensure_schema(self.engine)
        return self.engine.connect()

    def cluster_map(self) -> dict[str, str]:
        """question_key → cluster_key for every clustered wording (cached a few seconds)."""
        now = time.monotonic()
        if now - self._cluster_map_at < self.CLUSTER_MAP_TTL_S:
            return self._cluster_map
        table = db.QuestionCluster.__table__
        with self._connect() as conn:
            mapping = dict(conn.execute(select(table.c.question_key, table.c.cluster_key)).all())
        with self._lock:
            self._cluster_map, self._cluster_map_at = mapping, now
        return mapping

    def forget_cache(self) -> None:
        with self._lock:
            self._cluster_map_at = float("-inf")

    def _labels(self, conn, keys: list[str]) -> dict[str, str]:
        """A display name per cluster key: the cluster's typical wording, else the first wording
        logged with that key."""
        clusters, texts = db.ClusterRow.__table__, db.QuestionText.__table__
        labels = db.lookup(conn, clusters.c.cluster_key, clusters.c.label, keys)
        missing = [k for k in keys if k not in labels]
        return labels | db.lookup(conn, texts.c.question_key, texts.c.question, missing)

    def label_of(self, key: str) -> str:
        """The display name of one hotspot or wording key ("" when unknown)."""
        with self._connect() as conn:
            return self._labels(conn, [key]).get(key, "")

    @property
    def knowledge_base(self):
        if self._knowledge_base is None:
            try:
                from knowledge_base.store import load_knowledge_base

                self._knowledge_base = load_knowledge_base()
            except Exception:  # noqa: BLE001 - the figures still work without titles
                self._knowledge_base = False
        return self._knowledge_base or None

    def article_titles(self) -> dict[tuple[str, int], str]:
        kb = self.knowledge_base
        if kb is None:
            return {}
        return {(doc.doc_number, art.number): art.title for doc, art in kb.articles()}

    def grouping(self, period: Period) -> Grouping:
        """When paraphrases were last grouped, and how many of the period's wordings are not yet."""
        runs, daily_t, assigned = db.ClusterRun.__table__, db.QuestionDaily.__table__, db.QuestionCluster.__table__
        with self._connect() as conn:
            updated_at = conn.execute(select(func.max(runs.c.created_at))).scalar()
            pending = conn.execute(
                select(func.count(func.distinct(daily_t.c.question_key)))
                .select_from(daily_t.outerjoin(assigned, assigned.c.question_key == daily_t.c.question_key))
                .where(daily_t.c.day >= period.start, daily_t.c.day <= period.end, assigned.c.question_key.is_(None))
            ).scalar_one()
        return Grouping(updated_at, int(pending or 0))

    def latest_day(self, until: dt.date | None = None) -> dt.date | None:
        """The last day (on or before `until`) on which anything was asked; None for an empty log."""
        daily_t = db.QuestionDaily.__table__
        statement = select(func.max(daily_t.c.day))
        if until is not None:
            statement = statement.where(daily_t.c.day <= until)
        with self._connect() as conn:
            return conn.execute(statement).scalar()

    # --- hotspots --------------------------------------------------------------------------

    def hotspots(self, period: Period, limit: int | None = 50, channel: str | None = None) -> list[Hotspot]:
        """Hotspots of `period`, most asked first, with growth against the previous period and spikes.

        Two queries: totals per wording for the period and the previous one (ranked after mapping
        wordings to clusters), then daily counts only for the wordings of the hotspots returned.

        :param period: the days counted.
        :param limit: how many to return (None: all).
        :param channel: only turns of this channel.
        """
        daily_t = db.QuestionDaily.__table__
        in_period = daily_t.c.day >= period.start
        filters = [daily_t.c.channel == channel] if channel else []
        mapping = self.cluster_map()
        with self._connect() as conn:
            totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # current, previous, answered
            members: dict[str, list[str]] = defaultdict(list)
            for key, current, total, ok in conn.execute(
                select(daily_t.c.question_key, func.sum(case((in_period, daily_t.c.turns), else_=0)),
                       func.sum(daily_t.c.turns), func.sum(case((in_period, daily_t.c.answered), else_=0)))
                .where(daily_t.c.day >= period.previous.start, daily_t.c.day <= period.end, *filters)
                .group_by(daily_t.c.question_key)
            ):
                cluster = mapping.get(key, key)
                entry = totals[cluster]
                entry[0] += int(current or 0)
                entry[1] += int(total) - int(current or 0)
                entry[2] += int(ok or 0)
                if current:
                    members[cluster].append(key)
            ranked = sorted((k for k, v in totals.items() if v[0]),
                            key=lambda k: (-totals[k][0], -totals[k][1], k))[:limit]
            labels = self._labels(conn, ranked)
            daily = self._daily(conn, {k: members[k] for k in ranked}, period, filters)
        dates = period.dates()
        return [
            Hotspot(
                key=key, label=labels.get(key, ""), count=totals[key][0], previous=totals[key][1],
                growth=growth(totals[key][0], totals[key][1]), spike=is_spike(daily[key], period.end),
                daily=[daily[key].get(d, 0) for d in dates], answered=totals[key][2], wordings=len(members[key]),
            )
            for key in ranked
        ]

    def _daily(self, conn, members: dict[str, list[str]], period: Period, filters) -> dict[str, dict[dt.date, int]]:
        """Daily counts per cluster over the period and the spike window, for the given wordings."""
        first = min(period.start, period.end - dt.timedelta(days=SPIKE_BASELINE_DAYS + SPIKE_RECENT_DAYS))
        cluster_of = {key: cluster for cluster, keys in members.items() for key in keys}
        daily: dict[str, dict[dt.date, int]] = {cluster: defaultdict(int) for cluster in members}
        for key, day, n, _ in self._daily_rows(conn, list(cluster_of), first, period.end, filters):
            daily[cluster_of[key]][day] += int(n)
        return daily

    @staticmethod
    def _daily_rows(conn, keys: list[str], first: dt.date, last: dt.date, filters=()) -> Iterator[tuple]:
        """(wording, day, turns, answered) of the given wordings, from `first` to `last`."""
        daily_t = db.QuestionDaily.__table__
        for chunk in db.chunks(keys):
            yield from conn.execute(
                select(daily_t.c.question_key, daily_t.c.day, func.sum(daily_t.c.turns), func.sum(daily_t.c.answered))
                .where(daily_t.c.question_key.in_(chunk), daily_t.c.day >= first, daily_t.c.day <= last, *filters)
                .group_by(daily_t.c.question_key, daily_t.c.day)
            )

    def hotspot_detail(self, key: str, period: Period, examples: int = 50) -> HotspotDetail | None:
        """One hotspot with its wordings, recent example turns, weekly counts and abstention reasons.

        :returns: None when no turn of the period belongs to `key`.
        """
        mapping = self.cluster_map()
        members = [k for k, c in mapping.items() if c == key] or [key]
        if key not in members:
            members.append(key)
        turns, assigned, texts = db.TurnRow.__table__, db.QuestionCluster.__table__, db.QuestionText.__table__
        weeks_start = Period.week_of(period.end).start - dt.timedelta(weeks=7)
        earliest = min(weeks_start, period.previous.start, period.end - dt.timedelta(days=SPIKE_BASELINE_DAYS + 1))
        with self._connect() as conn:
            per_day: dict[dt.date, int] = defaultdict(int)
            answered_days: dict[dt.date, int] = defaultdict(int)
            variants: Counter[str] = Counter()
            reasons: Counter[str] = Counter()
            for qk, day, n, ok in self._daily_rows(conn, members, earliest, period.end):
                per_day[day] += int(n)
                answered_days[day] += int(ok or 0)
                if period.start <= day <= period.end:
                    variants[qk] += int(n)
            for chunk in db.chunks(members):
                in_period = and_(turns.c.question_key.in_(chunk), turns.c.day >= period.start, turns.c.day <= period.end)
                for reason, feedback, n in conn.execute(
                    select(turns.c.abstain_reason, turns.c.feedback, func.count())
                    .where(in_period, text(f"({db.UNANSWERED_SQL})"))
                    .group_by(turns.c.abstain_reason, turns.c.feedback)
                ):
                    reasons[reason or AbstainReason.THUMBS_DOWN.value] += n
            shown = [k for k, _ in variants.most_common(100)]
            wording_of = db.lookup(conn, texts.c.question_key, texts.c.question, shown)
            count = sum(n for d, n in per_day.items() if period.start <= d <= period.end)
            if not count:
                return None
            similarity = dict(conn.execute(
                select(assigned.c.question_key, assigned.c.similarity).where(assigned.c.cluster_key == key)
            ).all())
            recent = conn.execute(
                select(turns.c.created_at, turns.c.channel, turns.c.question, turns.c.answered,
                       turns.c.abstain_reason, turns.c.handoff, turns.c.feedback, turns.c.citations,
                       turns.c.confidence)
                .where(turns.c.question_key.in_(members[:500]), turns.c.day >= period.start, turns.c.day <= period.end)
                .order_by(turns.c.day.desc(), turns.c.id.desc())  # index order; created_at needs every row
                .limit(examples)
            ).all()
            label = self._labels(conn, [key]).get(key, "")
        previous = sum(n for d, n in per_day.items() if period.previous.start <= d <= period.previous.end)
        hotspot = Hotspot(
            key=key, label=label, count=count, previous=previous, growth=growth(count, previous),
            spike=is_spike(per_day, period.end), daily=[per_day.get(d, 0) for d in period.dates()],
            answered=sum(n for d, n in answered_days.items() if period.start <= d <= period.end),
            wordings=len(variants),
        )
        weeks = [Period.week_of(weeks_start + dt.timedelta(weeks=i)) for i in range(8)]
        wordings = [{"question": wording_of.get(qk, ""), "count": n, "similarity": similarity.get(qk)}
                    for qk, n in variants.most_common(100)]
        return HotspotDetail(
            hotspot=hotspot, period=period, wordings=wordings, examples=[_example(row) for row in recent],
            weekly=[(week.start, sum(per_day.get(d, 0) for d in week.dates())) for week in weeks],
            reasons=reasons.most_common(),
        )

    # --- unanswered ------------------------------------------------------------------------

    def unanswered(
        self, period: Period, reason: str | None = None, include_resolved: bool = False, limit: int | None = 200
    ) -> list[UnansweredEntry]:
        """Questions the assistant could not answer well, grouped like hotspots, most frequent first.

        A turn is in the queue when it has an abstention reason (no match, low confidence, out of
        scope, handoff, error) or a 👎 (reason thumbs_down).

        :param reason: only entries with at least one turn of this reason.
        :param include_resolved: also entries staff already answered with a curated answer.
        """
        turns, curated = db.TurnRow.__table__, db.CuratedAnswerRow.__table__
        mapping = self.cluster_map()
        reason_col = func.coalesce(turns.c.abstain_reason, AbstainReason.THUMBS_DOWN.value)
        statement = (
            select(turns.c.question_key, reason_col, turns.c.channel, func.count(), func.max(turns.c.created_at))
            .where(turns.c.day >= period.start, turns.c.day <= period.end)
            .where(text(f"({db.UNANSWERED_SQL})"))
            .group_by(turns.c.question_key, reason_col, turns.c.channel)
        )
        counts: Counter[str] = Counter()
        reasons: dict[str, Counter[str]] = defaultdict(Counter)
        channels: dict[str, set[str]] = defaultdict(set)
        last: dict[str, dt.datetime] = {}
        with self._connect() as conn:
            for qk, why, channel, n, latest in conn.execute(statement):
                key = mapping.get(qk, qk)
                counts[key] += n
                reasons[key][why] += n
                channels[key].add(channel)
                last[key] = max(last.get(key, latest), latest)
            answered_keys = dict(conn.execute(
                select(curated.c.source_question_key, func.max(curated.c.id))
                .where(curated.c.active.is_(True), curated.c.source_question_key.is_not(None))
                .group_by(curated.c.source_question_key)
            ).all())
            keys = [k for k in sorted(counts, key=lambda k: (-counts[k], k))
                    if (not reason or reasons[k][reason]) and (include_resolved or k not in answered_keys)][:limit]
            labels = self._labels(conn, keys)
        return [
            UnansweredEntry(
                key=k, question=labels.get(k, ""), count=counts[k], reasons=reasons[k].most_common(),
                last_at=last[k], channels=sorted(channels[k]), curated_id=answered_keys.get(k),
            )
            for k in keys
        ]

    # --- articles --------------------------------------------------------------------------

    def article_heat(self, period: Period) -> tuple[list[ArticleHeat], list[ArticleHeat]]:
        """Hits per cited article in `period` (and the previous period), and the uncovered articles.

        :returns: (articles asked about, hottest first; articles of the knowledge base nobody asked about).
        """
        table = db.TurnArticle.__table__
        with self._connect() as conn:
            rows = conn.execute(
                select(table.c.document, table.c.article, table.c.day, func.count(), _count_true(table.c.rank == 0))
                .where(table.c.day >= period.previous.start, table.c.day <= period.end)
                .group_by(table.c.document, table.c.article, table.c.day)
            ).all()
        hits: Counter[tuple[str, int]] = Counter()
        top: Counter[tuple[str, int]] = Counter()
        previous: Counter[tuple[str, int]] = Counter()
        for document, article, day, n, first in rows:
            if day >= period.start:
                hits[(document, article)] += n
                top[(document, article)] += int(first or 0)
            else:
                previous[(document, article)] += n
        titles = self.article_titles()
        total = sum(hits.values()) or 1
        hot = [
            ArticleHeat(doc, art, titles.get((doc, art), ""), n, top[(doc, art)], previous[(doc, art)], n / total)
            for (doc, art), n in sorted(hits.items(), key=lambda item: (-item[1], item[0]))
        ]
        uncovered = [
            ArticleHeat(doc, art, title, 0, 0, previous[(doc, art)], 0.0)
            for (doc, art), title in sorted(titles.items())
            if not hits[(doc, art)]
        ]
        return hot, uncovered

    def all_articles(self) -> list[tuple[str, int, str]]:
        """(document, article, title) of every article, for the "add answer" form."""
        return [(doc, art, title) for (doc, art), title in sorted(self.article_titles().items())]

    # --- overview --------------------------------------------------------------------------

    def overview(self, period: Period, top: int = 10) -> Overview:
        """Totals, questions per day by channel, answered rate per day and the top hotspots."""
        turns, daily_t, votes = db.TurnRow.__table__, db.QuestionDaily.__table__, db.FeedbackRow.__table__
        with self._connect() as conn:
            rows = conn.execute(
                select(daily_t.c.day, daily_t.c.channel, func.sum(daily_t.c.turns), func.sum(daily_t.c.answered),
                       func.sum(daily_t.c.handoff), func.sum(daily_t.c.latency_ms))
                .where(daily_t.c.day >= period.start, daily_t.c.day <= period.end)
                .group_by(daily_t.c.day, daily_t.c.channel)
            ).all()
            users = conn.execute(
                select(func.count(func.distinct(turns.c.user_key)))
                .where(turns.c.day >= period.start, turns.c.day <= period.end)
            ).scalar_one()
            previous_total = conn.execute(
                select(func.sum(daily_t.c.turns))
                .where(daily_t.c.day >= period.previous.start, daily_t.c.day <= period.previous.end)
            ).scalar_one()
            # Votes cast during the period (by the time of the vote, in the hotline's days).
            since, until = period.utc_bounds()
            cast = dict(conn.execute(
                select(votes.c.value, func.count())
                .where(votes.c.created_at >= since, votes.c.created_at < until)
                .group_by(votes.c.value)
            ).all())
        per_day: dict[dt.date, dict[str, int]] = {d: {} for d in period.dates()}
        answered_day: dict[dt.date, list[int]] = {d: [0, 0] for d in period.dates()}
        totals = Counter()
        channels: set[str] = set()
        for day, channel, n, ok, handoff, latency_sum in rows:
            n = int(n or 0)
            per_day.setdefault(day, {})[channel] = n
            answered_day.setdefault(day, [0, 0])
            answered_day[day][0] += int(ok or 0)
            answered_day[day][1] += n
            channels.add(channel)
            totals.update(total=n, answered=int(ok or 0), handoff=int(handoff or 0), latency=float(latency_sum or 0.0))
        totals.update(up=int(cast.get("up", 0)), down=int(cast.get("down", 0)))
        return Overview(
            period=period, total=totals["total"], answered=totals["answered"], handoff=totals["handoff"],
            thumbs_up=totals["up"], thumbs_down=totals["down"], users=int(users or 0),
            mean_latency_ms=totals["latency"] / totals["total"] if totals["total"] else 0.0,
            channels=sorted(channels, key=lambda c: (list(CHANNEL_LABELS).index(c) if c in CHANNEL_LABELS else 99, c)),
            per_day=sorted(per_day.items()),
            answered_per_day=[(d, a, t) for d, (a, t) in sorted(answered_day.items())],
            top_hotspots=self.hotspots(period, limit=top) if top else [],
            previous_total=int(previous_total or 0),
        )

    # --- exports and queues ----------------------------------------------------------------

    def turns(self, period: Period, batch: int = 2000) -> Iterator[dict]:
        """Every logged turn of `period`, oldest first, as export rows (masked, pseudonymous)."""
        turns = db.TurnRow.__table__
        mapping = self.cluster_map()
        columns = [turns.c.id, turns.c.created_at, turns.c.channel, turns.c.user_hash, turns.c.question,
                   turns.c.question_key, turns.c.intent, turns.c.citations, turns.c.confidence, turns.c.answered,
                   turns.c.abstain_reason, turns.c.handoff, turns.c.degraded, turns.c.latency_ms, turns.c.feedback,
                   turns.c.speaker, turns.c.agent]
        last_id = 0
        while True:
            with self._connect() as conn:
                rows = conn.execute(
                    select(*columns)
                    .where(turns.c.day >= period.start, turns.c.day <= period.end, turns.c.id > last_id)
                    .order_by(turns.c.id)
                    .limit(batch)
                ).all()
            if not rows:
                return
            for row in rows:
                item = dict(row._mapping)
                item["hotspot"] = mapping.get(item["question_key"], item["question_key"])
                item["articles"] = "、".join(f"{d}第{a}条" for d, a in json.loads(item.pop("citations") or "[]"))
                yield item
            last_id = rows[-1].id

    def call_queue(self, include_handled: bool = False, limit: int = 200) -> list[dict]:
        """The callback desk: one row per call that asked for a person or left a message, newest
        first, with the call's status (in Chinese), what the caller said to the menu and its topic.

        :param include_handled: also calls already called back.
        :param limit: the most calls.
        :returns: dicts with `id` (the call's first event, for "handled"), `events`, `kind`,
            `created_at`, `caller_tail`, `caller_enc` (decrypt only for roles allowed to call back),
            `recording_url`, `duration_s`, `call_status` (Chinese), `said`, `topic`, `handled_at/by`.
        """
        table, turns = db.CallEvent.__table__, db.TurnRow.__table__
        statement = (
            select(table)
            .where(table.c.event.in_(("voicemail", "handoff")))
            .order_by(table.c.created_at.desc(), table.c.id.desc())
            .limit(limit * 4)
        )
        if not include_handled:
            statement = statement.where(table.c.handled_at.is_(None))
        calls: dict[str, dict] = {}
        titles = self.article_titles()
        with self._connect() as conn:
            for row in conn.execute(statement):
                event = dict(row._mapping)
                call = calls.get(event["call_hash"])
                if call is None:
                    if len(calls) >= limit:
                        continue
                    call = calls[event["call_hash"]] = {
                        "id": event["id"], "call_hash": event["call_hash"], "events": [], "created_at": event["created_at"],
                        "caller_tail": None, "caller_enc": None, "recording_url": None, "duration_s": None,
                        "dial_status": "", "status": "", "handled_at": event["handled_at"],
                        "handled_by": event["handled_by"], "said": [], "topic": [],
                    }
                call["events"].append(event["event"])
                call["id"] = min(call["id"], event["id"])
                call["created_at"] = min(call["created_at"], event["created_at"])
                for key in ("caller_tail", "caller_enc", "recording_url", "duration_s"):
                    call[key] = call[key] or event[key]
                call["dial_status"] = call["dial_status"] or _json_object(event["data"]).get("dial_status") or ""
            for chunk in db.chunks(list(calls)):
                for call_hash, status in conn.execute(
                    select(table.c.call_hash, table.c.status)
                    .where(table.c.call_hash.in_(chunk), table.c.event == "status", table.c.status.is_not(None))
                    .order_by(table.c.created_at, table.c.id)
                ):
                    calls[call_hash]["status"] = status
                # What the caller said to the menu: the call's turns (their user id is the CallSid).
                for user_hash, question, citations in conn.execute(
                    select(turns.c.user_hash, turns.c.question, turns.c.citations)
                    .where(turns.c.user_key.in_([db.user_key(h) for h in chunk]), turns.c.channel == "ivr")
                    .order_by(turns.c.id)
                ):
                    call = calls.get(user_hash)
                    if call is None:
                        continue
                    call["said"].append(question)
                    for document, article in json.loads(citations or "[]"):
                        label = f"{document}第{article}条 {titles.get((document, int(article)), '')}".strip()
                        if label not in call["topic"]:
                            call["topic"].append(label)
        rows = list(calls.values())
        for row in rows:
            row["events"] = sorted(set(row["events"]))
            row["kind"] = "转人工后留言" if row["events"] == ["handoff", "voicemail"] else (
                "留言" if row["events"] == ["voicemail"] else "转人工")
            row["call_status"] = call_status_label(row["status"], row["dial_status"], row["events"])
        return rows


def _example(row) -> dict:
    item = dict(row._mapping)
    item["articles"] = [a for _, a in json.loads(item.pop("citations") or "[]")]
    return item


def build_report(analysis: HotspotAnalysis, period: Period, limit: int = 20, *,
                 overview: Overview | None = None, hotspots: list[Hotspot] | None = None) -> dict:
    """The figures of `hotline hotspots` and the weekly report, as JSON-ready data.

    :param limit: rows per list (hotspots, unanswered questions).
    :param overview: the period's overview if the caller already has it.
    :param hotspots: the period's hotspots, most asked first, if the caller already has them.
    """
    overview = overview or analysis.overview(period, top=0)
    if hotspots is None:
        hotspots = analysis.hotspots(period, limit=limit)
    hot, uncovered = analysis.article_heat(period)
    grouping = analysis.grouping(period)
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "days": period.days},
        "grouping": {
            "updated_at": grouping.updated_at.isoformat(timespec="seconds") + "Z" if grouping.updated_at else None,
            "pending_wordings": grouping.pending,
            "text": grouping.text(),
        },
        "overview": {
            "turns": overview.total,
            "previous_turns": overview.previous_total,
            "growth": growth(overview.total, overview.previous_total),
            "answered": overview.answered,
            "answered_rate": round(overview.answered_rate, 4),
            "handoff": overview.handoff,
            "thumbs_up": overview.thumbs_up,
            "thumbs_down": overview.thumbs_down,
            "users": overview.users,
            "mean_latency_ms": round(overview.mean_latency_ms, 1),
            "by_channel": {
                c: sum(counts.get(c, 0) for _, counts in overview.per_day) for c in overview.channels
            },
        },
        "hotspots": [
            {
                "rank": rank, "key": h.key, "question": h.label, "count": h.count, "previous": h.previous,
                "growth": None if h.growth is None else round(h.growth, 4), "spike": h.spike,
                "answered_rate": round(h.answered_rate, 4), "wordings": h.wordings,
            }
            for rank, h in enumerate(hotspots[:limit], 1)
        ],
        "unanswered": [
            {
                "rank": rank, "key": e.key, "question": e.question, "count": e.count,
                "reasons": dict(e.reasons), "last_at": e.last_at.isoformat(timespec="seconds"),
            }
            for rank, e in enumerate(analysis.unanswered(period, limit=limit), 1)
        ],
        "articles": [
            {"document": a.document, "article": a.article, "title": a.title, "hits": a.hits,
             "top_hits": a.top_hits, "previous": a.previous, "share": round(a.share, 4)}
            for a in hot
        ],
        "uncovered_articles": [
            {"document": a.document, "article": a.article, "title": a.title} for a in uncovered
        ],
    }
