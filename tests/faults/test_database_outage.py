"""The turn log's database goes away under load: PostgreSQL unreachable (a TCP forwarder in front
of it is cut), or the SQLite file locked by another process. Answers are still served (all 200, no
5xx), the rows of those turns are kept by the app (they are not in the database meanwhile), and
once the database is back they are written without a restart: exactly one row per turn."""
from __future__ import annotations

import sqlite3

import pytest

from benchmarks.load_soak import LoadPlan, Recorder, Target, check_rows, run_load, warm_up
from benchmarks.system import HotlineSystem, SystemConfig
from tests.faults.conftest import wait_until
from tests.fixtures.postgres import pg_schema_url
from tests.hotspots.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

BURST = LoadPlan(users=9, turns=4, think=(0.0, 0.2), ramp=0.5, concurrency=9, max_seconds=120)


def burst(system, recorder: Recorder):
    """The load benchmark's users, a short burst; every request must be answered 200."""
    config = system.config
    result = run_load(Target(system.url, config.wechat_token, config.twilio_auth_token), BURST, recorder)
    figures = result.summary()
    assert figures["status"] == {"200": figures["requests"]}, figures["status"]
    assert figures["turns"] == BURST.users * BURST.turns
    return result


def test_postgresql_unreachable_answers_go_on_and_rows_are_written_when_it_returns(
    tmp_path, redis_url, system_index, pg_schema
):
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxy.start()
    direct_url = pg_schema_url(pg_schema)
    config = SystemConfig(var_dir=tmp_path / "var", workers=2, threads=8, redis_url=redis_url, rasa="none",
                          database_url=pg_schema_url(pg_schema, proxy.port), index_from=system_index)
    recorder = Recorder()
    try:
        with HotlineSystem(config) as system:
            target = Target(system.url, config.wechat_token, config.twilio_auth_token)
            warm_up(target, recorder, turns_per_channel=1)
            wait_until(lambda: check_rows(direct_url, recorder).ok, 60, "the warm-up turns were not logged")
            before = set(recorder.expected)

            proxy.stop()  # PostgreSQL unreachable from here on
            burst(system, recorder)
            during = recorder.expected - before
            rows = check_rows(direct_url, recorder)
            assert set(rows.missing) == during, "rows written while the database was unreachable?"

            proxy.start()
            wait_until(lambda: check_rows(direct_url, recorder).ok, 90,
                       "the buffered rows were not written after PostgreSQL came back")
    finally:
        proxy.stop()
    rows = check_rows(direct_url, recorder)
    assert rows.ok and rows.expected == 3 + BURST.users * BURST.turns, rows


def test_sqlite_locked_answers_go_on_and_rows_are_written_when_the_lock_goes(tmp_path, redis_url, system_index):
    config = SystemConfig(var_dir=tmp_path / "var", workers=2, threads=8, redis_url=redis_url, rasa="none",
                          index_from=system_index)
    recorder = Recorder()
    with HotlineSystem(config) as system:
        target = Target(system.url, config.wechat_token, config.twilio_auth_token)
        warm_up(target, recorder, turns_per_channel=1)
        wait_until(lambda: check_rows(system.database_url, recorder).ok, 60, "the warm-up turns were not logged")
        before = set(recorder.expected)

        locker = sqlite3.connect(system.database_url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
        try:
            locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
            burst(system, recorder)
            during = recorder.expected - before
            written = {(c, m) for c, m in locker.execute("SELECT channel, message_id FROM turns")}
            assert not (written & during), "rows written through an exclusive lock?"
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        wait_until(lambda: check_rows(system.database_url, recorder).ok, 90,
                   "the buffered rows were not written after the lock was released")
    rows = check_rows(system.database_url, recorder)
    assert rows.ok and rows.expected == 3 + BURST.users * BURST.turns, rows
