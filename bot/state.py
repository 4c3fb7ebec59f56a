"""Short-lived shared state (dedupe ids, rate-limit counters, call state) behind one interface.

In-process by default; Redis when `HOTLINE_REDIS_URL` is set, so several app processes agree.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Protocol


class StateStore(Protocol):
    def get(self, key: str) -> Any | None: ...
    def set(self, key: str, value: Any, ttl: float) -> None: ...
    def add(self, key: str, value: Any, ttl: float) -> bool:
        """Set only if absent; True when this call set it (atomic)."""
    def incr(self, key: str, ttl: float) -> int:
        """Increment a counter that expires `ttl` seconds after its first increment."""
    def delete(self, key: str) -> None: ...


class MemoryStore:
    """A thread-safe dict with expiry, for one process."""

    def __init__(self, max_items: int = 100_000):
        self._data: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._max_items = max_items

    def _live(self, key: str, now: float) -> Any | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[0] <= now:
            del self._data[key]
            return None
        return item[1]

    def _evict(self, now: float) -> None:
        if len(self._data) >= self._max_items:
            for key in [k for k, (exp, _) in self._data.items() if exp <= now]:
                del self._data[key]
            while len(self._data) >= self._max_items:  # still full: drop the oldest insertions
                del self._data[next(iter(self._data))]

    def get(self, key: str) -> Any | None:
        with self._lock:
            return self._live(key, time.monotonic())

    def set(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            now = time.monotonic()
            self._evict(now)
            self._data[key] = (now + ttl, value)

    def add(self, key: str, value: Any, ttl: float) -> bool:
        with self._lock:
            now = time.monotonic()
            if self._live(key, now) is not None:
                return False
            self._evict(now)
            self._data[key] = (now + ttl, value)
            return True

    def incr(self, key: str, ttl: float) -> int:
        with self._lock:
            now = time.monotonic()
            current = self._live(key, now)
            if current is None:
                self._evict(now)
                self._data[key] = (now + ttl, 1)
                return 1
            self._data[key] = (self._data[key][0], current + 1)
            return current + 1

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class RedisStore:
    """The same interface on Redis; values are stored as JSON."""

    def __init__(self, url: str, prefix: str = "hotline:"):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._prefix = prefix

    def get(self, key: str) -> Any | None:
        raw = self._redis.get(self._prefix + key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: float) -> None:
        self._redis.set(self._prefix + key, json.dumps(value, ensure_ascii=False), px=int(ttl * 1000))

    def add(self, key: str, value: Any, ttl: float) -> bool:
        return bool(
            self._redis.set(self._prefix + key, json.dumps(value, ensure_ascii=False), px=int(ttl * 1000), nx=True)
        )

    def incr(self, key: str, ttl: float) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(self._prefix + key)
        pipe.pexpire(self._prefix + key, int(ttl * 1000), nx=True)
        value, _ = pipe.execute()
        return int(value)

    def delete(self, key: str) -> None:
        self._redis.delete(self._prefix + key)


def make_store(redis_url: str = "") -> StateStore:
    return RedisStore(redis_url) if redis_url else MemoryStore()
