"""Benchmark of `POST /api/chat`: 8 concurrent clients, p50/p95 latency and requests/s.

Targets: p95 ≤ 100 ms and ≥ 50 requests/s on 2 cores (issue 4); p95 ≤ 100 ms on first turns that
include eligibility questions (issue 13, `--workload first`).

    make run                                   # in one terminal
    .venv/bin/python benchmarks/bench_chat.py  # in another: against http://HOTLINE_HOST:HOTLINE_PORT

    .venv/bin/python benchmarks/bench_chat.py --start   # start its own `hotline serve` on free ports
    .venv/bin/python benchmarks/bench_chat.py --start --redis redis://127.0.0.1:6379/0   # one worker per core

Each client keeps one HTTP connection and plays users of 10 turns each (under the per-user rate
limit), asking the hand-written dev questions (knowledge_base/questions/dev.yaml), each client
from its own place in the list. Two workloads:

- `--workload qa` (default): questions. Only the dev questions the assistant answers in one turn
  are asked (policy questions, questions outside the notice, small talk; picked by asking each
  once before measuring).
- `--workload first`: every request is a new user's first turn, over every dev question,
  eligibility questions included (a check starts, or a verdict comes at once).
- `--workload mixed`: every dev question, and when a reply asks for a fact (`asking_for`) the user
  answers it, like the load benchmark's users.

Every turn is one `/model/parse` of Rasa plus the app's own work (retrieval, the fact parser, the
dialogue state in the state store).

The report gives the share of each kind of turn. Repeated questions are what a hotline hears:
after its first time a question's vector comes from the per-process query-vector cache.

With `--start` everything (turn log, index)
lives in a temporary var dir; against a running server the turns are logged like
any other `api` turns.
"""
from __future__ import annotations

import argparse
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.load_soak import SLOT_ANSWERS  # noqa: E402
from bot.config import Settings  # noqa: E402
from knowledge_base.evaluate import load_question_set  # noqa: E402

DEV_QUESTIONS = [q.q for q in load_question_set("dev").questions]

