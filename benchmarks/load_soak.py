"""Load and soak benchmark (issue 7): many simulated users talking at once through `/api/chat`,
`/wechat` (signed like WeChat's server) and `/ivr` (signed like Twilio), against `hotline serve`
with several gunicorn workers (shared state in Redis), Rasa and the action server.

It reports throughput, p50/p95/p99 latency per channel and errors, and it CHECKS (exit code 1
when violated): zero 5xx, and afterwards the turn log holds exactly one row per answered turn
(after the system has stopped, so its workers have flushed the log).

    .venv/bin/python benchmarks/load_soak.py                      # 500 users × 20 turns (~4 min)
    .venv/bin/python benchmarks/load_soak.py --users 50 --turns 5 --think 0:1
    .venv/bin/python benchmarks/load_soak.py --rasa none          # without Rasa (degraded mode)
    .venv/bin/python benchmarks/load_soak.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dload

Targets (issue 7): ≥ 50 turns/s at p95 ≤ 150 ms on 2 cores, no 5xx, no lost rows.

Every user is one conversation on one channel (the channels take turns: api, wechat, ivr, …).
A user starts at a random moment of the ramp-up, then takes its turns with a random think time
between them, like people typing or speaking; so the offered load is about
users / (mean think time + latency) turns per second. Everything is bounded: the number of
turns, and `--max-seconds` after which no new turn starts. Traffic goes to loopback only.

A "turn" is one user message that reaches the shared turn logic and must leave one log row:
an API chat request, a WeChat text message, an IVR speech input. Requests around them (the
IVR's incoming-call and status webhooks) are sent and checked for 5xx, but are not turns.
"""
from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402
from wechatpy.utils import WeChatSigner  # noqa: E402

from bot.core import slots as S  # noqa: E402
from bot.core.messages import say  # noqa: E402
from ivr import menu  # noqa: E402

CHANNELS = ("api", "wechat", "ivr")
TARGET_TURNS_PER_S = 50.0
TARGET_P95_MS = 150.0
REQUEST_TIMEOUT_S = 30.0

# What the users say, in order (each user starts at a random line): policy questions and two
# eligibility dialogues, answered in words.
SCRIPT = (
    "你好",
    "稳岗返还的裁员率标准是多少？",
    "我们公司28个人裁了3个，能拿稳岗返还吗",
    "中小微企业",
    "受到了疫情影响",
    "失业保险金标准提高了多少？",
    "我失业前缴了五年失业保险，能领失业金吗",
    "单位裁员",
    "职工线上培训补贴每课时多少钱？",
    "农民工人身意外伤害保险补贴最多多少？",
    "2020届非大连生源毕业生报到期限延长到什么时候？",
    "创业担保贷款可以展期吗？",
    "因个人原因离职能领失业补助金吗？",
    "失业保险费率降低政策执行到什么时候？",
    "我们单位想申请稳岗返还",
    "其他企业",
    "三十五个人",
    "裁了两个",
    "谢谢",
    "推荐失业人员就业的服务机构有什么补助？",
)
# API users see `asking_for` and answer the question asked, as the web page's users do.
SLOT_ANSWERS = {
    S.ENTERPRISE_SIZE: "中小微企业",
    S.AFFECTED_BY_EPIDEMIC: "受到了疫情影响",
    S.EMPLOYEES: "二十八个人",
    S.LAYOFFS: "裁了三个",
    S.LAYOFF_RATE: "百分之十",
    S.CONTRIBUTION_YEARS: "五年",
    S.SEPARATION_REASON: "单位裁员",
    S.CLASS_HOURS: "八个课时",
    S.CLASS_MINUTES: "四十五分钟",
    S.UNEMPLOYED_REGISTERED_MONTHS: "三个月",
    S.CONTRACT_YEARS: "一年",
    S.SOCIAL_INSURANCE_PAID: "缴了",
    S.EMPLOYER_EPIDEMIC_SUPPLY_FIRM: "不是",
    S.GRAD_YEAR: "2020年",
    S.ORIGIN: "非大连生源",
    S.COVID_INFECTED: "没有",
    S.MIGRANT_WORKER: "是农民工",
    S.ACCIDENT_INSURANCE_PREMIUM: "每人一百元",
}


