"""`bot.dialogue.state`: what is kept between turns, and how an outage of the store is survived."""
from __future__ import annotations

import json

import pytest

from bot.dialogue.state import DialogueState, DialogueStates
from bot.state import MemoryStore, RedisStore
from tests.scaleout.conftest import redis_url  # noqa: F401 - the session fixture (fails clearly when Redis is down)


def test_a_state_survives_its_json_form():
    state = DialogueState(check="stabilization_refund", facts={"employees": 28, "layoff_rate": 3.5},
                          asking="layoffs", last_rule="unemployment_benefit", focus=("大人社发[2020]38号", 4), misses=1)
    assert DialogueState.from_json(json.loads(json.dumps(state.to_json()))) == state


@pytest.mark.parametrize("stored", [None, "junk", [1, 2], {"facts": "x", "misses": "many"}, {"focus": [1]}])
def test_a_malformed_state_starts_afresh(stored):
    assert DialogueState.from_json(stored) == DialogueState()


def test_the_state_holds_understood_values_only_never_words():
    """No raw text (a phone number, a name) can reach the store: only typed fields exist."""
    data = DialogueState(check="stabilization_refund", facts={"employees": 28}).to_json()
    assert set(data) == {"check", "facts", "asking", "last_rule", "focus", "focus_rule", "misses"}
    assert all(isinstance(v, (int, float, bool, str)) for v in data["facts"].values())


class Broken:
    def get(self, key):
        raise ConnectionError("store down")

    def set(self, key, value, ttl):
        raise ConnectionError("store down")


def test_a_store_outage_costs_the_state_never_the_turn(caplog):
    states = DialogueStates(Broken())
    assert states.load("u") == DialogueState()
    states.save("u", DialogueState(check="stabilization_refund"))  # logged, not raised
    assert "dialogue state" in caplog.text


def test_states_expire_after_their_ttl_in_redis(redis_url):
    store = RedisStore(redis_url, prefix="hotline-test-state:")
    states = DialogueStates(store, ttl=0.2)
    states.save("u1", DialogueState(check="stabilization_refund", facts={"employees": 28}))
    assert states.load("u1").facts == {"employees": 28}
    import time

    time.sleep(0.4)
    assert states.load("u1") == DialogueState()


def test_states_are_per_key_in_memory():
    states = DialogueStates(MemoryStore())
    states.save("a", DialogueState(asking="employees", check="stabilization_refund"))
    assert states.load("b") == DialogueState() and states.load("a").asking == "employees"
