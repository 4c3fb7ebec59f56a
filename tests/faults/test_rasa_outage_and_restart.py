"""Rasa killed under load, and everything restarted mid-conversation, on one real `hotline serve`
(two gunicorn workers, Redis for the dialogue state, the Rasa NLU server).

- SIGKILL the Rasa server while users talk: every request is still answered (no 5xx), without
  Rasa's intent in degraded mode; `hotline serve` restarts Rasa, and its NLU is used again by
  itself (the circuit breaker probes it). Every answered turn is logged.
- Stop everything (SIGTERM `hotline serve`) in the middle of an eligibility dialogue and start it
  again: the dialogue continues where it was (the dialogue state is in Redis), nothing asked twice.
"""
from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import create_engine, func, select

from benchmarks.load_soak import LoadPlan, check_rows
from benchmarks.system import HotlineSystem, SystemConfig
from bot.core import slots as S
from bot.core.messages import say
from bot.hotspots import db
from tests.faults.conftest import BackgroundLoad, wait_until

pytestmark = pytest.mark.integration

ANSWERS = {
    S.ENTERPRISE_SIZE: "中小微企业",
    S.AFFECTED_BY_EPIDEMIC: "受到了疫情影响",
    S.EMPLOYEES: "二十八个人",
    S.LAYOFFS: "裁了三个",
}
RASA_RESTART_TIMEOUT = 600


@pytest.fixture(scope="module")
def system(tmp_path_factory, redis_url, system_index):
    config = SystemConfig(var_dir=tmp_path_factory.mktemp("faults-rasa") / "var", workers=2, threads=8,
                          redis_url=redis_url, rasa="own", index_from=system_index, rate_limit_user=0,
                          # a slow turn on a busy test machine must not count as an outage
                          env={"HOTLINE_RASA_TIMEOUT": "20"})
    with HotlineSystem(config) as running:
        yield running


def ask(system, user_id: str, text: str) -> dict:
    response = requests.post(system.url + "/api/chat", json={"user_id": user_id, "text": text}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def degraded(reply: dict) -> bool:
    return say("degraded_note") in reply["reply"]


def wait_for_rasa(system, timeout: float = 180) -> None:
    """Until four answers in a row come from Rasa (every worker's circuit breaker is closed)."""
    probe = f"probe-{uuid.uuid4().hex[:8]}"
    streak = 0

    def answered_by_rasa() -> bool:
        nonlocal streak
        streak = 0 if degraded(ask(system, probe, "你好")) else streak + 1
        return streak >= 4

    wait_until(answered_by_rasa, timeout, "answers do not come from Rasa")


def test_rasa_killed_under_load_answers_go_on_degraded_and_recover(system):
    plan = LoadPlan(users=6, turns=400, think=(0.3, 1.0), ramp=1.0, concurrency=6, max_seconds=900)
    probe = f"probe-{uuid.uuid4().hex[:8]}"
    question = "你好"  # small talk needs Rasa's intent: without it the reply carries the degraded note
    assert not degraded(ask(system, probe, question)), "Rasa should answer before the fault"
    with BackgroundLoad(system, plan) as load:
        load.wait_turns(15)
        killed = system.kill_rasa()
        wait_until(lambda: degraded(ask(system, probe, question)), 60, "no degraded answer after Rasa was killed")
        during = load.turns_done()
        load.wait_turns(during + 10)  # users are still answered while Rasa is down
        wait_until(lambda: (system.rasa_pid() or killed) != killed and system.rasa_ready(), RASA_RESTART_TIMEOUT,
                   "hotline serve did not restart Rasa")
        wait_until(lambda: not degraded(ask(system, probe, question)), 120, "answers did not come back from Rasa")
        load.wait_turns(load.turns_done() + 10)
    figures = load.result.summary()
    assert figures["server_errors_5xx"] == 0, figures["status"]
    assert figures["status"] == {"200": figures["requests"]}, (figures["status"], figures["no_answer"])
    wait_until(lambda: not check_rows(system.database_url, load.recorder).missing, 60,
               "answered turns are missing from the log")
    engine = create_engine(system.database_url)
    try:
        with engine.connect() as conn:
            table = db.TurnRow.__table__
            by_mode = dict(conn.execute(select(table.c.degraded, func.count()).group_by(table.c.degraded)).all())
    finally:
        engine.dispose()
    assert by_mode.get(True) and by_mode.get(False), by_mode  # turns of both kinds, logged as such


def test_restarting_everything_keeps_an_eligibility_dialogue_where_it_was(system):
    wait_for_rasa(system)
    user = f"restart-{uuid.uuid4().hex[:8]}"
    reply = ask(system, user, "我们公司能申请稳岗返还吗")
    assert not degraded(reply), reply
    asked = [reply["asking_for"]]
    assert asked[0] in ANSWERS, reply
    reply = ask(system, user, ANSWERS[asked[0]])
    assert reply["asking_for"] in ANSWERS and reply["asking_for"] not in asked, reply
    asked.append(reply["asking_for"])
    assert not degraded(reply)

    old = set(system.pids())
    system.restart(timeout=RASA_RESTART_TIMEOUT)
    assert not (set(system.pids()) & old), "every process is new"
    wait_for_rasa(system)

    for _ in range(len(ANSWERS)):
        reply = ask(system, user, ANSWERS[asked[-1]])
        assert not degraded(reply), reply
        if reply["asking_for"] is None:
            break
        assert reply["asking_for"] not in asked, f"asked again after the restart: {reply['asking_for']} ({asked})"
        asked.append(reply["asking_for"])
    assert reply["asking_for"] is None and reply["intent"] == "check_stabilization_refund", reply
    assert "3/28 ≈ 10.7% ≤ 20%" in reply["reply"], reply["reply"]