def _ivr_safe(text: str) -> bool:
    """Words the IVR takes as a question (not a menu key, a command or "no more questions")."""
    command = menu.normalise_speech(text)
    return not (
        menu.is_done(text) or menu.spoken_key(text) or menu.asks_for_agent(text)
        or command in menu.SPOKEN_REPEAT | menu.SPOKEN_MENU | menu.SPOKEN_DONE
    )


IVR_SCRIPT = tuple(t for t in SCRIPT if _ivr_safe(t))


# --- what happened ---------------------------------------------------------------------------

@dataclass
class Outcome:
    """One request: its channel, whether it was a turn, its status (0: no HTTP answer) and latency."""

    channel: str
    turn: bool
    status: int
    latency_s: float
    started: float
    error: str = ""
    late: bool = False  # WeChat answered `success` (the answer would follow by the push API)
    rate_limited: bool = False  # WeChat's polite "too many messages" (a 200, but no turn)


class Recorder:
    """Collects outcomes and the log rows they must (or may) have left. Thread-safe.

    `expected`: (channel, message_id) of every turn answered 200: its row must exist.
    `ambiguous`: turns with no HTTP answer (timeout, reset): their row may or may not exist.
    """

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []
        self.expected: set[tuple[str, str]] = set()
        self.ambiguous: set[tuple[str, str]] = set()
        # Turns with no HTTP answer whose id the server chose (API): a row may exist, id unknown.
        self.unattributed: Counter = Counter()
        self.measuring = True
        self._lock = threading.Lock()

    def add(self, outcome: Outcome, row: tuple[str, str] | None = None) -> None:
        with self._lock:
            if self.measuring:
                self.outcomes.append(outcome)
            if row is None and outcome.turn and outcome.status == 0:
                self.unattributed[outcome.channel] += 1
            if row is not None and outcome.turn:
                if outcome.status == 200:
                    self.expected.add(row)
                elif outcome.status == 0:
                    self.ambiguous.add(row)


def _timed(recorder: Recorder, channel: str, turn: bool, send, row=None) -> requests.Response | None:
    """Send one request, record its outcome; the response, or None when there was no HTTP answer."""
    started = time.monotonic()
    try:
        response = send()
    except requests.RequestException as error:
        recorder.add(Outcome(channel, turn, 0, time.monotonic() - started, started, type(error).__name__), row)
        return None
    outcome = Outcome(channel, turn, response.status_code, time.monotonic() - started, started)
    if channel == "wechat" and response.status_code == 200 and response.text == "success":
        outcome.late = True
    recorder.add(outcome, row)
    return response


# --- the users -------------------------------------------------------------------------------

@dataclass
class Target:
    """Where the users go: the app's URL and the tokens it validates signatures with."""

    url: str
    wechat_token: str
    twilio_token: str


class User:
    """One person on one channel; `step()` takes their next turn.

    :param index: the user's number (for unique ids).
    :param turns: how many turns they take.
    """

    channel = ""

    def __init__(self, target: Target, index: int, turns: int, recorder: Recorder, rng: random.Random):
        self.target, self.index, self.turns_left = target, index, turns
        self.recorder, self.rng = recorder, rng
        self.line = rng.randrange(len(self.script()))
        self.session = requests.Session()

    def script(self) -> tuple[str, ...]:
        return SCRIPT

    def next_text(self) -> str:
        text = self.script()[self.line % len(self.script())]
        self.line += 1
        return text

    def step(self) -> None:
        self.turns_left -= 1
        self.turn(self.next_text())

    def turn(self, text: str) -> None:
        raise NotImplementedError


