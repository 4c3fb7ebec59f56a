"""Degraded mode with the real servers: Rasa unreachable, Rasa stopped and restarted.

Policy questions are still answered from the in-process retriever (`degraded`, logged so), a
note says eligibility checks are unavailable, and the conversation returns to Rasa by itself
once it is back, with the conversation state kept in Rasa's SQL tracker store.
"""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from bot import slots as S
from bot.actions import texts
from bot.conversation import Conversation
from bot.rasa_client import RasaClient
from tests.fixtures.rasa import START_TIMEOUT, Chat, free_port

pytestmark = pytest.mark.integration

POLICY_QUESTION = "失业保险金标准提高了多少"
STABILIZATION_ANSWERS = {
    S.ENTERPRISE_SIZE: "中小微企业",
    S.EMPLOYEES: "28人",
    S.LAYOFFS: "裁了3个",
}


@pytest.fixture
def unreachable(rasa_services):
    """A conversation whose Rasa URL is a closed port."""
    conv = Conversation(RasaClient(f"http://127.0.0.1:{free_port()}", timeout=2), rasa_services)
    yield conv
    conv.close()


def test_rasa_unreachable_policy_questions_are_answered_from_retrieval(unreachable, rasa_services):
    reply = Chat(unreachable)(POLICY_QUESTION)
    assert reply.degraded
    assert reply.answered and 8 in [c.article for c in reply.citations]
    assert texts.DEGRADED_NOTE in reply.reply
    assert unreachable.breaker.is_open

    rasa_services.turn_log.flush(timeout=30)
    engine = create_engine(rasa_services.settings.database_url)
    with engine.connect() as conn:
        logged = conn.execute(
            text("SELECT COUNT(*) FROM turns WHERE degraded AND question = :q"), {"q": POLICY_QUESTION}
        ).scalar()
    engine.dispose()
    assert logged >= 1


def test_rasa_unreachable_handoff_still_works(unreachable):
    reply = Chat(unreachable)("转人工")
    assert reply.handoff and reply.degraded


def test_rasa_stopped_then_restarted_the_conversation_recovers(rasa_stack, conversation, breaker_clock):
    chat = Chat(conversation)
    first = chat("我们公司能申请稳岗返还吗")
    assert not first.degraded and first.asking_for in STABILIZATION_ANSWERS

    rasa_stack.stop_rasa()
    try:
        down = chat(POLICY_QUESTION)
        assert down.degraded and down.answered and texts.DEGRADED_NOTE in down.reply
        assert conversation.breaker.is_open
    finally:
        rasa_stack.start_rasa()
        rasa_stack.wait_ready(timeout=START_TIMEOUT)

    # Rasa is back, but the breaker waits before probing: no turn pays for a dead server.
    assert chat("你好").degraded
    breaker_clock.advance(conversation.breaker.probe_after)

    # The form survived the restart (SQL tracker store): the pending question is answered.
    back = chat(STABILIZATION_ANSWERS[first.asking_for])
    assert not back.degraded and not conversation.breaker.is_open
    assert back.intent == "check_stabilization_refund"
    asked = [first.asking_for]
    while back.asking_for is not None and len(asked) < 5:
        asked.append(back.asking_for)
        back = chat(STABILIZATION_ANSWERS[back.asking_for])
    assert "3/28 ≈ 10.7% ≤ 20%" in back.reply


def test_action_server_down_is_degraded_too(rasa_stack, conversation, breaker_clock):
    """Rasa up but its actions unreachable: Rasa says nothing, so the turn is answered from retrieval."""
    chat = Chat(conversation)
    rasa_stack.stop_actions()
    try:
        reply = chat(POLICY_QUESTION)
        assert reply.degraded and reply.answered and texts.DEGRADED_NOTE in reply.reply
    finally:
        rasa_stack.start_actions()
        rasa_stack.wait_ready(timeout=START_TIMEOUT)
    breaker_clock.advance(conversation.breaker.probe_after)
    back = chat("你好")
    assert not back.degraded and back.intent == "greet"
