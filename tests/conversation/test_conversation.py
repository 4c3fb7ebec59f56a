"""Unit tests of `bot.conversation` with a fake Rasa client, retriever and turn log.

The real Rasa server is used in test_rasa_conversations.py and test_degraded_mode.py.
"""
from __future__ import annotations

import datetime as dt

import pytest

from bot.handoff import NoDesk

from bot.actions import texts
from bot.actions.payload import make_payload
from bot.conversation import CircuitBreaker, Conversation, conversation_key
from bot.rasa_client import RasaClient, RasaForbidden, RasaUnavailable
from bot.state import MemoryStore
from bot.reply import Reply, Turn
from tests.fixtures.rasa import FakeClock


class FakeClient:
    """`send` answers with `outcomes` in order; `parse` with `intents` in order, then a check."""

    def __init__(self, *outcomes, intents=()):
        self.outcomes = list(outcomes)
        self.intents = list(intents)
        self.sent = []
        self.parsed = []

    def parse(self, text):
        self.parsed.append(text)
        outcome = self.intents.pop(0) if self.intents else "check_stabilization_refund"
        if isinstance(outcome, Exception):
            raise outcome
        return outcome, 0.9

    def send(self, sender, text, metadata=None):
        self.sent.append((sender, text, metadata))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def close(self):
        pass


class FakeTurnLog:
    def __init__(self, fail=False, known=None):
        self.rows = []
        self.fail = fail
        self.known = known  # has_turns() answer: True, False or None (cannot tell)

    def has_turns(self, channel, user_id):
        return self.known

    def record(self, turn, reply, latency_ms):
        if self.fail:
            raise RuntimeError("log down")
        self.rows.append((turn, reply, latency_ms))


class FakeServices:
    def __init__(self, settings, retriever=None, turn_log=None):
        self.settings = settings
        self.retriever = retriever
        self.turn_log = turn_log or FakeTurnLog()
        self.state = MemoryStore()
        self.handoff = NoDesk()


@pytest.fixture
def services(settings, monkeypatch):
    # The real answer_policy_question runs with the real retriever in test_degraded_mode.py.
    def fake_answer(retriever, question, as_of):
        assert isinstance(as_of, dt.date)
        return Reply(reply=f"根据通知第八条：{question}", intent="ask_policy", confidence=0.9)

    monkeypatch.setattr("bot.conversation.answer_policy_question", fake_answer)  # degraded mode
    monkeypatch.setattr("bot.actions.stateless.answer_policy_question", fake_answer)  # after NLU
    return FakeServices(settings)


def greeting():
    return [{"text": texts.GREET}, {"custom": make_payload(intent="greet", confidence=0.99)}]


def form_question():
    return [{"text": "贵单位参保职工有多少人？"}, {"custom": make_payload(intent="check_x", confidence=0.9, asking_for="employees")}]


def test_outside_a_check_a_policy_question_is_answered_after_nlu_only(services):
    client = FakeClient(greeting(), intents=["ask_policy", "nlu_fallback"])
    conversation = Conversation(client, services)
    conversation.handle(Turn("api", "u", "你好"))
    for question in ("失业金标准提高了吗", "那个补贴呢"):
        reply = conversation.handle(Turn("api", "u", question))
        assert reply.reply == f"根据通知第八条：{question}" and reply.intent == "ask_policy"
        assert reply.confidence == 0.9 and not reply.degraded
    assert client.parsed == ["失业金标准提高了吗", "那个补贴呢"]
    assert [text for _, text, _ in client.sent] == ["你好"]
    assert len(services.turn_log.rows) == 3


def test_small_talk_outside_a_check_is_answered_after_nlu_only(services):
    client = FakeClient(greeting(), intents=["thank"])
    conversation = Conversation(client, services)
    conversation.handle(Turn("api", "u", "你好"))
    reply = conversation.handle(Turn("api", "u", "谢谢"))
    assert reply.reply == texts.SMALL_TALK["thank"] and reply.intent == "thank" and reply.confidence == 0.9
    assert [text for _, text, _ in client.sent] == ["你好"]


@pytest.mark.parametrize("intent", ["ask_human", "check_stabilization_refund", "no_such_intent"])
def test_a_dialogue_intent_after_nlu_takes_the_whole_rasa_turn(services, intent):
    client = FakeClient(greeting(), greeting(), intents=[intent])
    conversation = Conversation(client, services)
    conversation.handle(Turn("api", "u", "你好"))
    assert conversation.handle(Turn("api", "u", "转人工")).intent == "greet"
    assert [text for _, text, _ in client.sent] == ["你好", "转人工"]


def test_a_new_conversation_and_an_open_check_take_the_whole_rasa_turn(services):
    client = FakeClient(form_question(), form_question(), intents=["ask_policy"])
    conversation = Conversation(client, services)
    assert conversation.handle(Turn("api", "u", "能拿稳岗返还吗")).asking_for == "employees"
    assert conversation.handle(Turn("api", "u", "失业金标准提高了吗")).asking_for == "employees"
    assert client.parsed == [] and len(client.sent) == 2  # the form asks again after the answer


def test_a_refused_nlu_token_means_whole_turns_from_then_on(services):
    client = FakeClient(greeting(), greeting(), greeting(), intents=[RasaForbidden("HTTP 401")])
    conversation = Conversation(client, services)
    for text in ("你好", "失业金标准提高了吗", "培训补贴呢"):
        assert conversation.handle(Turn("api", "u", text)).intent == "greet"
    assert client.parsed == ["失业金标准提高了吗"] and len(client.sent) == 3


