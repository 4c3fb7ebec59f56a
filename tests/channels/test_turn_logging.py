"""Every turn on every channel is logged by the real conversation into the real turn log
(SQLite here), once per turn even when WeChat retries, and logging never holds up a reply.

The conversation runs without a Rasa server (HOTLINE_RASA_URL points at a closed port), so it
answers from the real retriever in its degraded mode: the logging path is the same.
"""
from __future__ import annotations

import socket
import threading

import pytest
import requests
from sqlalchemy import select

from bot.app import create_app
from bot.channels import ApiChannel, WeChatChannel, WebChannel
from bot.config import Settings
from bot.hotspots.db import FeedbackRow, TurnRow
from bot.runtime.services import Services
from tests.channels.conftest import TOKEN, WeChatServerSim
from tests.fixtures.app import serve_app

pytestmark = pytest.mark.integration


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def real_services(tmp_path_factory):
    """The real object graph (retriever, conversation, turn log), warmed once for the module."""
    var = tmp_path_factory.mktemp("logging") / "var"
    settings = Settings.from_env({}, var_dir=var, rasa_url=f"http://127.0.0.1:{closed_port()}")
    services = Services(settings)
    services.warm_up()
    yield services
    services.close()


@pytest.fixture(scope="module")
def server(real_services):
    channels = [ApiChannel(), WeChatChannel(token=TOKEN), WebChannel()]
    with serve_app(create_app({"TESTING": True}, services=real_services, channels=channels)) as server:
        yield server


def rows(services, **where):
    assert services.turn_log.flush(timeout=60)
    with services.turn_log.engine.connect() as conn:
        query = select(TurnRow)
        for column, value in where.items():
            query = query.where(getattr(TurnRow, column) == value)
        return conn.execute(query).mappings().all()


def test_an_api_turn_and_its_feedback_are_logged(server, real_services):
    response = requests.post(server.url + "/api/chat", json={"user_id": "log-api", "text": "失业保险金标准提高了多少？"},
                             timeout=60)
    assert response.status_code == 200
    turn_id = response.headers["X-Hotline-Turn-Id"]
    (row,) = rows(real_services, message_id=turn_id)
    assert row["channel"] == "api"
    assert row["question"] == "失业保险金标准提高了多少？"
    assert row["answered"] == response.json()["answered"]
    assert row["user_hash"] != "log-api"  # pseudonymous
    assert requests.post(server.url + "/api/feedback", json={"turn_id": turn_id, "value": "down"}, timeout=10).ok
    assert real_services.turn_log.flush(timeout=60)
    with real_services.turn_log.engine.connect() as conn:
        assert conn.execute(select(FeedbackRow.value).where(FeedbackRow.turn_id == turn_id)).scalar_one() == "down"


def test_the_web_page_s_turns_are_logged_as_web(server, real_services):
    response = requests.post(server.url + "/api/chat", json={"user_id": "log-web", "text": "稳岗返还"},
                             headers={"X-Hotline-Channel": "web"}, timeout=60)
    (row,) = rows(real_services, message_id=response.headers["X-Hotline-Turn-Id"])
    assert row["channel"] == "web"


def test_a_wechat_message_retried_three_times_is_one_row(server, real_services):
    sim = WeChatServerSim(server.url)
    xml = sim.text("培训补贴每课时多少钱？", msg_id=987654321)
    contents = []

    def post():
        contents.append(sim.reply_of(sim.post(xml)).content)

    threads = [threading.Thread(target=post) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(contents)) == 1 and contents[0]
    (row,) = rows(real_services, message_id="987654321")
    assert row["channel"] == "wechat" and row["question"] == "培训补贴每课时多少钱？"


def test_an_unreachable_log_database_does_not_hold_up_or_lose_a_reply(tmp_path, real_services):
    """The log's database is a PostgreSQL port with nothing behind it: the reply still comes, and
    the row waits (in memory, then in a spill file) to be written later."""
    settings = Settings.from_env(
        {}, var_dir=tmp_path / "var", rasa_url=real_services.settings.rasa_url,
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test?connect_timeout=1",
    )
    services = Services(settings)
    services.retriever = real_services.retriever  # share the warmed index; only the log differs
    app = create_app({"TESTING": True}, services=services, channels=[ApiChannel()])
    try:
        with serve_app(app) as server:
            response = requests.post(server.url + "/api/chat", json={"user_id": "u", "text": "失业金"}, timeout=60)
        assert response.status_code == 200 and response.json()["reply"]
        assert services.turn_log.flush(timeout=2) is False  # the database is still unreachable
        assert services.turn_log.pending == 1  # kept, not lost
    finally:
        services.close()
