"""Benchmark of turns through Rasa: `Conversation.handle` → Rasa server → action server → back.

Targets (issue 3): turn latency p95 ≤ 150 ms on 2 cores; training ≤ 3 minutes.

    .venv/bin/python benchmarks/bench_rasa_turns.py              # train once (timed), then 40 conversations
    .venv/bin/python benchmarks/bench_rasa_turns.py --no-train   # reuse the model of var/rasa/models

It starts its own Rasa server and action server on free loopback ports, with their state (SQLite
tracker store, retrieval index, turn log) in a temporary var dir. One client talks at a time, so
the figures are per-turn latency, not throughput. Dialogue turns (greeting, eligibility checks
with their questions and verdicts, small talk) and policy turns (answered by retrieval inside the
action server) are reported apart; the target applies to the dialogue turns.
"""
from __future__ import annotations

import argparse
import math
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import REPO_ROOT, Settings  # noqa: E402
from bot.reply import Turn  # noqa: E402

TARGET_P95_MS = 150.0
TARGET_TRAIN_S = 180.0

# One user's conversation; every turn but the policy questions is a dialogue turn.
CONVERSATION = [
    ("dialogue", "你好"),
    ("dialogue", "我们公司28个人裁了3个，能拿稳岗返还吗"),
    ("dialogue", "中小微企业"),
    ("dialogue", "我失业了能领多少失业金"),
    ("dialogue", "交了一年半"),
    ("policy", "高校毕业生就业有什么政策"),
    ("dialogue", "我是2018年毕业的非大连生源，报到期限延长到什么时候"),
    ("dialogue", "我们公司能申请稳岗返还吗"),
    ("policy", "企业复工招不到人怎么办"),
    ("dialogue", "算了"),
    ("dialogue", "谢谢"),
    ("dialogue", "再见"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def summary(name: str, values: list[float]) -> str:
    return (
        f"{name:9s} n={len(values):4d}  p50 {percentile(values, 0.5):6.1f} ms  p95 {percentile(values, 0.95):6.1f} ms"
        f"  mean {statistics.fmean(values):6.1f} ms  max {max(values):6.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=40, help="conversations to measure (default 40)")
    parser.add_argument("--no-train", action="store_true", help="do not time a training run")
    args = parser.parse_args()

    from bot.conversation import Conversation
    from bot.rasa_client import RasaClient
    from bot.rasa_process import RasaStack, ensure_model, fingerprint
    from bot.services import Services

    repo_models = REPO_ROOT / "var" / "rasa" / "models"
    with tempfile.TemporaryDirectory(prefix="bench-rasa-") as tmp:
        var_dir = Path(tmp) / "var"
        if not args.no_train:
            started = time.perf_counter()
            ensure_model(var_dir / "rasa" / "models", force=True)
            train_s = time.perf_counter() - started
            print(f"training  {train_s:6.1f} s (fingerprint {fingerprint()})  target ≤ {TARGET_TRAIN_S:.0f} s  "
                  f"{'OK' if train_s <= TARGET_TRAIN_S else 'MISSED'}")
        model, _ = ensure_model(repo_models)

        settings = Settings.from_env(
            {}, var_dir=var_dir, rasa_url=f"http://127.0.0.1:{free_port()}", action_port=free_port(), rasa_timeout=30.0
        )
        stack = RasaStack(settings, model, int(settings.rasa_url.rsplit(":", 1)[1]), settings.action_port)
        started = time.perf_counter()
        stack.start()
        services = Services(settings)
        try:
            stack.wait_ready(timeout=600)
            print(f"start     {time.perf_counter() - started:6.1f} s (Rasa server and action server ready)")
            conversation = Conversation(RasaClient(stack.url, timeout=settings.rasa_timeout), services)
            # Warm-up: the action server loads the retrieval index in the background.
            for kind, text in CONVERSATION:
                conversation.handle(Turn("api", "warm-up", text))

            latencies: dict[str, list[float]] = {"dialogue": [], "policy": []}
            degraded = 0
            for _ in range(args.conversations):
                user = uuid.uuid4().hex
                for kind, text in CONVERSATION:
                    t0 = time.perf_counter()
                    reply = conversation.handle(Turn("api", user, text))
                    latencies[kind].append((time.perf_counter() - t0) * 1000)
                    degraded += reply.degraded
            print(summary("dialogue", latencies["dialogue"]))
            print(summary("policy", latencies["policy"]))
            p95 = percentile(latencies["dialogue"], 0.95)
            print(f"dialogue p95 {p95:.1f} ms  target ≤ {TARGET_P95_MS:.0f} ms  {'OK' if p95 <= TARGET_P95_MS else 'MISSED'}"
                  f"  (degraded turns: {degraded})")
            conversation.close()
        finally:
            stack.stop()
            services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
