"""A worker hides what it holds from the cyclic garbage collector, and still frees cycles."""

from __future__ import annotations

import gc
import weakref

import pytest

from workers.gc_pacing import GcPacer


class Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_what_is_alive_after_a_take_is_out_of_the_collectors_sight(unfrozen):
    """After a take, young collections no longer traverse what the worker holds."""
    held = [{"record": [n]} for n in range(1000)]
    pacer = GcPacer(full_every=3600)
    pacer.after_take()
    assert gc.get_freeze_count() == 0, "off unless the process is a worker"
    pacer.enable()
    pacer.after_take()
    assert gc.get_freeze_count() >= len(held)
    pacer.disable()
    assert gc.get_freeze_count() == 0


def test_a_cycle_is_freed_at_the_next_full_collection(unfrozen):
    """A cycle frozen with the rest waits for the periodic full collection, then goes."""
    pacer = GcPacer(full_every=3600)
    pacer.enable()
    node = Node()
    ref = weakref.ref(node)
    pacer.after_take()
    del node
    gc.collect()
    assert ref() is not None, "frozen: not collected"
    pacer.full_every = 0.0
    pacer.after_take()
    assert ref() is None
