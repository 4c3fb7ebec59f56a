"""A small thread-safe LRU for per-process results of pure functions of the query text.

A hotline hears the same questions again and again: the query's analysis and its vector are
computed once per process and then reused (`QueryAnalyzer`, `DenseRetriever`).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, TypeVar

V = TypeVar("V")


class LruCache(Generic[V]):
    """Key → value, the least recently used dropped beyond `size`.

    :param size: how many values to keep; 0 keeps none (every call computes).
    :raises ValueError: `size` is negative.
    """

    def __init__(self, size: int):
        if size < 0:
            raise ValueError(f"size must be 0 or more, got {size}")
        self.size = size
        self._values: OrderedDict[str, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: str, compute: Callable[[str], V]) -> V:
        """The kept value of `key`, else `compute(key)` (kept; computed outside the lock)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute(key)
        if self.size:
            with self._lock:
                self._values[key] = value
                self._values.move_to_end(key)
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._values)
