"""Importing the app starts nothing: every long-lived thing is built and started by `Services`."""
from __future__ import annotations

import json
import subprocess
import sys

from bot.config import REPO_ROOT

# Alembic runs a migration environment on import; it is loaded by alembic, never imported.
NOT_IMPORTABLE = {"bot.hotspots.migrations.env"}

SCRIPT = """
import importlib, json, pkgutil, sys, threading
names = []
for package in ("bot", "knowledge_base", "ivr"):
    module = importlib.import_module(package)
    names.append(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        if info.name in set(sys.argv[1:]) or ".migrations.versions." in info.name:
            continue
        importlib.import_module(info.name)
        names.append(info.name)
print(json.dumps({"modules": names, "threads": [t.name for t in threading.enumerate()]}))
"""


def test_importing_every_module_starts_no_thread():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *NOT_IMPORTABLE],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"bot.runtime.services", "bot.dashboard.views", "ivr.voice", "knowledge_base.retrieval"} <= set(found["modules"])
    assert found["threads"] == ["MainThread"]
