"""Garbage-collector pauses of every server process during the load benchmark (issue 7).

Runs `benchmarks/load_soak.py` (its arguments are passed on) with a probe in every Python process
of both venvs: a `sitecustomize` module, put into their site-packages for the run and removed
afterwards, that times each full (generation 2) collection with `gc.callbacks` and writes the
times to a folder. Then it prints, per server process, the full collections that ran during the
load: how many, their total and their longest.

    .venv/bin/python benchmarks/gc_pauses.py                       # 500 users × 20 turns
    .venv/bin/python benchmarks/gc_pauses.py --users 50 --turns 5  # a quick look

A full collection stops its process; in the Rasa server that is the one event loop every turn
waits for. The probe adds a little work to every collection, so run `load_soak.py` itself for the
latency figures. Run it on a quiet machine, and not while tests run: the probe is in the venvs.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VENVS = (REPO_ROOT / ".venv", REPO_ROOT / ".venv-rasa")
PLAN_LINE = "[load] "  # followed by "<users> users × …" when the load starts
OUT_ENV = "HOTLINE_GC_PROBE_DIR"

# Standard library only: it runs in Python 3.10 (Rasa) and 3.11 (the app) alike.
PROBE = r'''
import gc, json, os, sys, threading, time

_out = os.environ.get("HOTLINE_GC_PROBE_DIR")
if _out:
    _started, _full = {}, []

    def _time_collection(phase, info):
        if info["generation"] != 2:
            return
        if phase == "start":
            _started[threading.get_ident()] = time.perf_counter()
        else:
            began = _started.pop(threading.get_ident(), None)
            if began is not None:
                _full.append((time.time(), time.perf_counter() - began))

    def _write():
        path = os.path.join(_out, f"{os.getpid()}.json")
        with open(path + ".tmp", "w") as handle:
            json.dump({"argv": " ".join(sys.argv)[:200], "full": _full}, handle)
        os.replace(path + ".tmp", path)

    def _keep_writing():
        while True:
            time.sleep(2)
            try:
                _write()
            except OSError:
                pass

    def _start_writer():
        threading.Thread(target=_keep_writing, name="gc-probe", daemon=True).start()

    gc.callbacks.append(_time_collection)
    _start_writer()
    os.register_at_fork(after_in_child=lambda: (_full.clear(), _start_writer()))  # gunicorn workers
'''


def role(argv: str) -> str | None:
    """The server role of a probed process, from its command line (None: not a server)."""
    if "rasa run" in argv or "rasa_nlu_server" in argv:
        return "rasa"
    if "gunicorn" in argv:
        return "gunicorn"
    return None


def site_packages(venv: Path) -> Path:
    python = venv / "bin" / "python"
    path = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    return Path(path)


def main(argv: list[str]) -> int:
    probes = [site_packages(venv) / "sitecustomize.py" for venv in VENVS]
    for probe in probes:
        if probe.exists():
            sys.exit(f"{probe} exists already; this script will not replace it")
    out = Path(tempfile.mkdtemp(prefix="hotline-gc-"))
    window: list[float] = []
    try:
        for probe in probes:
            probe.write_text(PROBE, encoding="utf-8")
        command = [sys.executable, str(REPO_ROOT / "benchmarks" / "load_soak.py"), *argv]
        env = {**os.environ, OUT_ENV: str(out)}
        with subprocess.Popen(command, cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE, text=True) as load:
            for line in load.stderr:
                sys.stderr.write(line)
                if line.startswith(PLAN_LINE) and " users × " in line and not window:
                    window.append(time.time())
            code = load.wait()
        window.append(time.time())
        time.sleep(3)  # the probes write every 2 s; the last writes of stopped processes are in
    finally:
        for probe in probes:
            probe.unlink(missing_ok=True)
    if len(window) < 2:
        print("the load never started", file=sys.stderr)
        return 1
    begin, end = window
    report = []
    for path in sorted(out.glob("*.json")):
        data = json.loads(path.read_text())
        name = role(data["argv"])
        if name is None:
            continue
        pauses = [seconds for at, seconds in data["full"] if begin <= at <= end]
        report.append({
            "role": name, "pid": int(path.stem), "full_collections": len(pauses),
            "total_s": round(sum(pauses), 3), "longest_ms": round(max(pauses, default=0.0) * 1000, 1),
        })
    report.sort(key=lambda r: (r["role"], -r["total_s"]))
    print(json.dumps({"load_s": round(end - begin), "processes": report}, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
