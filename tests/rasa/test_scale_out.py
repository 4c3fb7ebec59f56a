"""Scale-out for real: a second Rasa server on a PostgreSQL tracker store and a Redis lock store.

It shares the session's action server (the actions keep no state), like Rasa replicas behind a
load balancer would. Needs PostgreSQL on 127.0.0.1:5432 (database `test`) and Redis on 6379.
"""
from __future__ import annotations

import uuid

import psycopg
import pytest

from bot import slots as S
from bot.config import Settings
from bot.conversation import Conversation, conversation_key
from bot.rasa_client import RasaClient
from bot.rasa_process import RasaStack, endpoints
from tests.fixtures.postgres import pg_admin
from tests.fixtures.rasa import START_TIMEOUT, TEST_RASA_TIMEOUT, Chat, free_port

pytestmark = pytest.mark.integration

PG = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture
def pg_database():
    name = f"hotline_rasa_{uuid.uuid4().hex[:12]}"
    yield name  # Rasa creates it through `login_db`
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_rasa_replica_on_postgresql_and_redis(rasa_model, rasa_stack, rasa_services, pg_database, tmp_path):
    settings = Settings.from_env(
        {},
        var_dir=tmp_path / "var",
        secret_key=rasa_services.settings.secret_key,
        rasa_tracker_url=f"{PG}/{pg_database}?login_db=test",
        redis_url="redis://127.0.0.1:6379/0",
    )
    config = endpoints(settings, rasa_stack.action_url)
    assert config["tracker_store"]["dialect"] == "postgresql" and config["lock_store"]["type"] == "redis"

    replica = RasaStack(settings, rasa_model, free_port(), rasa_stack.action_port)
    replica.start_rasa()
    try:
        replica.wait_ready(timeout=START_TIMEOUT)
        conversation = Conversation(RasaClient(replica.url, timeout=TEST_RASA_TIMEOUT), rasa_services)
        chat = Chat(conversation)
        reply = chat("我们公司28个人裁了3个，能拿稳岗返还吗")
        assert reply.asking_for == S.ENTERPRISE_SIZE and not reply.degraded
        assert "3/28 ≈ 10.7% ≤ 20%" in chat("中小微企业").reply
        conversation.close()
    finally:
        replica.stop()

    sender = conversation_key(settings.secret_key, chat.channel, chat.user_id)
    with psycopg.connect(f"{PG}/{pg_database}") as conn:
        events = conn.execute("SELECT COUNT(*) FROM events WHERE sender_id = %s", (sender,)).fetchone()[0]
    assert events > 5  # the whole conversation is in PostgreSQL