class ApiUser(User):
    channel = "api"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id = f"load-{uuid.uuid4().hex[:12]}"
        self.asking_for: str | None = None

    def next_text(self) -> str:
        if self.asking_for in SLOT_ANSWERS:
            return SLOT_ANSWERS[self.asking_for]
        return super().next_text()

    def turn(self, text: str) -> None:
        box: dict = {}

        def send():
            response = self.session.post(
                self.target.url + "/api/chat", json={"user_id": self.user_id, "text": text}, timeout=REQUEST_TIMEOUT_S
            )
            box["id"] = response.headers.get("X-Hotline-Turn-Id", "")
            return response

        started = time.monotonic()
        try:
            response = send()
        except requests.RequestException as error:
            # No turn id without an answer: nothing to require or allow for this turn's row.
            self.recorder.add(Outcome("api", True, 0, time.monotonic() - started, started, type(error).__name__))
            return
        self.recorder.add(
            Outcome("api", True, response.status_code, time.monotonic() - started, started), ("api", box["id"])
        )
        if response.status_code == 200:
            self.asking_for = response.json().get("asking_for")


class WeChatUser(User):
    channel = "wechat"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.openid = "oLoad" + uuid.uuid4().hex[:23]
        self.msg_id = (random.getrandbits(30) << 24) | (self.index << 8)

    def signed_params(self) -> dict:
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:16]
        signer = WeChatSigner()
        signer.add_data(self.target.wechat_token, timestamp, nonce)
        return {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce}

    def turn(self, text: str) -> None:
        self.msg_id += 1
        xml = (
            f"<xml><ToUserName><![CDATA[gh_12333dalian]]></ToUserName>"
            f"<FromUserName><![CDATA[{self.openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
            f"<MsgId>{self.msg_id}</MsgId></xml>"
        ).encode("utf-8")
        row = ("wechat", str(self.msg_id))
        started = time.monotonic()
        try:
            response = self.session.post(
                self.target.url + "/wechat", params=self.signed_params(), data=xml,
                headers={"Content-Type": "text/xml"}, timeout=REQUEST_TIMEOUT_S,
            )
        except requests.RequestException as error:
            self.recorder.add(Outcome("wechat", True, 0, time.monotonic() - started, started, type(error).__name__), row)
            return
        outcome = Outcome("wechat", True, response.status_code, time.monotonic() - started, started)
        if response.status_code == 200 and response.text == "success":
            outcome.late = True
        elif response.status_code == 200 and _wechat_content(response.content) == say("wechat_rate_limited"):
            # Over the per-user limit: a polite reply, no turn (the turn logic never saw it).
            outcome.rate_limited, outcome.turn, row = True, False, None
        self.recorder.add(outcome, row)


def _wechat_content(body: bytes) -> str:
    try:
        return ET.fromstring(body).findtext("Content") or ""
    except ET.ParseError:
        return ""


class IvrUser(User):
    """A caller: the incoming-call webhook, then each turn a spoken question on the `<Gather>`'s
    action URL. When the call ends (no `<Gather>` in the answer), the status callback follows and
    the next turn starts a new call."""

    channel = "ivr"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validator = RequestValidator(self.target.twilio_token)
        self.call_sid: str | None = None
        self.step_no = 0
        self.action = ""
        self.caller = f"+86139{self.index:08d}"[:14]

    def script(self) -> tuple[str, ...]:
        return IVR_SCRIPT

    def post(self, url: str, params: dict) -> requests.Response:
        data = {
            "CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": self.caller, "To": "+8641112333",
            "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01", **params,
        }
        signature = self.validator.compute_signature(url, data)
        return self.session.post(url, data=data, headers={"X-Twilio-Signature": signature}, timeout=REQUEST_TIMEOUT_S)

    def _gather_action(self, response: requests.Response | None, url: str) -> str:
        if response is None or response.status_code != 200:
            return ""
        try:
            gather = ET.fromstring(response.content).find("Gather")
        except ET.ParseError:
            return ""
        return urljoin(url, gather.get("action")) if gather is not None and gather.get("action") else ""

    def _call(self) -> None:
        self.call_sid, self.step_no = "CA" + uuid.uuid4().hex, 0
        url = self.target.url + "/ivr/voice"
        response = _timed(self.recorder, "ivr", False, lambda: self.post(url, {"CallStatus": "ringing"}))
        self.action = self._gather_action(response, url)

    def _hang_up(self) -> None:
        url = self.target.url + "/ivr/status"
        _timed(self.recorder, "ivr", False, lambda: self.post(url, {"CallStatus": "completed", "CallDuration": "60"}))
        self.call_sid, self.action = None, ""

    def turn(self, text: str) -> None:
        if not self.action:
            self._call()
            if not self.action:
                self.call_sid = None
                return
        self.step_no += 1
        url = self.action
        response = _timed(
            self.recorder, "ivr", True,
            lambda: self.post(url, {"SpeechResult": text, "Confidence": "0.92"}),
            ("ivr", f"{self.call_sid}-{self.step_no}"),
        )
        self.action = self._gather_action(response, url)
        if response is None:
            self.action = ""  # unknown where the call is: the next turn calls again
        elif not self.action:
            self._hang_up()

    def finish(self) -> None:
        if self.call_sid:
            self._hang_up()


