"""The GC probe of `benchmarks/gc_pauses.py` times full collections, and only those."""
from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.gc_pauses import OUT_ENV, PROBE, role


def test_the_probe_records_each_full_collection(tmp_path):
    script = PROBE + "\nimport gc\ngc.collect(0)\ngc.collect(1)\ngc.collect()\ngc.collect()\n_write()\n"
    subprocess.run([sys.executable, "-c", script], env={OUT_ENV: str(tmp_path)}, check=True, timeout=60)
    [written] = tmp_path.glob("*.json")
    full = json.loads(written.read_text())["full"]
    assert len(full) == 2  # generations 0 and 1 are not full collections
    assert all(seconds >= 0 for _, seconds in full)


def test_server_roles_are_told_from_the_command_line():
    assert role("rasa run --model m.tar.gz --enable-api") == "rasa"
    assert role("/x/gunicorn/__main__.py --config gunicorn.conf.py bot.app:create_app()") == "gunicorn"
    assert role("benchmarks/load_soak.py") is None
