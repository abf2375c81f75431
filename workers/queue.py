"""Enqueue Overt's jobs on its RQ queue (JSON serializer: jobs take plain arguments)."""

from __future__ import annotations

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from backend.core import keys

JOB_TIMEOUT = 300


def get_queue(r: redis.Redis) -> Queue:
    """Return Overt's RQ queue on `r`."""
    return Queue(keys.QUEUE_NAME, connection=r, serializer=JSONSerializer)


def enqueue_drain(r: redis.Redis, batch_size: int | None = None, max_age: float | None = None):
    """Enqueue one drain job: it moves hundreds of queued events per run, never one."""
    get_queue(r).enqueue(
        "workers.jobs.drain", batch_size=batch_size, max_age=max_age, job_timeout=JOB_TIMEOUT
    )


def enqueue_erasure(
    r: redis.Redis,
    employee: str,
    receipt_id: str,
    actor: str | None = None,
    reason: str | None = None,
):
    """Enqueue the job that rewrites an employee's sealed shards and completes the receipt."""
    get_queue(r).enqueue(
        "workers.jobs.erase",
        employee=employee,
        receipt_id=receipt_id,
        actor=actor,
        reason=reason,
        job_timeout=JOB_TIMEOUT,
    )


def enqueue_tick(r: redis.Redis) -> None:
    """Enqueue a tick (drain, then seal what is due by size or age) unless one is pending."""
    if r.set(keys.KEY_TICK_PENDING, "1", nx=True, ex=JOB_TIMEOUT):
        get_queue(r).enqueue("workers.jobs.tick", job_timeout=JOB_TIMEOUT)