TURNS_PER_USER = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the server exited with code {process.returncode}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def start_server(tmp: Path, redis_url: str = "") -> tuple[subprocess.Popen, str, str]:
    """`hotline serve` on free ports with its own var dir (so a `make run` beside it is untouched);
    the Rasa models already trained under the repository's var/ are linked in, not retrained.

    :returns: (process, app URL, Rasa URL).
    """
    port, rasa_port = free_port(), free_port()
    var_dir = tmp / "var"
    models = var_dir / "rasa" / "models"
    models.mkdir(parents=True)
    for model in (REPO_ROOT / "var" / "rasa" / "models").glob("*.tar.gz"):
        (models / model.name).symlink_to(model)
    env = {
        **os.environ,
        "HOTLINE_VAR_DIR": str(var_dir),
        "HOTLINE_PORT": str(port),
        "HOTLINE_RASA_URL": f"http://127.0.0.1:{rasa_port}",
    }
    if redis_url:  # shared state: one gunicorn worker per core instead of one process
        env["HOTLINE_REDIS_URL"] = redis_url
    for name in ("HOTLINE_DATABASE_URL",):  # its default lives under var_dir
        env.pop(name, None)
    log = open(tmp / "serve.log", "w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("hotline")), "serve"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    print(f"started hotline serve (pid {process.pid}); log: {tmp / 'serve.log'}", flush=True)
    return process, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{rasa_port}"


def turn_kind(intent: str, check_open: str | None) -> str:
    """policy (retrieval), check (an eligibility dialogue turn) or other (greeting, out of scope, …)."""
    if check_open or intent.startswith("check_"):
        return "check"
    return "policy" if intent == "ask_policy" else "other"


def one_turn_questions(base: str, questions: list[str]) -> list[str]:
    """The questions answered in one turn: each asked once by a new user; checks and 转人工 left out."""
    session = requests.Session()
    kept = []
    for question in questions:
        body = session.post(base + "/api/chat", json={"user_id": f"bench-probe-{uuid.uuid4().hex}", "text": question},
                            timeout=30).json()
        if turn_kind(body.get("intent", ""), body.get("asking_for")) != "check" and not body.get("handoff"):
            kept.append(question)
    return kept


def client(base: str, index: int, clients: int, questions: list[str], stop: threading.Event, latencies: list,
           statuses: Counter, kinds: Counter, lock, first_turns: bool = False) -> None:
    session = requests.Session()
    run = uuid.uuid4().hex[:6]
    asked = index * len(questions) // clients  # each client starts at its own place in the list
    turn = 0
    asking_for = None
    while not stop.is_set():
        if asking_for in SLOT_ANSWERS:
            text = SLOT_ANSWERS[asking_for]
        else:
            text = questions[asked % len(questions)]
            asked += 1
        user = f"bench-{run}-{index}-{turn}" if first_turns else f"bench-{run}-{index}-{turn // TURNS_PER_USER}"
        payload = {"user_id": user, "text": text}
        started = time.perf_counter()
        try:
            response = session.post(base + "/api/chat", json=payload, timeout=30)
            status = response.status_code
        except requests.RequestException:
            status, response = "error", None
        elapsed = time.perf_counter() - started
        body = response.json() if status == 200 else {}
        kind = turn_kind(body.get("intent", ""), asking_for or body.get("asking_for"))
        asking_for = None if first_turns else body.get("asking_for")
        turn += 1
        if turn % TURNS_PER_USER == 0:
            asking_for = None  # a new user
        with lock:
            statuses[status] += 1
            kinds[kind] += 1
            if status == 200:
                latencies.append(elapsed)


def run(base: str, clients: int, duration: float, warmup: float, questions: list[str], first_turns: bool = False) -> dict:
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()
    kinds: Counter = Counter()
    stop = threading.Event()
    threads = [
        threading.Thread(target=client, args=(base, i, clients, questions, stop, latencies, statuses, kinds, lock, first_turns),
                         daemon=True)
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    time.sleep(warmup)
    with lock:
        latencies.clear()
        statuses.clear()
        kinds.clear()
    started = time.perf_counter()
    time.sleep(duration)
    with lock:
        measured, counts, turn_kinds = list(latencies), Counter(statuses), Counter(kinds)
        elapsed = time.perf_counter() - started
    stop.set()
    for t in threads:
        t.join(timeout=35)
    return {"latencies": measured, "statuses": counts, "kinds": turn_kinds, "elapsed": elapsed}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def main() -> None:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"http://{settings.host}:{settings.port}", help="the running server")
    parser.add_argument("--start", action="store_true", help="start a server of its own on free ports")
    parser.add_argument("--redis", default="", help="with --start: HOTLINE_REDIS_URL (several workers, as scaled out)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds first")
    parser.add_argument("--workload", choices=("qa", "first", "mixed"), default="qa",
                        help="qa: questions answered in one turn; first: new users' first turns, checks too; "
                             "mixed: checks too, their questions answered")
    args = parser.parse_args()

    process = None
    tmp = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    base = args.url.rstrip("/")
    try:
        if args.start:
            process, base, rasa_url = start_server(tmp, args.redis)
            wait_for(base + "/api/openapi.json", 900, process)
            wait_for(rasa_url + "/", 900, process)
            # The model loads after the port opens: wait until Rasa reports it.
            from bot.rasa_client import api_token

            token = api_token(Settings.from_env({"HOTLINE_VAR_DIR": str(tmp / "var")}).secret_key)
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                try:
                    status = requests.get(rasa_url + "/status", params={"token": token}, timeout=2)
                    if status.ok and status.json().get("model_file"):
                        break
                except (requests.RequestException, ValueError):
                    pass
                time.sleep(1)
        else:
            try:
                requests.get(base + "/api/openapi.json", timeout=5)
            except requests.RequestException:
                raise SystemExit(f"no server at {base}: start one with `make run`, or pass --start") from None

        questions = one_turn_questions(base, DEV_QUESTIONS) if args.workload == "qa" else DEV_QUESTIONS
        print(f"POST {base}/api/chat · {args.clients} clients · {args.warmup:.0f} s warm-up · {args.duration:.0f} s measured"
              f" · workload {args.workload}: {len(questions)} of {len(DEV_QUESTIONS)} dev questions", flush=True)
        result = run(base, args.clients, args.duration, args.warmup, questions, first_turns=args.workload == "first")
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    latencies, statuses, elapsed = result["latencies"], result["statuses"], result["elapsed"]
    if not latencies:
        raise SystemExit(f"no successful request; statuses: {dict(statuses)}")
    ms = [x * 1000 for x in latencies]
    p50, p95, p99 = (percentile(ms, q) for q in (50, 95, 99))
    rate = sum(statuses.values()) / elapsed
    print(f"requests: {sum(statuses.values())} in {elapsed:.1f} s · statuses: {dict(statuses)}")
    kinds = result["kinds"]
    print(f"turns: {', '.join(f'{k} {v / sum(kinds.values()):.0%}' for k, v in kinds.most_common())}")
    print(f"latency ms: p50 {p50:.1f} · p95 {p95:.1f} · p99 {p99:.1f} · mean {statistics.mean(ms):.1f} · max {max(ms):.1f}")
    print(f"throughput: {rate:.1f} requests/s")
    print(f"targets: p95 ≤ 100 ms {'MET' if p95 <= 100 else 'MISSED'} · ≥ 50 req/s {'MET' if rate >= 50 else 'MISSED'}")
    if statuses.get(429):
        print("note: 429 answers mean a rate limit was hit (HOTLINE_RATE_LIMIT_USER / _IP)")


if __name__ == "__main__":
    main()
