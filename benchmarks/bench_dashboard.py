"""Benchmark: the staff dashboard and hotspot clustering with 100,000 logged turns.

Targets (issue 6): every dashboard page renders in ≤ 300 ms with 100,000 turns; clustering
100,000 questions takes ≤ 60 s on 2 cores. Prints one line per figure; run it once:

    .venv/bin/python benchmarks/bench_dashboard.py                  # SQLite in a temp dir
    .venv/bin/python benchmarks/bench_dashboard.py --turns 20000    # quicker
    .venv/bin/python benchmarks/bench_dashboard.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench

The turns are generated from hotline-style questions about the 20 articles of 大人社发[2020]38号
(paraphrases, numbers, phone numbers to mask, out-of-scope questions, a spike in the last days),
spread over 60 days and four channels, with a Zipf-like popularity, and written in bulk with the
same masking, keys and pseudonyms as the live log. The log writer's own throughput is measured
separately on 10,000 records.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import create_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.turn import Citation, Reply, Turn  # noqa: E402
from bot.dashboard import auth  # noqa: E402
from bot.hotspots import db  # noqa: E402
from bot.hotspots.analysis import today  # noqa: E402
from bot.hotspots.clustering import HotspotClusterer, make_question_encoder  # noqa: E402
from bot.hotspots.log import TurnLog, question_key  # noqa: E402
from bot.hotspots.masking import mask_personal_data  # noqa: E402
from bot.hotspots.pseudonym import Pseudonymizer  # noqa: E402
from bot.runtime.services import Services  # noqa: E402

DOCUMENT = "大人社发[2020]38号"
PAGE_TARGET_MS = 300
CLUSTER_TARGET_S = 60

# (article, answered?, phrasings); {n}/{m} become numbers, {who} a kind of asker.
QUESTIONS = [
    (4, True, ["{who}{n}个人裁了{m}个能拿稳岗返还吗", "{n}人的企业裁员{m}人还能申请稳岗返还吗", "稳岗返还裁员率不超过多少"]),
    (4, True, ["稳岗返还标准是多少", "稳岗返还能返多少钱", "稳岗补贴按什么标准返还"]),
    (1, True, ["失业保险费率现在是多少", "单位失业保险现在按百分之几交", "失业保险降费执行到什么时候"]),
    (2, True, ["社保费能缓缴吗", "{who}困难能不能缓交社会保险费", "缓缴社保最长多久"]),
    (3, True, ["医保费减半征收到哪个月", "职工医保单位缴费减半吗"]),
    (5, True, ["培训补贴一课时多少钱", "线上培训有补贴吗", "职工培训每人每年最多补多少"]),
    (6, True, ["以工代训补贴怎么申请", "以工代训每人每月补贴多少", "{who}吸纳就业以工代训补贴标准"]),
    (7, True, ["创业担保贷款能展期吗", "借款人感染新冠创业贷款可以延期还款吗", "贷款展期最长多久"]),
    (8, True, ["孵化基地减免租金有补助吗", "创业园给入驻企业免房租政府补不补"]),
    (9, True, ["一次性吸纳就业补贴需要什么条件", "招用{n}个失业人员能补多少钱", "吸纳高校毕业生有补贴吗"]),
    (10, True, ["中介推荐就业每人补多少", "人力资源服务机构介绍就业一个人补三百块吗"]),
    (11, True, ["高校毕业生报到期限延长到什么时候", "应届生档案报到能延期吗"]),
    (12, True, ["事业单位招聘笔试延期了吗", "今年事业单位考试推迟了没有"]),
    (13, True, ["农民工公益性岗位能干多久", "农民工托底安置的公益性岗位是几个月"]),
    (14, True, ["失业保险金怎么领取", "失业金标准提高了吗", "交满{n}年失业金按最低工资的百分之几发", "失业保险金能领几个月"]),
    (15, True, ["失业补助金是发给谁的", "哪些人能领失业补助金", "自己辞职能领失业补助金吗"]),
    (16, True, ["农民工意外险补贴多少", "给农民工买人身意外伤害保险能补多少钱"]),
    (17, True, ["工伤认定时限能延长吗", "疫情期间工伤申请超时了怎么办"]),
    (18, True, ["劳动仲裁时效中止吗", "疫情期间劳动争议仲裁能延期开庭吗"]),
    (19, True, ["因为疫情不能返岗单位能解除劳动合同吗", "隔离期间工资怎么发"]),
    (None, False, ["公积金贷款利率是多少", "医保报销比例是多少", "社保卡丢了怎么补办", "个税专项扣除怎么填",
                   "退休年龄是多少岁", "养老金什么时候涨"]),
    (None, False, ["我的电话{phone}，请回电", "身份证{idno}的社保查询", "{who}欠薪找谁投诉"]),
]
WHO = ["我们公司", "我们单位", "企业", "我们厂", "公司", ""]
PREFIX = ["", "请问", "你好，", "您好，请问", "想咨询一下", "我想问下", "问一下"]
SUFFIX = ["", "？", "?", "吗", "呢？", "啊", "。", "，谢谢"]
CHANNELS = [("wechat", 0.45), ("web", 0.25), ("ivr", 0.2), ("api", 0.1)]
REASONS = ["no_match", "low_confidence", "out_of_scope"]


def generate(count: int, days: int, seed: int = 12333):
    """Yield (day, channel, user_id, text, answered, reason, article, feedback) tuples."""
    rng = random.Random(seed)
    flat = [(article, answered, phrase) for article, answered, phrases in QUESTIONS for phrase in phrases]
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(flat))]  # Zipf-like popularity
    rng.shuffle(weights)
    spike = next(i for i, f in enumerate(flat) if "缓缴社保最长多久" in f[2])
    end = today()
    channel_names = [c for c, _ in CHANNELS]
    channel_weights = [w for _, w in CHANNELS]
    for _ in range(count):
        offset = min(int(rng.expovariate(1 / 18)), days - 1)
        index = spike if offset < 2 and rng.random() < 0.08 else rng.choices(range(len(flat)), weights)[0]
        article, answered, phrase = flat[index]
        text = phrase.format(
            who=rng.choice(WHO), n=rng.randint(3, 300), m=rng.randint(1, 30),
            phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
            idno=f"210202{rng.randint(1960, 2000)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}{rng.randint(100, 999)}X",
        )
        text = rng.choice(PREFIX) + text + rng.choice(SUFFIX)
        ok = answered and rng.random() > 0.12
        reason = None if ok else ("out_of_scope" if article is None else rng.choice(REASONS))
        feedback = rng.choices([None, "up", "down"], [0.85, 0.1, 0.05])[0]
        yield (end - dt.timedelta(days=offset), rng.choices(channel_names, channel_weights)[0],
               f"user{rng.randint(1, count // 3)}", text, ok, reason, article, feedback)


def load(engine, count: int, days: int, secret: str) -> float:
    """Bulk-insert generated turns the way the log writes them; returns seconds."""
    pseudonyms = Pseudonymizer(secret)
    started = time.perf_counter()
    db.ensure_schema(engine)
    turns, cites, votes = [], [], []

    def write():
        with engine.begin() as conn:
            db.insert_turns(conn, turns)
            if votes:
                db.insert_ignore(conn, db.FeedbackRow.__table__, votes, ["turn_id"])
            if cites:
                db.insert_ignore(conn, db.TurnArticle.__table__, cites, ["channel", "message_id", "document", "article"])
        turns.clear()
        cites.clear()
        votes.clear()

    for n, (day, channel, user, text, answered, reason, article, feedback) in enumerate(generate(count, days)):
        masked = mask_personal_data(text)
        mid = f"bench-{n}"
        turns.append({
            "channel": channel, "message_id": mid,
            "created_at": dt.datetime.combine(day, dt.time(1 + n % 12, n % 60)), "day": day,
            "user_hash": (user_hash := pseudonyms.user(channel, user)), "user_key": db.user_key(user_hash),
            "question": masked, "question_key": question_key(masked),
            "intent": "policy_question", "citations": json.dumps([[DOCUMENT, article]] if article and answered else []),
            "confidence": 0.8 if answered else 0.3, "answered": answered, "abstain_reason": reason,
            "handoff": False, "degraded": False, "asking_for": None, "latency_ms": 50 + n % 400, "feedback": feedback,
        })
        if feedback:
            votes.append({"turn_id": mid, "value": feedback, "comment": "", "created_at": turns[-1]["created_at"]})
        if article and answered:
            cites.append({"channel": channel, "message_id": mid, "day": day, "document": DOCUMENT,
                          "article": article, "rank": 0})
        if len(turns) >= 5000:
            write()
    if turns:
        write()
    return time.perf_counter() - started


def log_throughput(url: str, spill_dir: Path, records: int = 10_000) -> tuple[float, list[float]]:
    """Records per second through TurnLog.record + flush, and the caller-side record() times (ms)."""
    log = TurnLog(url, secret="bench", spill_dir=spill_dir)
    calls: list[float] = []
    reply = Reply("答", citations=[Citation(DOCUMENT, 14, "", "")], intent="x", confidence=0.9)
    started = time.perf_counter()
    for n in range(records):
        t0 = time.perf_counter()
        log.record(Turn("web", f"u{n % 500}", f"失业保险金怎么领取，电话1381234{n % 10000:04d}", message_id=f"tp-{n}"), reply, 10)
        calls.append((time.perf_counter() - t0) * 1000)
    assert log.flush(120), "the log did not drain"
    elapsed = time.perf_counter() - started
    log.close()
    return records / elapsed, sorted(calls)


def time_pages(app, paths: list[str], repeat: int) -> list[tuple[str, float, float, int]]:
    client = app.test_client()
    page = client.get("/staff/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/staff/login", data={"username": "bench", "password": "bench-pass-123", "csrf_token": token})
    assert response.status_code == 302, response.status_code
    results = []
    for path in paths:
        first = client.get(path)
        assert first.status_code == 200, (path, first.status_code)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            response = client.get(path)
            body = response.get_data()
            times.append((time.perf_counter() - t0) * 1000)
        results.append((path, statistics.median(times), max(times), len(body)))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5, help="timed renders per page (median reported)")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temporary directory")
    parser.add_argument("--skip-clustering", action="store_true")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    settings = Settings.from_env({}, var_dir=workdir / "var", database_url=url, secret_key="bench")
    engine = db.get_engine(url)
    print(f"database: {engine.url.render_as_string(hide_password=True)}")

    seconds = load(engine, args.turns, args.days, settings.secret_key)
    print(f"generated {args.turns} turns over {args.days} days in {seconds:.1f} s")
    rate, calls = log_throughput(url, workdir / "spill")
    print(f"log writer: {rate:,.0f} records/s through record()+flush; record() call median "
          f"{calls[len(calls) // 2]:.3f} ms, p99 {calls[int(len(calls) * 0.99)]:.3f} ms, max {calls[-1]:.1f} ms")

    if not args.skip_clustering:
        with engine.connect() as conn:
            from sqlalchemy import func, select

            distinct = conn.execute(select(func.count(func.distinct(db.TurnRow.question_key)))).scalar_one()
        encoder = make_question_encoder(settings.encoder)
        t0 = time.perf_counter()
        encoder.warm_up()
        warm = time.perf_counter() - t0
        result = HotspotClusterer(engine, encoder).run(full=True)
        total = warm + result.seconds
        verdict = "OK" if total <= CLUSTER_TARGET_S else "OVER TARGET"
        print(f"clustering {args.turns + 10_000} questions ({distinct} distinct wordings): {result.seconds:.1f} s "
              f"+ {warm:.1f} s model load → {result.clusters} hotspots, threshold {result.threshold:.4f} "
              f"[target ≤ {CLUSTER_TARGET_S} s: {verdict}]")
        t0 = time.perf_counter()
        again = HotspotClusterer(engine, encoder).run(full=True)
        print(f"re-clustering with the embedding cache warm: {time.perf_counter() - t0:.1f} s ({again.clusters} hotspots)")

    services = Services(settings)
    app = create_app({"TESTING": True, "HOTSPOT_CLUSTER_INTERVAL": 0}, services=services)
    auth.create_user(engine, "bench", "bench-pass-123", "admin")
    from bot.hotspots.analysis import HotspotAnalysis, Period

    top = HotspotAnalysis(engine, knowledge_base=False).hotspots(Period.last(30), limit=1)[0]
    unanswered_key = HotspotAnalysis(engine, knowledge_base=False).unanswered(Period.last(30), limit=1)[0].key
    paths = [
        "/staff/", "/staff/hotspots", "/staff/hotspots?since=30d", f"/staff/hotspots/{top.key}",
        "/staff/unanswered", f"/staff/answers/new?key={unanswered_key}", "/staff/answers", "/staff/articles",
        "/staff/report/weekly", "/staff/calls", "/staff/audit", "/staff/users", "/staff/report.json",
    ]
    worst_page = 0.0
    for path, median, slowest, size in time_pages(app, paths, args.repeat):
        worst_page = max(worst_page, median)
        flag = "OK" if median <= PAGE_TARGET_MS else "OVER TARGET"
        print(f"page {path:60s} median {median:7.1f} ms  max {slowest:7.1f} ms  {size / 1024:6.1f} KiB  [{flag}]")
    print(f"slowest page median {worst_page:.1f} ms [target ≤ {PAGE_TARGET_MS} ms: "
          f"{'OK' if worst_page <= PAGE_TARGET_MS else 'OVER TARGET'}]")
    for path in ("/staff/export.csv?what=hotspots&since=30d", "/staff/export.csv?what=turns&since=60d",
                 "/staff/export.xlsx?since=30d"):
        client = app.test_client()
        page = client.get("/staff/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post("/staff/login", data={"username": "bench", "password": "bench-pass-123", "csrf_token": token})
        t0 = time.perf_counter()
        body = client.get(path).get_data()
        print(f"export {path:58s} {(time.perf_counter() - t0) * 1000:8.0f} ms  {len(body) / 1024:8.0f} KiB")
    services.close()
    db.dispose_engine(url)
    print(f"(work files in {workdir})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
