"""End-to-end evaluation of a running system: the blind dev and held-out sets through `POST /api/chat`.

    .venv/bin/python benchmarks/e2e_eval.py                 # start `hotline serve` on free ports, both sets
    .venv/bin/python benchmarks/e2e_eval.py --url http://127.0.0.1:8000 --set heldout   # a running system

Starts `hotline serve` (gunicorn, the Rasa NLU server) in a temporary var dir with the API's rate
limits off (the run sends every question from one address), then runs `bot.e2e_eval` on each set:
a fresh user per question and per dialogue. Failed questions and turns, with the reply, go to
`<var dir>/e2e-failures-<set>.json`. The figures are recorded in BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.system import HotlineSystem, SystemConfig  # noqa: E402
from bot import e2e_eval  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running system (default: start one)")
    parser.add_argument("--set", dest="sets", action="append", choices=e2e_eval.SETS, help="repeatable; default: both")
    args = parser.parse_args()
    sets = args.sets or list(e2e_eval.SETS)
    out = Path(tempfile.mkdtemp(prefix="e2e-eval-"))
    if args.url:
        return report(args.url, sets, out)
    config = SystemConfig(var_dir=out / "var", workers=1, threads=8, rate_limit_user=0,
                          env={"HOTLINE_RATE_LIMIT_IP": "0"})
    with HotlineSystem(config) as system:
        return report(system.url, sets, out)


def report(url: str, sets: list[str], out: Path) -> int:
    for name in sets:
        failures = out / f"e2e-failures-{name}.json"
        print(e2e_eval.format_report(name, e2e_eval.run(url, name, failures)), flush=True)
        print(f"failures: {failures}\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
