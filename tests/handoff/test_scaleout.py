"""The desk behind a load balancer: two app processes' desks on one PostgreSQL database and one
Redis, as in production scale-out. A conversation queued through one process is held, answered and
handed back through the other; racing takes from both processes have exactly one winner."""
from __future__ import annotations

import secrets
import threading

import pytest

from bot.agent_hours import AgentHours
from bot.config import Settings
from bot.core.turn import Reply, Turn
from bot.handoff.desk import HELD_INTENT, DeskError, HandoffDesk
from bot.hotspots import db
from bot.hotspots.log import TurnLog
from bot.state import RedisStore
from tests.fixtures.postgres import pg_schema_url

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def two_processes(tmp_path, pg_schema):
    url = pg_schema_url(pg_schema)
    prefix = f"test-handoff-{secrets.token_hex(4)}:"
    desks, logs = [], []
    for n in range(2):
        settings = Settings.from_env({}, var_dir=tmp_path / f"var{n}", database_url=url, secret_key="shared-secret")
        log = TurnLog.from_settings(settings)
        desks.append(HandoffDesk(db.make_engine(url), RedisStore(REDIS_URL, prefix=prefix), log,
                                 AgentHours.parse("1-7 00:00-24:00"), settings.secret_key))
        logs.append(log)
    yield desks
    for log in logs:
        log.close()
    for desk in desks:
        desk.engine.dispose()
    db.dispose_engine(url)


def test_queued_in_one_process_served_from_the_other(two_processes):
    a, b = two_processes
    b.seen("wang")  # the agent's console talks to process b
    turn = Turn(channel="web", user_id="u-scale", text="转人工")
    queued = a.after_reply(turn, Reply(reply="…", intent="ask_human", handoff=True))
    assert "已为您排队，前面还有 0 位" in queued.reply  # a knows b's agent is online (Redis)
    [item] = b.queue()
    b.take(item["id"], "wang")
    held = a.intercept(Turn(channel="web", user_id="u-scale", text="您好"))
    assert held.intent == HELD_INTENT and held.agent == "wang"
    b.reply(item["id"], "wang", "您好，请讲。")
    view = a.citizen_view("web", "u-scale")
    assert view["status"] == "held" and [m["text"] for m in view["messages"]][-1] == "您好，请讲。"
    b.hand_back(item["id"], "wang")
    assert a.intercept(Turn(channel="web", user_id="u-scale", text="失业金标准")) is None


def test_racing_takes_from_two_processes_have_one_winner(two_processes):
    a, b = two_processes
    a.seen("wang")
    a.after_reply(Turn(channel="api", user_id="u-race", text="转人工"),
                  Reply(reply="…", intent="ask_human", handoff=True))
    session_id = a.queue()[0]["id"]
    barrier = threading.Barrier(2)
    outcomes = {}

    def take(desk, agent):
        barrier.wait()
        try:
            desk.take(session_id, agent)
            outcomes[agent] = "won"
        except DeskError as error:
            outcomes[agent] = error.code

    threads = [threading.Thread(target=take, args=pair) for pair in ((a, "wang"), (b, "li"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes.values()) == ["already_taken", "won"]
    winner = next(k for k, v in outcomes.items() if v == "won")
    assert b.session(session_id).agent == winner
