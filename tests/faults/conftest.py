"""Fixtures of the fault tests: real `hotline serve` process trees on loopback (see
`benchmarks/system.py`), a background load from the load benchmark's own users, and helpers to
wait for what the system does after a fault."""
from __future__ import annotations

import threading
import time

import pytest

from benchmarks.load_soak import LoadPlan, Recorder, Target, run_load
from tests.scaleout.conftest import redis_url, system_index  # noqa: F401 - the same session fixtures


def wait_until(condition, timeout: float, message: str, poll: float = 0.25):
    """Poll `condition()` until it returns something truthy; fail with `message` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{message} (waited {timeout:.0f} s)")
        time.sleep(poll)


class BackgroundLoad:
    """The load benchmark's users, running in a thread while a test breaks something.

    :param system: the running `HotlineSystem`.
    :param plan: how much load (bounded by turns and `max_seconds`).
    """

    def __init__(self, system, plan: LoadPlan):
        self.recorder = Recorder()
        config = system.config
        self.target = Target(system.url, config.wechat_token, config.twilio_auth_token)
        self.plan = plan
        self.result = None
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="background-load", daemon=True)

    def _run(self) -> None:
        self.result = run_load(self.target, self.plan, self.recorder, stop=self.stop)

    def __enter__(self) -> "BackgroundLoad":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()  # no new turns; the ones in flight finish
        self._thread.join(timeout=self.plan.max_seconds + 120)

    def turns_done(self) -> int:
        return sum(1 for o in list(self.recorder.outcomes) if o.turn)

    def wait_turns(self, count: int, timeout: float = 120.0) -> None:
        wait_until(lambda: self.turns_done() >= count, timeout, f"the load did not reach {count} turns")
