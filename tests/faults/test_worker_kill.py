"""SIGKILL of one gunicorn worker under load: the master starts another, no request gets a 5xx, and
every turn that was answered 200 has its row in the log (the guarantee README "Scale-out" states).
Requests in flight on the killed worker get no answer at all (connection reset); their turns may or
may not be logged, and they are never answered twice."""
from __future__ import annotations

import pytest

from benchmarks.load_soak import LoadPlan, check_rows
from benchmarks.system import HotlineSystem, SystemConfig
from tests.faults.conftest import BackgroundLoad, wait_until

pytestmark = pytest.mark.integration


def test_killing_a_worker_under_load_loses_no_answered_turn(tmp_path, redis_url, system_index):
    config = SystemConfig(var_dir=tmp_path / "var", workers=2, threads=8, redis_url=redis_url, rasa="none",
                          index_from=system_index, rate_limit_user=0)  # fast users: no per-user limit
    plan = LoadPlan(users=12, turns=30, think=(0.05, 0.3), ramp=1.0, concurrency=12, max_seconds=120)
    with HotlineSystem(config) as system:
        before = set(system.app_workers())
        with BackgroundLoad(system, plan) as load:
            load.wait_turns(60)
            killed = system.kill_worker()
            wait_until(lambda: len(set(system.app_workers()) - before) == 1 and len(system.app_workers()) == 2,
                       120, "gunicorn did not replace the killed worker")
            served_after = load.turns_done()
            load.wait_turns(served_after + 30)  # the replacement serves too
    figures = load.result.summary()
    assert killed in before
    assert figures["server_errors_5xx"] == 0, figures["status"]
    assert set(figures["status"]) <= {"200", "0"}, figures["status"]  # 0: reset with the killed worker
    rows = check_rows(system.database_url, load.recorder)
    assert not rows.missing, f"{len(rows.missing)} answered turns have no row: {rows.missing[:5]}"
    assert rows.ok, rows
