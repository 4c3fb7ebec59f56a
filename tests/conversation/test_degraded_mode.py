"""Degraded mode with the real Rasa server: unreachable, stopped and restarted.

Without Rasa's intent the engine still decides from the cue words, the fact parser and retrieval:
policy questions are answered, checks run, 转人工 hands off (`degraded`, logged so). The
conversation returns to Rasa's NLU by itself once it is back, and the dialogue state (in the
state store) is kept across the outage.
"""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from bot.dialogue.conversation import Conversation
from bot.rasa_client import RasaClient
from tests.fixtures.rasa import START_TIMEOUT, Chat, free_port

pytestmark = pytest.mark.integration

POLICY_QUESTION = "失业保险金标准提高了多少"


@pytest.fixture
def unreachable(rasa_services):
    """A conversation whose Rasa URL is a closed port."""
    conv = Conversation(RasaClient(f"http://127.0.0.1:{free_port()}", timeout=2), rasa_services)
    yield conv
    conv.close()


def test_rasa_unreachable_questions_are_answered_and_logged_degraded(unreachable, rasa_services):
    chat = Chat(unreachable)
    greeting = chat("你好")  # small talk needs Rasa's intent: without it, an honest abstention
    assert greeting.degraded and not greeting.answered and unreachable.breaker.is_open
    reply = chat(POLICY_QUESTION)  # a plain question retrieval is sure of never needed Rasa
    assert reply.answered and [c.article for c in reply.citations] == [8]
    assert "90%" in reply.reply and "95%" in reply.reply

    rasa_services.turn_log.flush(timeout=30)
    engine = create_engine(rasa_services.settings.database_url)
    with engine.connect() as conn:
        logged = conn.execute(
            text("SELECT COUNT(*) FROM turns WHERE degraded AND question = :q"), {"q": "你好"}
        ).scalar()
    engine.dispose()
    assert logged >= 1


def test_rasa_unreachable_checks_and_handoff_still_work(unreachable):
    chat = Chat(unreachable)
    assert chat("转人工").handoff
    verdict = Chat(unreachable)("我们公司28个人裁了3个，能申请稳岗返还吗")
    assert verdict.degraded and "3/28 ≈ 10.7% ≤ 20%" in verdict.reply


def test_rasa_stopped_then_restarted_the_conversation_recovers(rasa_stack, conversation, breaker_clock):
    chat = Chat(conversation)
    first = chat("我们公司能申请稳岗返还吗")
    assert not first.degraded and first.asking_for == "employees"

    rasa_stack.stop()
    try:
        down = chat("二十八个人")
        assert down.degraded and down.asking_for == "layoffs"  # the check goes on without Rasa
        assert conversation.breaker.is_open
    finally:
        rasa_stack.start()
        rasa_stack.wait_ready(timeout=START_TIMEOUT)

    # Rasa is back, but the breaker waits before probing: no turn pays for a dead server.
    assert chat("你好").degraded
    breaker_clock.advance(conversation.breaker.probe_after)

    back = chat("裁了3个")
    assert not back.degraded and not conversation.breaker.is_open
    assert back.intent == "check_stabilization_refund" and back.asking_for is None
    assert "3/28 ≈ 10.7% ≤ 20%" in back.reply
