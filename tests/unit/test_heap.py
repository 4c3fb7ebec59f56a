"""`bot.runtime.heap`: objects alive at warm-up are frozen; garbage made before is collected, not frozen."""
from __future__ import annotations

import gc
import weakref

import pytest

from bot.runtime.heap import freeze_loaded_heap


class Node:
    pass


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the suite runs with an ordinary collector


def test_live_objects_are_frozen_and_garbage_is_collected_first(unfrozen):
    kept = [Node()]
    cycle = Node()
    cycle.self = cycle  # only a collection frees a cycle
    dead = weakref.ref(cycle)
    del cycle

    freeze_loaded_heap()

    assert dead() is None  # collected before the freeze, not frozen for the life of the process
    assert gc.get_freeze_count() > 0
    assert all(obj is not kept for obj in gc.get_objects())  # frozen: in no generation a collection walks
