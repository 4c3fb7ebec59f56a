"""Benchmark of `POST /api/chat`: 8 concurrent clients, p50/p95 latency and requests/s.

Targets (issue 4): p95 ≤ 100 ms and ≥ 50 requests/s on 2 cores.

    make run                                   # in one terminal
    .venv/bin/python benchmarks/bench_chat.py  # in another: against http://HOTLINE_HOST:HOTLINE_PORT

    .venv/bin/python benchmarks/bench_chat.py --start   # start its own `hotline serve` on free ports

Each client keeps one HTTP connection and cycles through policy questions; a user id serves 10
turns (short conversations, under the per-user rate limit). With `--start` everything (turn log, Rasa
tracker, index) lives in a temporary var dir; against a running server the turns are logged like
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

from bot.config import Settings  # noqa: E402

QUESTIONS = [
    "稳岗返还的裁员率标准是多少？",
    "失业保险金标准提高了多少？",
    "职工线上培训补贴每课时多少钱？",
    "2018届非大连生源毕业生报到期限延长到什么时候？",
    "农民工人身意外伤害保险补贴最多多少？",
    "失业保险费率降低政策执行到什么时候？",
    "创业担保贷款可以展期吗？",
    "因个人原因离职能领失业补助金吗？",
    "推荐失业人员就业的服务机构有什么补助？",
    "转人工",
]
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


def start_server(tmp: Path) -> tuple[subprocess.Popen, str, str]:
    """`hotline serve` on free ports with its own var dir (so a `make run` beside it is untouched);
    the Rasa models already trained under the repository's var/ are linked in, not retrained.

    :returns: (process, app URL, Rasa URL).
    """
    port, rasa_port, action_port = free_port(), free_port(), free_port()
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
        "HOTLINE_ACTION_PORT": str(action_port),
    }
    for name in ("HOTLINE_DATABASE_URL", "HOTLINE_RASA_TRACKER_URL"):  # their defaults live under var_dir
        env.pop(name, None)
    log = open(tmp / "serve.log", "w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("hotline")), "serve"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    print(f"started hotline serve (pid {process.pid}); log: {tmp / 'serve.log'}", flush=True)
    return process, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{rasa_port}"


def client(base: str, index: int, stop: threading.Event, latencies: list, statuses: Counter, lock) -> None:
    session = requests.Session()
    run = uuid.uuid4().hex[:6]
    i = 0
    while not stop.is_set():
        payload = {"user_id": f"bench-{run}-{index}-{i // TURNS_PER_USER}", "text": QUESTIONS[(index + i) % len(QUESTIONS)]}
        started = time.perf_counter()
        try:
            status = session.post(base + "/api/chat", json=payload, timeout=30).status_code
        except requests.RequestException:
            status = "error"
        elapsed = time.perf_counter() - started
        with lock:
            statuses[status] += 1
            if status == 200:
                latencies.append(elapsed)
        i += 1


def run(base: str, clients: int, duration: float, warmup: float) -> dict:
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()
    stop = threading.Event()
    threads = [
        threading.Thread(target=client, args=(base, i, stop, latencies, statuses, lock), daemon=True)
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    time.sleep(warmup)
    with lock:
        latencies.clear()
        statuses.clear()
    started = time.perf_counter()
    time.sleep(duration)
    with lock:
        measured, counts = list(latencies), Counter(statuses)
        elapsed = time.perf_counter() - started
    stop.set()
    for t in threads:
        t.join(timeout=35)
    return {"latencies": measured, "statuses": counts, "elapsed": elapsed}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def main() -> None:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"http://{settings.host}:{settings.port}", help="the running server")
    parser.add_argument("--start", action="store_true", help="start a server of its own on free ports")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds first")
    args = parser.parse_args()

    process = None
    tmp = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    base = args.url.rstrip("/")
    try:
        if args.start:
            process, base, rasa_url = start_server(tmp)
            wait_for(base + "/api/openapi.json", 900, process)
            wait_for(rasa_url + "/", 900, process)
            # The model loads after the port opens: wait until Rasa answers a turn.
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                try:
                    if requests.get(rasa_url + "/version", timeout=2).ok and requests.post(
                        rasa_url + "/webhooks/rest/webhook", json={"sender": "bench-probe", "message": "你好"}, timeout=10
                    ).ok:
                        break
                except requests.RequestException:
                    pass
                time.sleep(1)
        else:
            try:
                requests.get(base + "/api/openapi.json", timeout=5)
            except requests.RequestException:
                raise SystemExit(f"no server at {base}: start one with `make run`, or pass --start") from None

        print(f"POST {base}/api/chat · {args.clients} clients · {args.warmup:.0f} s warm-up · {args.duration:.0f} s measured",
              flush=True)
        result = run(base, args.clients, args.duration, args.warmup)
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
    print(f"latency ms: p50 {p50:.1f} · p95 {p95:.1f} · p99 {p99:.1f} · mean {statistics.mean(ms):.1f} · max {max(ms):.1f}")
    print(f"throughput: {rate:.1f} requests/s")
    print(f"targets: p95 ≤ 100 ms {'MET' if p95 <= 100 else 'MISSED'} · ≥ 50 req/s {'MET' if rate >= 50 else 'MISSED'}")
    if statuses.get(429):
        print("note: 429 answers mean a rate limit was hit (HOTLINE_RATE_LIMIT_USER / _IP)")


if __name__ == "__main__":
    main()
