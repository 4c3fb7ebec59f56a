import uuid

import pytest

from bot.state import MemoryStore, RedisStore


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        return MemoryStore()
    return RedisStore("redis://127.0.0.1:6379/0", prefix=f"test-{uuid.uuid4().hex}:")


def test_set_get_delete(store):
    store.set("a", {"x": 1}, ttl=10)
    assert store.get("a") == {"x": 1}
    store.delete("a")
    assert store.get("a") is None


def test_add_only_once(store):
    assert store.add("msg", 1, ttl=10) is True
    assert store.add("msg", 2, ttl=10) is False
    assert store.get("msg") == 1


def test_incr_counts(store):
    assert [store.incr("n", ttl=10) for _ in range(3)] == [1, 2, 3]


def test_expiry(store):
    store.set("gone", 1, ttl=0.001)
    import time

    time.sleep(0.01)
    assert store.get("gone") is None


def test_memory_store_is_bounded():
    store = MemoryStore(max_items=10)
    for i in range(50):
        store.set(str(i), i, ttl=100)
    assert len(store._data) <= 10
    assert store.get("49") == 49
