"""A drain does not stage further ahead of sealing than its staged memory holds.

Sealing reads what this worker staged from memory (workers/staged_memory.py); what did not fit is
parsed again from Redis. Under a backlog, staging waits for the seal in flight instead.
"""

from __future__ import annotations

import threading

from backend.core import keys
from tests.conftest import sealed_count, sealed_records
from tests.helpers import make_event
from tests.integration.me_helpers import queue_raw
from tests.integration.test_datasets import grant_all
from workers import batches, jobs, stage
from workers.staged_memory import StagedMemory

EVENTS = 12_000  # twelve takes, twelve batches


class CountingMemory(StagedMemory):
    """A staged memory that counts what sealing found in it and what it had to parse."""

    def __init__(self, limit: int):
        super().__init__(limit=limit)
        self.found = self.missed = 0

    def pop_all(self, raws):
        known = super().pop_all(raws)
        found = sum(k is not None for k in known)
        self.found += found
        self.missed += len(known) - found
        return known


def test_a_backlog_is_sealed_from_memory(redis_conn, settings, monkeypatch):
    grant_all(redis_conn, "alice", "bob")
    events = [make_event("click") for _ in range(EVENTS)]
    queue_raw(redis_conn, "alice", events[::2])
    queue_raw(redis_conn, "bob", events[1::2])
    memory = CountingMemory(limit=4_000)  # room for one take beyond those in flight
    for module in (jobs, stage, batches):
        monkeypatch.setattr(module, "STAGED", memory)
    sealed: list[str] = []
    assert (
        jobs.drain_queue(redis_conn, settings, (1000, 60), max_takes=100, sealed=sealed) == EVENTS
    )
    sealed += batches.seal_due(
        redis_conn, settings.datasets_location, 1000, 60, force=True, secret=settings.secret
    )
    assert sealed_count(redis_conn) == EVENTS
    assert sorted(r["id"] for r in sealed_records(settings)) == sorted(e["id"] for e in events)
    assert memory.found == EVENTS and memory.missed == 0
    assert len(memory) == 0


def test_a_memory_full_of_records_not_yet_due_does_not_stop_staging(
    redis_conn, settings, monkeypatch
):
    """Staging waits for the seal in flight only: when no seal frees the memory (its records are
    not due yet), staging goes on and sealing will parse what did not fit."""
    grant_all(redis_conn, "alice")
    events = [make_event("click") for _ in range(EVENTS)]
    queue_raw(redis_conn, "alice", events)
    memory = CountingMemory(limit=4_000)
    for module in (jobs, stage, batches):
        monkeypatch.setattr(module, "STAGED", memory)
    taken: list[int] = []
    drain = threading.Thread(
        target=lambda: taken.append(
            jobs.drain_queue(redis_conn, settings, (100_000, 600), max_takes=100)
        ),
        daemon=True,
    )
    drain.start()
    drain.join(timeout=60)
    assert not drain.is_alive(), "staging waited for a seal that could not come"
    assert taken == [EVENTS] and redis_conn.llen(keys.KEY_STAGING) == EVENTS
    assert not redis_conn.hlen(keys.KEY_BATCHES)
