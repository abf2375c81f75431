"""Retention: shards older than the policy's period are deleted, by a job on RQ's scheduler."""

from __future__ import annotations

import json
import time

import pytest
from rq.registry import FinishedJobRegistry

from backend.core import keys
from backend.core.consent import set_consent
from backend.core.dataset_manifest import read_manifest
from backend.core.policy import get_policy, put_policy
from tests.integration.me_helpers import clicks, index, queue_raw, seal, shards
from tests.integration.storage import store
from workers.queue import get_queue
from workers.retention import DAY_MS, apply_retention, ensure_scheduled
from workers.runner import run_worker

pytestmark = pytest.mark.both_storages


def sealed_batches(r, settings, n: int) -> list[str]:
    """Seal `n` one-event batches of alice's clicks; return their ids."""
    set_consent(r, "alice", {"clicks": True}, get_policy(r), "dev_test")
    queue_raw(r, "alice", clicks(n))
    return seal(r, settings, batch_size=1)


def age(r, batch_id: str, days: float) -> None:
    """Pretend a batch was sealed `days` ago (its index entry is what retention reads)."""
    entry = json.loads(r.hget(keys.KEY_BATCHES, batch_id))
    entry["sealed_ms"] = int(time.time() * 1000 - days * DAY_MS)
    r.hset(keys.KEY_BATCHES, batch_id, json.dumps(entry))


def set_retention(r, days: int) -> None:
    """Set the policy's retention period."""
    put_policy(r, {**get_policy(r), "retention_days": days})


def test_shards_older_than_the_retention_period_are_deleted(redis_conn, settings):
    """Old shards and cards go, the index forgets them and records the deletion; new ones stay."""
    set_retention(redis_conn, 30)
    old, recent, young = sealed_batches(redis_conn, settings, 3)
    age(redis_conn, old, 31)
    age(redis_conn, recent, 29)

    deleted = apply_retention(redis_conn, settings.datasets_location)

    assert deleted == [old]
    names = {p.rsplit("/", 1)[1] for p in shards(settings)}
    assert names == {f"{recent}.parquet", f"{young}.parquet"}
    assert not store(settings).glob(f"cards/*/{old}.card.json")
    last = read_manifest(store(settings))[-1]
    assert last["op"] == "deleted" and last["reason"] == "retention" and last["batch_id"] == old
    assert set(index(redis_conn)) == {recent, young}
    record = json.loads(redis_conn.hget(keys.KEY_BATCHES_DELETED, old))
    assert record["reason"] == "retention" and record["events"] == 1
    assert apply_retention(redis_conn, settings.datasets_location) == []  # nothing left to do


def test_a_shorter_policy_period_applies_to_existing_shards(redis_conn, settings):
    """Shortening the retention period deletes what is now too old, judged by its date too."""
    set_retention(redis_conn, 30)
    (batch,) = sealed_batches(redis_conn, settings, 1)
    entry = json.loads(redis_conn.hget(keys.KEY_BATCHES, batch))
    del entry["sealed_ms"]  # an entry with only its date still ages
    redis_conn.hset(keys.KEY_BATCHES, batch, json.dumps(entry))
    assert apply_retention(redis_conn, settings.datasets_location) == []
    set_retention(redis_conn, 1)
    assert apply_retention(
        redis_conn, settings.datasets_location, now=time.time() * 1000 + 2 * DAY_MS
    )
    assert shards(settings) == [] and index(redis_conn) == {}


def test_worker_with_scheduler_runs_retention(redis_conn, settings):
    """`overt worker --with-scheduler` puts retention on RQ's scheduler, and it runs."""
    set_retention(redis_conn, 30)
    old, young = sealed_batches(redis_conn, settings, 2)
    age(redis_conn, old, 45)

    run_worker(redis_conn, settings, burst=True, with_scheduler=True)

    assert set(index(redis_conn)) == {young}
    assert len(shards(settings)) == 1
    finished = FinishedJobRegistry(queue=get_queue(redis_conn)).get_job_ids()
    funcs = {get_queue(redis_conn).fetch_job(j).func_name for j in finished}
    assert "workers.retention.run" in funcs
    # One run per interval across every worker: a second worker schedules nothing more.
    assert ensure_scheduled(redis_conn) is False


def test_worker_without_scheduler_leaves_shards_alone(redis_conn, settings):
    """Without --with-scheduler no retention is scheduled, so nothing is deleted."""
    set_retention(redis_conn, 30)
    (old,) = sealed_batches(redis_conn, settings, 1)
    age(redis_conn, old, 45)
    run_worker(redis_conn, settings, burst=True)
    assert set(index(redis_conn)) == {old}
    assert redis_conn.get(keys.KEY_RETENTION_DUE) is None
