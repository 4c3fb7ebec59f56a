"""The load benchmark's own code, small: 10 users × 3 turns on each channel mix through /api/chat,
/wechat and /ivr at once, against `hotline serve` with two gunicorn workers sharing state in Redis
and the session's Rasa. No 5xx, and the log holds exactly one row per answered turn.

(The full run, 500 users × 20 turns, is `benchmarks/load_soak.py`; it is not part of the suite.)
"""
from __future__ import annotations

import pytest

from benchmarks.load_soak import LoadPlan, Recorder, Target, check_rows, run_load, warm_up
from benchmarks.system import HotlineSystem, SystemConfig

pytestmark = pytest.mark.integration


def test_a_small_load_through_every_channel_loses_nothing(tmp_path, rasa_stack, redis_url, system_index):
    config = SystemConfig(
        var_dir=tmp_path / "var", workers=2, threads=8, redis_url=redis_url, rasa=rasa_stack.url,
        index_from=system_index,
    )
    recorder = Recorder()
    with HotlineSystem(config) as system:
        assert len(system.app_workers()) == 2
        target = Target(system.url, config.wechat_token, config.twilio_auth_token)
        warm_up(target, recorder, turns_per_channel=1)
        result = run_load(target, LoadPlan(users=10, turns=3, think=(0.0, 0.3), ramp=1.0, concurrency=10,
                                           max_seconds=300), recorder)
    # stopped: the workers flushed the log on the way out
    figures = result.summary()
    assert figures["turns"] == 30 and not figures["stopped_early"], figures
    assert figures["server_errors_5xx"] == 0, figures["status"]
    assert figures["status"] == {"200": figures["requests"]}, figures  # no 4xx, no unanswered request either
    assert {c: v["turns"] for c, v in figures["per_channel"].items()} == {"api": 12, "wechat": 9, "ivr": 9}
    rows = check_rows(system.database_url, recorder)
    assert rows.expected == 30 + 3  # the load and the warm-up turns
    assert rows.ok, rows