USER_CLASSES = {"api": ApiUser, "wechat": WeChatUser, "ivr": IvrUser}


# --- the run ---------------------------------------------------------------------------------

@dataclass
class LoadPlan:
    """How much load: `users` conversations of `turns` turns, think time uniform in `think`
    seconds, starts spread over `ramp` seconds, at most `concurrency` requests in flight from this
    client, no new turn after `max_seconds`."""

    users: int = 500
    turns: int = 20
    think: tuple[float, float] = (5.0, 13.0)
    ramp: float = 10.0
    concurrency: int = 128
    max_seconds: float = 900.0
    channels: tuple[str, ...] = CHANNELS
    seed: int = 12333


@dataclass
class LoadResult:
    plan: LoadPlan
    recorder: Recorder
    wall_s: float
    stopped_early: bool
    extra: dict = field(default_factory=dict)
    # While every user is in its conversation: from the end of the ramp-up to the moment the
    # first user took its last turn (monotonic clock). Throughput over the whole run is lower
    # by construction: users start over the ramp and finish one by one.
    steady: tuple[float, float] | None = None

    def turns(self, channel: str | None = None) -> list[Outcome]:
        return [o for o in self.recorder.outcomes if o.turn and (channel is None or o.channel == channel)]

    def summary(self) -> dict:
        """The figures: counts, throughput, latency percentiles (ms), errors."""
        outcomes = self.recorder.outcomes
        turns = self.turns()
        span = (max(o.started + o.latency_s for o in turns) - min(o.started for o in turns)) if turns else 0.0
        statuses = Counter(o.status for o in outcomes)
        steady = {}
        if self.steady and self.steady[1] > self.steady[0]:
            begin, end = self.steady
            done = sum(1 for o in turns if begin <= o.started + o.latency_s <= end)
            steady = {"steady_window_s": round(end - begin, 1), "steady_turns_per_s": round(done / (end - begin), 1)}
        per_channel = {}
        for channel in self.plan.channels:
            mine = self.turns(channel)
            per_channel[channel] = {"turns": len(mine), **percentiles([o.latency_s for o in mine if o.status])}
        return {
            "users": self.plan.users,
            "turns_planned": self.plan.users * self.plan.turns,
            "turns": len(turns),
            "requests": len(outcomes),
            "wall_s": round(self.wall_s, 1),
            "turns_per_s": round(len(turns) / span, 1) if span else 0.0,
            **steady,
            "latency_ms": percentiles([o.latency_s for o in turns if o.status]),
            "per_channel": per_channel,
            "status": {str(k): v for k, v in sorted(statuses.items())},
            "server_errors_5xx": sum(v for k, v in statuses.items() if k >= 500),
            "client_errors_4xx": sum(v for k, v in statuses.items() if 400 <= k < 500),
            "no_answer": dict(Counter(o.error for o in outcomes if o.status == 0)),
            "wechat_late_success": sum(1 for o in outcomes if o.late),
            "rate_limited": sum(1 for o in outcomes if o.rate_limited or o.status == 429),
            "stopped_early": self.stopped_early,
            **self.extra,
        }


def percentiles(latencies_s: list[float]) -> dict:
    if not latencies_s:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(latencies_s)

    def at(q: float) -> float:  # nearest rank
        return round(ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] * 1000, 1)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1] * 1000, 1),
            "mean": round(statistics.fmean(ordered) * 1000, 1)}


