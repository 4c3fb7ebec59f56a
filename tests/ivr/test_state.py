"""Call state keyed by CallSid: in-process by default, in Redis when configured (shared by app
processes). Run: .venv/bin/python -m pytest -q tests/ivr/test_state.py (needs Redis on 127.0.0.1:6379)."""
import json

import redis

from bot.state import MemoryStore, RedisStore
from bot.core.messages import say
from ivr import menu
from ivr.calls import CallState, CallStore, Mode
from tests.ivr.conftest import FakeConversation, Phone

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_state_is_kept_per_call_sid(phone, server):
    store = server[1].state
    assert isinstance(store, MemoryStore)
    other = Phone(server[0].url)
    phone.call()
    other.call()
    phone.press("1")
    other.press("4")
    assert store.get(f"ivr:call:{phone.call_sid}")["topic"] == "1"
    assert store.get(f"ivr:call:{other.call_sid}")["topic"] == "4"
    phone.press("1")
    other.press("1")  # the same key, each in its own submenu
    texts = {t.user_id: t.text for t in server[1].conversation.turns}
    assert texts == {phone.call_sid: "稳岗返还的裁员率标准是多少？", other.call_sid: "非大连生源高校毕业生的报到期限延长到什么时候？"}
    assert store.get(f"ivr:call:{phone.call_sid}")["caller"] == phone.caller


def test_a_finished_call_keeps_its_state_only_briefly(phone, server):
    phone.call()
    phone.press("2")
    phone.post(phone.url("/ivr/status"), {"CallStatus": "completed"})
    assert server[1].state.get(f"ivr:call:{phone.call_sid}")["mode"] == Mode.ENDED.value


def test_with_redis_any_app_process_takes_the_next_webhook(servers):
    conversation = FakeConversation()  # the turn logic keeps its own state (Rasa's tracker store)
    first, services = servers.start(conversation=conversation, redis_url=REDIS_URL)
    second, _ = servers.start(conversation=conversation, redis_url=REDIS_URL)
    assert isinstance(services.state, RedisStore)
    phone = Phone(first.url)
    key = f"hotline:ivr:call:{phone.call_sid}"
    try:
        phone.call()
        phone.press("1")  # handled by the first process
        phone.move_to(second.url)  # the load balancer sends the next webhooks elsewhere
        assert phone.press("2").says[0].startswith("请输入参保职工人数")
        stored = json.loads(redis.Redis.from_url(REDIS_URL).get(key))
        assert (stored["mode"], stored["slot"], stored["step"]) == ("slot", "employees", 1)
        phone.move_to(first.url)
        assert phone.press("28#").says[0].startswith("请输入裁员人数")
        assert [t.message_id for t in conversation.turns] == [f"{phone.call_sid}-1", f"{phone.call_sid}-2"]
    finally:
        redis.Redis.from_url(REDIS_URL).delete(key)


def test_call_store_round_trip_and_once_keys():
    calls = CallStore(MemoryStore())
    assert calls.load("CA1") is None
    calls.save("CA1", CallState(mode=Mode.TOPIC.value, topic="3", misses=1, step=2, caller="+86139"))
    assert calls.load("CA1") == CallState(mode="topic", topic="3", misses=1, step=2, caller="+86139")
    assert calls.first_time("recording:RE1") and not calls.first_time("recording:RE1")
    calls.delete("CA1")
    assert calls.load("CA1") is None


def test_unknown_fields_in_stored_state_are_ignored():
    assert CallState.from_dict({"mode": "menu", "from_a_newer_version": 1}) == CallState()


def test_a_webhook_for_a_call_without_state_starts_from_the_main_menu(server):
    phone = Phone(server[0].url)
    phone.last_url = phone.url("/ivr/voice")
    answer = phone._follow(phone.url("/ivr/input"), {"Digits": "9"})
    assert answer.says == [menu.main_menu()]
