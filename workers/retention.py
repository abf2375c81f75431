"""Retention: delete sealed shards older than the policy's retention period .

Runs as an RQ job put on RQ's scheduler by workers started with `overt worker --with-scheduler`:
a guard key with the interval as its TTL makes the whole fleet schedule one run per interval,
and a run that failed is simply retried when the guard expires.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import redis
from rq import get_current_job

from backend.core import keys
from backend.core.clock import now_ms
from backend.core.config import load_settings
from backend.core.datasets import datasets_lock, open_storage
from backend.core.erase import delete_shard, refresh_readme
from backend.core.policy import get_policy

from .queue import JOB_TIMEOUT, get_queue

log = logging.getLogger(__name__)

DAY_MS = 24 * 3600 * 1000
RETENTION_INTERVAL = 3600  # seconds between runs; retention is counted in days


def sealed_ms(entry: dict) -> int:
    """Return when a batch was sealed (its date at midnight UTC for entries without the time)."""
    if "sealed_ms" in entry:
        return int(entry["sealed_ms"])
    return int(datetime.fromisoformat(entry["date"]).replace(tzinfo=UTC).timestamp() * 1000)


def expired_batches(r: redis.Redis, retention_days: int, now: int) -> list[dict]:
    """Return the index entries of batches sealed more than `retention_days` before `now`."""
    cutoff = now - retention_days * DAY_MS
    entries = [json.loads(v) for v in r.hvals(keys.KEY_BATCHES)]
    return [e for e in entries if sealed_ms(e) < cutoff]


def apply_retention(r: redis.Redis, datasets, now: int | None = None) -> list[str]:
    """Delete every batch older than the policy allows; return the deleted batch ids."""
    now = now_ms() if now is None else now
    days = get_policy(r)["retention_days"]
    deleted = []
    # Under the datasets lock: an erasure must not rewrite a shard this run is deleting.
    storage = open_storage(datasets)
    with datasets_lock(r) as lock:
        for entry in expired_batches(r, days, now):
            delete_shard(r, storage, entry, "retention", now)
            deleted.append(entry["batch_id"])
            lock.reacquire()
        if deleted:
            refresh_readme(r, storage)
    if deleted:
        log.info("retention (%d days): deleted %d batch(es)", days, len(deleted))
    return deleted


def run() -> dict:
    """Job: apply the retention period to the datasets of this worker's data dir."""
    r = get_current_job().connection
    return {"deleted": apply_retention(r, load_settings().datasets_location)}


def ensure_scheduled(r: redis.Redis, interval: int = RETENTION_INTERVAL) -> bool:
    """Put a retention run on RQ's scheduler unless one ran or was scheduled within `interval`."""
    if not r.set(keys.KEY_RETENTION_DUE, "1", nx=True, ex=interval):
        return False
    get_queue(r).enqueue_at(datetime.now(UTC), "workers.retention.run", job_timeout=JOB_TIMEOUT)
    return True
