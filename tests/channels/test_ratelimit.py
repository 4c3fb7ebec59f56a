"""RateLimiter: fixed windows on the shared state store (memory and Redis)."""
from __future__ import annotations

import uuid

import pytest

from bot.ratelimit import RateLimiter
from bot.state import MemoryStore, RedisStore


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        return MemoryStore()
    return RedisStore("redis://127.0.0.1:6379/0", prefix=f"test-ratelimit-{uuid.uuid4().hex}:")


def test_limit_then_retry_after_then_a_new_window(store):
    clock = Clock(6000.0)  # a window boundary
    limiter = RateLimiter(store, "user", limit=2, window=60, clock=clock)
    assert limiter.hit("a") is None and limiter.hit("a") is None
    clock.now = 6015.2
    assert limiter.hit("a") == 45
    assert limiter.hit("b") is None  # keys are independent
    clock.now = 6060.0
    assert limiter.hit("a") is None


def test_zero_turns_it_off():
    limiter = RateLimiter(MemoryStore(), "ip", limit=0)
    assert all(limiter.hit("x") is None for _ in range(100))


@pytest.mark.parametrize("kwargs, message", [({"limit": -1}, "limit must be"), ({"limit": 1, "window": 0}, "window must be")])
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RateLimiter(MemoryStore(), "user", **kwargs)