def make_users(target: Target, plan: LoadPlan, recorder: Recorder, rng: random.Random, offset: int = 0) -> list[User]:
    return [
        USER_CLASSES[plan.channels[i % len(plan.channels)]](target, offset + i, plan.turns, recorder, rng)
        for i in range(plan.users)
    ]


def warm_up(target: Target, recorder: Recorder, turns_per_channel: int = 3, channels=CHANNELS) -> None:
    """A few turns on every channel before measuring (first calls load lazy parts); their rows are
    expected in the log like any others, their latencies are not measured."""
    recorder.measuring = False
    rng = random.Random(0)
    for channel in channels:
        user = USER_CLASSES[channel](target, 10**6 + CHANNELS.index(channel), turns_per_channel, recorder, rng)
        while user.turns_left:
            user.step()
        if isinstance(user, IvrUser):
            user.finish()
    recorder.measuring = True


def run_load(
    target: Target, plan: LoadPlan, recorder: Recorder | None = None, on_progress=None,
    stop: threading.Event | None = None,
) -> LoadResult:
    """Play the plan against `target` and return what happened (checks nothing by itself).

    :param on_progress: called about every 10 s with (seconds elapsed, turns done).
    :param stop: once set, no new turn starts (turns in flight finish), like `max_seconds`.
    """
    recorder = recorder or Recorder()
    rng = random.Random(plan.seed)
    users = make_users(target, plan, recorder, rng)
    started = time.monotonic()
    deadline = started + plan.max_seconds
    queue: list[tuple[float, int, User]] = [(started + rng.uniform(0, plan.ramp), i, u) for i, u in enumerate(users)]
    heapq.heapify(queue)
    in_flight = 0
    cond = threading.Condition()
    stopped_early = False
    first_done: float | None = None

    def worker() -> None:
        nonlocal in_flight, stopped_early, first_done
        while True:
            with cond:
                while True:
                    if not queue:
                        if in_flight == 0:
                            cond.notify_all()
                            return
                        cond.wait(0.5)
                        continue
                    due, _, user = queue[0]
                    now = time.monotonic()
                    if now >= deadline or (stop is not None and stop.is_set()):
                        stopped_early = True
                        queue.clear()
                        continue
                    if due <= now:
                        heapq.heappop(queue)
                        in_flight += 1
                        break
                    cond.wait(min(due - now, 0.5))
            try:
                user.step()
            except Exception as error:  # noqa: BLE001 - a client bug must not stop the run; it is counted
                recorder.add(Outcome(user.channel, True, 0, 0.0, time.monotonic(), f"client:{type(error).__name__}"))
            with cond:
                in_flight -= 1
                if user.turns_left > 0:
                    heapq.heappush(queue, (time.monotonic() + rng.uniform(*plan.think), user.index, user))
                else:
                    first_done = first_done or time.monotonic()
                    if isinstance(user, IvrUser):
                        user.finish()
                # One waiter is enough to look at the new queue head; waking all 128 after every
                # turn cost this client a third of a core, taken from the system it measures.
                cond.notify()

    threads = [threading.Thread(target=worker, daemon=True, name=f"user-{i}") for i in range(plan.concurrency)]
    for thread in threads:
        thread.start()
    reported = time.monotonic()
    while any(t.is_alive() for t in threads):
        time.sleep(0.2)
        if on_progress and time.monotonic() - reported >= 10:
            reported = time.monotonic()
            on_progress(reported - started, len(recorder.outcomes))
    for thread in threads:
        thread.join()
    for user in users:
        user.session.close()
    steady = (started + plan.ramp, first_done) if first_done else None
    return LoadResult(plan, recorder, time.monotonic() - started, stopped_early, steady=steady)


# --- the check: one row per turn --------------------------------------------------------------

@dataclass
class RowCheck:
    """Rows of the turn log against the turns: `missing` must be empty (no lost rows), `unexpected`
    too (no phantom rows), and `duplicates` (one row per turn)."""

    rows: int
    expected: int
    missing: list[tuple[str, str]]
    unexpected: list[tuple[str, str]]
    duplicates: int
    degraded: int = 0  # rows answered without Rasa (Rasa down, or slower than HOTLINE_RASA_TIMEOUT)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.duplicates)