@pytest.mark.parametrize("known, whole_turns", [(False, 0), (True, 1), (None, 1)])
def test_a_user_the_log_has_never_seen_starts_without_a_whole_turn(settings, monkeypatch, known, whole_turns):
    services = FakeServices(settings, turn_log=FakeTurnLog(known=known))
    monkeypatch.setattr("bot.actions.stateless.answer_policy_question", lambda r, q, d: Reply(reply="答", intent="ask_policy"))
    client = FakeClient(greeting(), intents=["ask_policy"])
    reply = Conversation(client, services).handle(Turn("api", "new", "失业金标准提高了吗"))
    assert len(client.sent) == whole_turns
    assert reply.intent == ("ask_policy" if whole_turns == 0 else "greet")


def test_a_broken_state_store_means_whole_turns_not_errors(services):
    class BrokenStore:
        def get(self, key):
            raise ConnectionError("redis down")

        def set(self, key, value, ttl):
            raise ConnectionError("redis down")

    services.state = BrokenStore()
    client = FakeClient(greeting(), greeting(), intents=["ask_policy"])
    conversation = Conversation(client, services)
    for text in ("你好", "失业金标准提高了吗"):
        reply = conversation.handle(Turn("api", "u", text))
        assert reply.intent == "greet" and not reply.degraded
    assert client.parsed == [] and len(client.sent) == 2


def test_nlu_unreachable_is_degraded(services):
    client = FakeClient(greeting(), intents=[RasaUnavailable("refused")])
    conversation = Conversation(client, services)
    conversation.handle(Turn("api", "u", "你好"))
    reply = conversation.handle(Turn("api", "u", "失业金标准提高了吗"))
    assert reply.degraded and conversation.breaker.is_open


def test_a_turn_goes_to_rasa_and_is_logged(services):
    client = FakeClient(greeting())
    conversation = Conversation(client, services)
    reply = conversation.handle(Turn("web", "u1", "你好"))
    assert reply.reply == texts.GREET and reply.intent == "greet" and not reply.degraded
    sender, text, metadata = client.sent[0]
    assert text == "你好" and metadata == {"channel": "web"}
    assert sender == conversation_key(services.settings.secret_key, "web", "u1")
    (turn, logged, latency_ms), = services.turn_log.rows
    assert logged is reply and latency_ms >= 0


def test_the_conversation_key_is_stable_and_hides_the_user_id():
    a = conversation_key("secret", "wechat", "oAbc123")
    assert a == conversation_key("secret", "wechat", "oAbc123")
    assert "oAbc123" not in a and a.startswith("wechat-")
    assert a != conversation_key("secret", "ivr", "oAbc123")
    assert a != conversation_key("other", "wechat", "oAbc123")


def test_without_rasa_policy_questions_are_answered_degraded(services):
    conversation = Conversation(FakeClient(RasaUnavailable("refused")), services)
    reply = conversation.handle(Turn("api", "u", "失业金标准提高了吗"))
    assert reply.degraded and reply.answered
    assert reply.reply.endswith(texts.DEGRADED_NOTE)
    assert services.turn_log.rows[0][1].degraded


def test_without_rasa_a_handoff_still_works(services):
    conversation = Conversation(FakeClient(RasaUnavailable("timeout")), services)
    reply = conversation.handle(Turn("api", "u", "我要转人工"))
    assert reply.handoff and reply.degraded and reply.reply == texts.HANDOFF


def test_an_empty_rasa_answer_counts_as_a_failure(services):
    conversation = Conversation(FakeClient([]), services)
    assert conversation.handle(Turn("api", "u", "你好")).degraded
    assert conversation.breaker.is_open


def test_the_breaker_skips_a_failed_rasa_then_probes_it_again(services):
    clock = FakeClock()
    client = FakeClient(RasaUnavailable("refused"), greeting())
    conversation = Conversation(client, services, breaker=CircuitBreaker(probe_after=5, clock=clock))
    assert conversation.handle(Turn("api", "u", "你好")).degraded
    assert conversation.handle(Turn("api", "u", "你好")).degraded
    assert len(client.sent) == 1  # the second turn did not wait on Rasa
    clock.advance(5)
    reply = conversation.handle(Turn("api", "u", "你好"))
    assert not reply.degraded and reply.intent == "greet"
    assert not conversation.breaker.is_open


def test_the_breaker_lets_one_probe_through_at_a_time():
    clock = FakeClock()
    breaker = CircuitBreaker(probe_after=5, clock=clock)
    breaker.record_failure()
    assert not breaker.allow()
    clock.advance(5)
    assert breaker.allow() and not breaker.allow()  # one probe; others stay degraded
    breaker.record_failure()
    assert not breaker.allow()
    with pytest.raises(ValueError, match="probe_after"):
        CircuitBreaker(probe_after=-1)


def test_a_failure_inside_the_turn_logic_is_apologised_for_and_logged(services):
    class Broken(FakeClient):
        def send(self, *args, **kwargs):
            raise KeyError("bug")

    reply = Conversation(Broken(), services).handle(Turn("api", "u", "你好"))
    assert reply.reply == texts.SYSTEM_ERROR and not reply.answered and reply.abstain_reason == "error"
    assert services.turn_log.rows[0][1] is reply


def test_a_broken_turn_log_does_not_break_the_reply(settings):
    services = FakeServices(settings, turn_log=FakeTurnLog(fail=True))
    reply = Conversation(FakeClient(greeting()), services).handle(Turn("api", "u", "你好"))
    assert reply.intent == "greet"


def test_an_empty_turn_asks_for_a_question(services):
    client = FakeClient()
    reply = Conversation(client, services).handle(Turn("api", "u", "   "))
    assert reply.reply == texts.EMPTY_TURN and client.sent == []


def test_the_client_rejects_a_bad_timeout():
    with pytest.raises(ValueError, match="timeout"):
        RasaClient("http://127.0.0.1:5005", timeout=0)
