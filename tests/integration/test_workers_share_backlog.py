"""Two `overt worker` processes sharing a backlog seal all of it, once, and stop when asked.

Each worker remembers what it staged so that it can seal it without parsing it again
(workers/staged_memory.py), but either worker may seal what the other staged. A worker whose
memory filled with records the other had sealed used to wait for room that never came, starting
seal run after seal run: both workers spun, sealing stopped and SIGTERM could not stop them.
"""

from __future__ import annotations

import time

import pytest

from backend.core import keys
from tests.conftest import sealed_count, sealed_records
from tests.helpers import make_event
from tests.integration.me_helpers import queue_raw
from tests.integration.processes import overt_env
from tests.integration.test_datasets import grant_all
from workers.queue import enqueue_drain

pytestmark = pytest.mark.slow

EVENTS = 40_000  # several times what one worker's staged memory holds


def test_two_workers_seal_a_shared_backlog_and_stop(redis_conn, settings, spawn):
    grant_all(redis_conn, "alice", "bob")
    events = [make_event("click") for _ in range(EVENTS)]
    queue_raw(redis_conn, "alice", events[::2])
    queue_raw(redis_conn, "bob", events[1::2])
    env = overt_env(settings, OVERT_BATCH_SIZE="1000", OVERT_BATCH_MAX_AGE="0.5")
    workers = [spawn(["worker"], env, f"worker{i}") for i in range(2)]
    enqueue_drain(redis_conn, 1000, 0.5)

    deadline = time.monotonic() + 60  # a few seconds here; it took minutes
    while sealed_count(redis_conn) < EVENTS:
        assert time.monotonic() < deadline, (
            f"sealing stalled at {sealed_count(redis_conn)} of {EVENTS} events"
        )
        time.sleep(0.2)

    ids = [r["id"] for r in sealed_records(settings)]
    assert len(ids) == EVENTS and set(ids) == {e["id"] for e in events}
    assert not redis_conn.llen(keys.KEY_STAGING) and not redis_conn.hlen(keys.KEY_SEALING_INDEX)
    for worker in workers:
        t0 = time.monotonic()
        assert worker.stop() == 0, worker.log.read_text()[-2000:]
        assert time.monotonic() - t0 < 15, "a worker took too long to stop"