def check_rows(database_url: str, recorder: Recorder, channels=CHANNELS) -> RowCheck:
    """Compare the turn log of a database that only this run wrote to with the recorded turns.

    :param database_url: the system's HOTLINE_DATABASE_URL (query after the system has stopped).
    """
    from sqlalchemy import create_engine, func, select

    from bot.hotspots import db

    engine = create_engine(database_url)
    table = db.TurnRow.__table__
    try:
        with engine.connect() as conn:
            found = [
                (c, m) for c, m in conn.execute(
                    select(table.c.channel, table.c.message_id).where(table.c.channel.in_(channels))
                )
            ]
            duplicates = conn.execute(
                select(func.count()).select_from(
                    select(table.c.channel, table.c.message_id)
                    .group_by(table.c.channel, table.c.message_id)
                    .having(func.count() > 1)
                    .subquery()
                )
            ).scalar_one()
            degraded = conn.execute(
                select(func.count()).where(table.c.channel.in_(channels), table.c.degraded.is_(True))
            ).scalar_one()
    finally:
        engine.dispose()
    rows = set(found)
    allowed = recorder.expected | recorder.ambiguous
    unexpected = sorted(rows - allowed)
    for channel, count in recorder.unattributed.items():  # e.g. an API turn answered after the client gave up
        extra = [row for row in unexpected if row[0] == channel]
        unexpected = [row for row in unexpected if row not in set(extra[:count])]
    return RowCheck(
        rows=len(found),
        expected=len(recorder.expected),
        missing=sorted(recorder.expected - rows),
        unexpected=unexpected,
        duplicates=int(duplicates),
        degraded=int(degraded),
    )


# --- the command -----------------------------------------------------------------------------

def machine() -> dict:
    """nproc, CPU model and RAM of this machine (for BENCHMARKS.md)."""
    import os
    import platform

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model or platform.processor(), "ram_gib": round(mem_gib, 1),
            "date": time.strftime("%Y-%m-%d")}


def _think(value: str) -> tuple[float, float]:
    low, _, high = value.partition(":")
    low_f, high_f = float(low), float(high or low)
    if not 0 <= low_f <= high_f:
        raise argparse.ArgumentTypeError(f"think time must be LOW:HIGH seconds with 0 ≤ LOW ≤ HIGH, got {value!r}")
    return low_f, high_f


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=500)
    p.add_argument("--turns", type=int, default=20, help="turns per user")
    p.add_argument("--think", type=_think, default=(5.0, 13.0), help="think time LOW:HIGH seconds (default 5:13)")
    p.add_argument("--ramp", type=float, default=10.0, help="seconds over which users start")
    p.add_argument("--concurrency", type=int, default=128, help="most requests in flight from this client")
    p.add_argument("--max-seconds", type=float, default=900.0, help="no new turn starts after this")
    p.add_argument("--channels", default=",".join(CHANNELS), help="comma-separated: api,wechat,ivr")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (HOTLINE_WORKERS)")
    p.add_argument("--threads", type=int, default=16, help="threads per worker (HOTLINE_THREADS)")
    p.add_argument("--rasa", default="own", help='"own" (serve starts Rasa), "none" (degraded mode) or a Rasa URL')
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    p.add_argument("--database-url", default="", help="the turn log (default: SQLite in the run's var dir); must be empty of turns")
    p.add_argument("--var-dir", type=Path, default=None, help="keep the run's state here (default: a temp dir)")
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    p.add_argument("--seed", type=int, default=12333)
    return p.parse_args(argv)


