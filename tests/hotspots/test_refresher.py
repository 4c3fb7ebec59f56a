"""bot.hotspots.refresher.HotspotRefresher on a real SQLite log and the real question encoder."""
from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from bot.hotspots import db, refresher as refresher_module
from bot.hotspots.log import TurnLog
from bot.hotspots.refresher import HotspotRefresher
from tests.hotspots.conftest import reply, turn


def logged(settings, *texts: str) -> None:
    log = TurnLog.from_settings(settings)
    try:
        for text in texts:
            log.record(turn(text), reply(), 1)
        assert log.flush(30)
    finally:
        log.close()


def clustered(settings) -> int:
    with db.get_engine(settings.database_url).connect() as conn:
        return conn.execute(select(func.count()).select_from(db.QuestionCluster.__table__)).scalar_one()


def wait_for(condition, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_run_now_groups_the_logged_questions_and_then_tells(settings):
    logged(settings, "失业保险金怎么领取？", "稳岗返还标准是多少？")
    done = threading.Event()
    HotspotRefresher(settings, on_done=done.set).run_now(full=True)
    assert done.wait(120)
    assert clustered(settings) == 2


def test_the_loop_starts_once_wakes_on_request_and_stops(settings, monkeypatch):
    monkeypatch.setattr(refresher_module, "MIN_GAP_S", 0.05)
    logged(settings, "失业保险金怎么领取？")
    rounds: list[int] = []
    refresher = HotspotRefresher(settings, on_done=lambda: rounds.append(1))
    refresher.start(0)
    assert not refresher.running and not refresher.wake()  # a zero interval never starts it
    try:
        refresher.start(3600)
        thread = refresher._thread
        refresher.start(3600)
        assert refresher._thread is thread
        assert wait_for(lambda: len(rounds) == 1) and clustered(settings) == 1
        logged(settings, "稳岗返还标准是多少？")
        assert refresher.wake()  # the hour's wait is cut short
        assert wait_for(lambda: len(rounds) == 2) and clustered(settings) == 2
    finally:
        refresher.close()
    assert not refresher.running


def test_a_failing_round_is_logged_and_the_loop_goes_on(settings, monkeypatch, caplog):
    monkeypatch.setattr(refresher_module, "MIN_GAP_S", 0.05)
    rounds: list[int] = []

    def fail():
        rounds.append(1)
        raise RuntimeError("database is locked")

    refresher = HotspotRefresher(settings, on_done=fail)
    try:
        refresher.start(3600)
        assert wait_for(lambda: len(rounds) == 1)
        refresher.wake()
        assert wait_for(lambda: len(rounds) == 2)
    finally:
        refresher.close()
    assert "hotspot clustering failed" in caplog.text
