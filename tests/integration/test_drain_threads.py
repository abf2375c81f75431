"""A drain fetches, commits and seals on threads of their own (workers/committer.py, sealer.py).

The overlap must change nothing: every take staged once and in the order taken, batches that
fall due sealed meanwhile, and a commit that fails leaves its events to be queued again.
"""

from __future__ import annotations

import json

import pytest

from backend.core import keys
from tests.conftest import sealed_count, sealed_records
from tests.helpers import make_event
from tests.integration.me_helpers import queue_raw
from tests.integration.test_datasets import grant_all
from workers import stage
from workers.jobs import drain_queue

EVENTS = 3_500  # three full takes and a partial one


def queue_many(r) -> list[str]:
    grant_all(r, "alice", "bob")
    events = [make_event("click") for _ in range(EVENTS)]
    queue_raw(r, "alice", events[: EVENTS // 2])
    queue_raw(r, "bob", events[EVENTS // 2 :])
    return [e["id"] for e in events]


def test_every_take_is_staged_once_in_the_order_taken(redis_conn, settings):
    ids = queue_many(redis_conn)
    assert drain_queue(redis_conn, settings, (10_000, 60)) == EVENTS
    staged = [json.loads(x)["rec"]["id"] for x in redis_conn.lrange(keys.KEY_STAGING, 0, -1)]
    assert staged == ids
    assert redis_conn.llen(keys.KEY_INCOMING) == 0
    assert redis_conn.zcard(keys.KEY_PROCESSING_INDEX) == 0


def test_batches_due_during_a_drain_are_sealed_meanwhile(redis_conn, settings):
    ids = queue_many(redis_conn)
    sealed: list[str] = []
    assert drain_queue(redis_conn, settings, (1000, 60), sealed=sealed) == EVENTS
    assert sealed, "the sealer thread sealed the batches that fell due"
    assert redis_conn.hlen(keys.KEY_SEALING_INDEX) == 0
    left = redis_conn.llen(keys.KEY_STAGING)
    assert sealed_count(redis_conn) + left == EVENTS
    records = sealed_records(settings)
    assert len(records) == EVENTS - left and len({r["id"] for r in records}) == len(records)
    assert {r["id"] for r in records} <= set(ids)


def test_a_commit_that_fails_leaves_its_events_to_be_queued_again(
    redis_conn, settings, monkeypatch, run_workers
):
    ids = queue_many(redis_conn)
    commit, calls = stage.commit, []

    def failing_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker dies in its second commit")
        return commit(*args, **kwargs)

    monkeypatch.setattr(stage, "commit", failing_second)
    with pytest.raises(RuntimeError, match="second commit"):
        drain_queue(redis_conn, settings, (10_000, 60))
    monkeypatch.setattr(stage, "commit", commit)
    assert redis_conn.zcard(keys.KEY_PROCESSING_INDEX) >= 1, "the failed take is an orphan"
    assert stage.recover_orphans(redis_conn, older_than_ms=-1) >= 1
    records = run_workers()
    assert sorted(r["id"] for r in records) == sorted(ids)