def main(argv=None) -> int:
    from benchmarks.memory import cpu_seconds, measure
    from benchmarks.system import HotlineSystem, SystemConfig

    args = parse_args(argv)
    channels = tuple(c.strip() for c in args.channels.split(",") if c.strip())
    unknown = set(channels) - set(CHANNELS)
    if unknown:
        print(f"unknown channels {sorted(unknown)}; choose from {CHANNELS}", file=sys.stderr)
        return 2
    plan = LoadPlan(args.users, args.turns, args.think, args.ramp, args.concurrency, args.max_seconds, channels, args.seed)
    temp = None
    var_dir = args.var_dir
    if var_dir is None:
        temp = tempfile.TemporaryDirectory(prefix="hotline-load-")
        var_dir = Path(temp.name) / "var"
    config = SystemConfig(
        var_dir=var_dir, workers=args.workers, threads=args.threads, redis_url=args.redis_url,
        database_url=args.database_url, rasa=args.rasa,
        index_from=REPO_ROOT / "var" / "index",
    )
    system = HotlineSystem(config)
    print(f"[load] starting hotline serve ({args.workers} workers × {args.threads} threads, rasa={args.rasa}) in {var_dir}",
          file=sys.stderr)
    started = time.monotonic()
    system.start()
    print(f"[load] ready in {time.monotonic() - started:.0f} s at {system.url}", file=sys.stderr)
    target = Target(system.url, config.wechat_token, config.twilio_auth_token)
    recorder = Recorder()
    try:
        warm_up(target, recorder, channels=channels)
        memory_warm = measure(system.pids())
        cpu_before, client_before = cpu_seconds(system.pids()), time.process_time()
        print(f"[load] {plan.users} users × {plan.turns} turns, think {plan.think[0]:g}–{plan.think[1]:g} s", file=sys.stderr)
        result = run_load(
            target, plan, recorder,
            on_progress=lambda s, n: print(f"[load] {s:5.0f} s: {n} requests", file=sys.stderr),
        )
        memory_loaded = measure(system.pids())
        cpu_after, client_after = cpu_seconds(system.pids()), time.process_time()
        # Where the 2 cores went during the load: CPU seconds per role (a process restarted
        # meanwhile counts from its start), and this client's own share.
        cpu = {role: round(cpu_after.get(role, 0.0) - cpu_before.get(role, 0.0), 1) for role in cpu_after}
        cpu["load client"] = round(client_after - client_before, 1)
    finally:
        code = system.stop()
    rows = check_rows(system.database_url, recorder, channels)
    figures = result.summary()
    figures.update(
        machine=machine(),
        system={"workers": args.workers, "threads": args.threads, "rasa": args.rasa, "redis": bool(args.redis_url),
                "database": system.database_url.split(":", 1)[0], "serve_exit": code},
        memory_mib={"after_warm_up": memory_warm.summary(), "after_load": memory_loaded.summary()},
        cpu_seconds_during_load=cpu,
        rows={"rows": rows.rows, "expected": rows.expected, "missing": len(rows.missing),
              "unexpected": len(rows.unexpected), "duplicates": rows.duplicates, "degraded": rows.degraded},
        command="python benchmarks/load_soak.py " + " ".join(sys.argv[1:] if argv is None else argv),
    )
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    verdicts = {
        "no 5xx": figures["server_errors_5xx"] == 0,
        "one row per turn": rows.ok,
        f"≥ {TARGET_TURNS_PER_S:g} turns/s (steady)": figures.get("steady_turns_per_s", figures["turns_per_s"]) >= TARGET_TURNS_PER_S,
        f"p95 ≤ {TARGET_P95_MS:g} ms": (figures["latency_ms"]["p95"] or 1e9) <= TARGET_P95_MS,
        "memory ≤ 2 GiB": memory_loaded.pss_mib <= 2048,
    }
    for name, ok in verdicts.items():
        print(f"[load] {'PASS' if ok else 'MISS'} {name}", file=sys.stderr)
    if rows.missing:
        print(f"[load] missing rows (first 10): {rows.missing[:10]}", file=sys.stderr)
    if rows.unexpected:
        print(f"[load] unexpected rows (first 10): {rows.unexpected[:10]}", file=sys.stderr)
    if temp is not None:
        temp.cleanup()
    # Correctness (no 5xx, no lost rows) fails the command; speed targets are reported.
    return 0 if verdicts["no 5xx"] and verdicts["one row per turn"] else 1


if __name__ == "__main__":
    sys.exit(main())
