"""Total resident memory of the running system (issue 7): `hotline serve` and everything below it,
the gunicorn master and workers, the Rasa server and the action server, after warm-up and after load.

    .venv/bin/python benchmarks/memory.py                 # start a system, warm up, load, measure
    .venv/bin/python benchmarks/memory.py --pid 12345     # measure a running `hotline serve` now

Two sums are reported per moment: RSS (each process's resident set, so pages shared between
processes, e.g. the gunicorn workers' copy-on-write pages, count once per process: an upper
bound) and PSS (proportional set size from /proc/PID/smaps_rollup: a shared page counts as
1/n in each of its n processes, so the sum is the memory the system really holds).
Target (issue 7): ≤ 2 GB for the app and Rasa together.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

TARGET_MIB = 2048


def _kib(path: Path, field: str) -> int:
    """A `Field:   123 kB` value of a /proc file, in KiB (0 when the process is gone)."""
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


@dataclass
class ProcessMemory:
    pid: int
    role: str
    rss_kib: int
    pss_kib: int


@dataclass
class MemoryReport:
    processes: list[ProcessMemory]

    @property
    def rss_mib(self) -> float:
        return sum(p.rss_kib for p in self.processes) / 1024

    @property
    def pss_mib(self) -> float:
        return sum(p.pss_kib for p in self.processes) / 1024

    def by_role(self) -> dict[str, dict]:
        roles: dict[str, dict] = {}
        for p in self.processes:
            entry = roles.setdefault(p.role, {"processes": 0, "rss_mib": 0.0, "pss_mib": 0.0})
            entry["processes"] += 1
            entry["rss_mib"] += p.rss_kib / 1024
            entry["pss_mib"] += p.pss_kib / 1024
        return {k: {**v, "rss_mib": round(v["rss_mib"]), "pss_mib": round(v["pss_mib"])} for k, v in sorted(roles.items())}

    def summary(self) -> dict:
        return {"rss_total": round(self.rss_mib), "pss_total": round(self.pss_mib), "by_role": self.by_role()}


def measure(pids: list[int]) -> MemoryReport:
    """RSS and PSS of each process in `pids` (processes that exited meanwhile count 0)."""
    from benchmarks.system import role_of

    return MemoryReport([
        ProcessMemory(
            pid,
            role_of(pid),
            _kib(Path(f"/proc/{pid}/status"), "VmRSS"),
            _kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss"),
        )
        for pid in pids
    ])


def cpu_seconds(pids: list[int]) -> dict[str, float]:
    """CPU time (user + system) each role of the system has used so far, in seconds."""
    from benchmarks.system import role_of

    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        role = role_of(pid).split(" ")[0]
        used[role] = used.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


def main(argv=None) -> int:
    from benchmarks.load_soak import LoadPlan, Recorder, Target, machine, run_load, warm_up
    from benchmarks.system import HotlineSystem, SystemConfig, descendants

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pid", type=int, help="measure this running `hotline serve` (and its children) and exit")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    p.add_argument("--users", type=int, default=150, help="load between the two measurements")
    p.add_argument("--turns", type=int, default=6)
    args = p.parse_args(argv)

    if args.pid:
        report = measure([args.pid, *descendants(args.pid)])
        print(json.dumps({"machine": machine(), "memory_mib": report.summary()}, ensure_ascii=False, indent=1))
        return 0 if report.pss_mib <= TARGET_MIB else 1

    with tempfile.TemporaryDirectory(prefix="hotline-memory-") as tmp:
        config = SystemConfig(
            var_dir=Path(tmp) / "var", workers=args.workers, threads=args.threads, redis_url=args.redis_url,
            rasa="own", index_from=REPO_ROOT / "var" / "index",
        )
        with HotlineSystem(config) as system:
            target = Target(system.url, config.wechat_token, config.twilio_auth_token)
            recorder = Recorder()
            warm_up(target, recorder)
            time.sleep(2)
            warm = measure(system.pids())
            run_load(target, LoadPlan(users=args.users, turns=args.turns, think=(0.5, 2.0), ramp=5.0, max_seconds=600),
                     recorder)
            loaded = measure(system.pids())
    figures = {
        "machine": machine(),
        "system": {"workers": args.workers, "threads": args.threads, "rasa": "own", "redis": bool(args.redis_url)},
        "memory_mib": {"after_warm_up": warm.summary(), "after_load": loaded.summary()},
        "load_between": f"{args.users} users × {args.turns} turns",
        "command": "python benchmarks/memory.py " + " ".join(sys.argv[1:] if argv is None else argv),
    }
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    ok = loaded.pss_mib <= TARGET_MIB
    print(f"[memory] {'PASS' if ok else 'MISS'} total PSS {loaded.pss_mib:.0f} MiB ≤ {TARGET_MIB} MiB "
          f"(RSS sum {loaded.rss_mib:.0f} MiB)", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
