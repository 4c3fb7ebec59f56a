"""Fixed-window rate limits on the shared state store (in-process, or Redis when scaled out).

Usage::

    limiter = RateLimiter(store, "user", limit=20, window=60)
    retry_after = limiter.hit("user-42")   # None while under the limit, else seconds to wait
"""
from __future__ import annotations

import math
import time
from typing import Callable

from bot.state import StateStore


class RateLimiter:
    """At most `limit` hits per key in each `window` seconds.

    Windows are aligned on the wall clock, so several app processes sharing Redis agree on them.

    :param store: the shared state store (`Services.state`).
    :param scope: a short name that keeps different limits apart in the store (`user`, `ip`).
    :param limit: hits allowed per window; 0 turns the limit off.
    :param window: the window length in seconds.
    :param clock: returns the current time in seconds (tests pass a fake one).
    :raises ValueError: a negative limit or a window that is not positive.
    """

    def __init__(self, store: StateStore, scope: str, limit: int, window: float = 60.0,
                 clock: Callable[[], float] = time.time):
        if limit < 0:
            raise ValueError(f"limit must be 0 (off) or more, got {limit}")
        if window <= 0:
            raise ValueError(f"window must be positive, got {window}")
        self.store, self.scope, self.limit, self.window, self.clock = store, scope, limit, window, clock

    def hit(self, key: str) -> int | None:
        """Count one hit for `key`.

        :param key: who is limited (a user id, an IP address).
        :returns: None when the hit is allowed, else the whole seconds until the window resets (≥ 1).
        """
        if not self.limit:
            return None
        now = self.clock()
        window_index = int(now // self.window)
        count = self.store.incr(f"ratelimit:{self.scope}:{window_index}:{key}", self.window)
        if count <= self.limit:
            return None
        return max(1, math.ceil((window_index + 1) * self.window - now))
