"""The journal: a process killed with records still queued loses none of them.
Run: .venv/bin/python -m pytest -q tests/hotspots/test_journal.py"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

from bot.hotspots import db
from tests.hotspots.conftest import reply, turn
from tests.hotspots.test_log import rows

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from bot.hotspots.log import TurnLog
    from bot.core.turn import Citation, Reply, Turn

    log = TurnLog(sys.argv[1], secret="test-secret", spill_dir=sys.argv[2], flush_interval=0.05)
    for i in range(25):
        log.record(Turn(channel="api", user_id="u", text=f"问题{i}", message_id=f"killed-{i}"),
                   Reply(reply="答复", citations=[Citation("大人社发[2020]38号", 4, "t", "q")]), 1.0)
    print("recorded", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no atexit, no flush: only the journal survives
    """
)


def test_records_of_a_killed_process_are_written_by_the_next_one(tmp_path, make_log):
    url = f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
    first = make_log(url)
    first.record(turn(message_id="before"), reply(), 1)
    assert first.flush(20)
    locker = sqlite3.connect(tmp_path / "hotline.sqlite3", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # the child's writer cannot write: records stay queued
    try:
        child = subprocess.run(
            [sys.executable, "-c", CHILD, url, str(tmp_path / "spill")],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": os.getcwd()},
        )
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert "recorded" in child.stdout
    assert list((tmp_path / "spill").glob("journal-*.jsonl")), "the killed process left no journal"

    assert first.flush(20)  # the survivor replays the dead process's journal
    written = {r["message_id"] for r in rows(url, db.TurnRow)}
    assert written == {"before"} | {f"killed-{i}" for i in range(25)}
    assert not list((tmp_path / "spill").glob("*.jsonl"))


def test_a_settled_journal_leaves_no_file(tmp_path, make_log):
    url = f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
    log = make_log(url)
    for i in range(3):
        log.record(turn(message_id=f"m{i}"), reply(), 1)
    assert log.flush(20)
    assert not list((tmp_path / "spill").glob("journal-*.jsonl"))
    assert len(rows(url, db.TurnRow)) == 3
