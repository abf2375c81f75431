"""What `overt status` and `GET /admin/api/status` report."""

from __future__ import annotations

import json
import time

import redis
from rq import Queue, Worker
from rq.job import Job

from workers.queue import get_queue

from .connections import PRESENCE_TTL
from .core import keys, pauses
from .core.arrivals import capture_warnings, last_accepted
from .core.drops import by_reason
from .core.policy import get_policy


def status(r: redis.Redis) -> dict:
    """Return pause state, connected clients, queue depth, workers and batches."""
    now = time.time()
    pipe = r.pipeline()
    pipe.zcount(keys.KEY_CONNECTIONS, now - PRESENCE_TTL, "+inf")
    pipe.llen(keys.KEY_INCOMING)
    pipe.llen(keys.KEY_STAGING)
    pipe.zrange(keys.KEY_PROCESSING_INDEX, 0, -1)
    pipe.hvals(keys.KEY_BATCHES)
    pipe.hgetall(keys.KEY_DROPS)
    pipe.hvals(keys.KEY_CLIENT_DROPS)
    pipe.llen(keys.KEY_DEAD_LETTER)
    pipe.scard(keys.KEY_RARITY_CONTRIBUTORS)
    pipe.hlen(keys.KEY_EMPLOYEES)
    (connected, incoming, staged, takes, batches, drops, client_drops, dead, seen, enrolled) = (
        pipe.execute()
    )
    in_flight = events_in_takes(r, [t.decode() for t in takes])
    cards = [json.loads(b) for b in batches]
    queue = get_queue(r)
    workers = [w for w in Worker.all(connection=r) if keys.QUEUE_NAME in w.queue_names()]
    policy = get_policy(r)
    last = last_accepted(r, policy["version"])
    return {
        "paused": [pauses.pause_frame(p) for p in pauses.active_pauses(r)],
        "connected_clients": connected,
        "queue": {
            "incoming_events": incoming,
            "events_in_flight": in_flight,
            "staged_events": staged,
            "jobs": queue.count,
        },
        "workers": len(workers),
        "failed_jobs": failed_jobs(queue),
        "batches": {
            "sealed": len(cards),
            "events": sum(c.get("events", 0) for c in cards),
            "latest": max((c.get("sealed_at", "") for c in cards), default=None),
        },
        "policy": {
            "version": policy["version"],
            "allowed_origins": policy["allowed_origins"],
            "last_accepted": last,
        },
        "rarity": {
            "min_contributors": policy["min_contributors"],
            "contributors": seen,
            "employees_enrolled": enrolled,
        },
        "warnings": capture_warnings(policy, last)
        + rarity_warnings(policy["min_contributors"], seen, enrolled),
        "drops_pending": by_reason(drops),
        # Events extensions had to drop from a full outbox (reported in hello), over all devices.
        "client_outbox_dropped": sum(int(v) for v in client_drops),
        # Events a worker could not process, set aside with the reason (workers/quarantine.py).
        "dead_letter": dead,
    }


def events_in_takes(r: redis.Redis, take_ids: list[str]) -> int:
    """Return how many events the takes being processed hold (a take holds up to hundreds)."""
    pipe = r.pipeline(transaction=False)
    for take_id in take_ids:
        pipe.llen(keys.key(keys.KEY_PROCESSING, job=take_id))
    return sum(pipe.execute()) if take_ids else 0


FAILED_SHOWN = 10


def failed_jobs(queue: Queue) -> dict:
    """Return the count of failed RQ jobs and the newest few: id, function, exception type.

    Only the exception's type is shown: its message or traceback could quote job data.
    """
    registry = queue.failed_job_registry
    ids = registry.get_job_ids(start=-FAILED_SHOWN, end=-1)
    recent = []
    for job in Job.fetch_many(ids, connection=queue.connection, serializer=queue.serializer):
        if job is None:
            continue  # expired between the two reads
        recent.append(
            {
                "id": job.id,
                "function": job.func_name,
                "reason": reason_line(job.exc_info),
                "ended_at": job.ended_at.isoformat() if job.ended_at else None,
            }
        )
    return {"count": registry.count, "recent": recent[::-1]}


def reason_line(exc_info: str | None) -> str:
    """Return the exception type from a traceback's last line (`ConnectionError`), no message."""
    lines = [line for line in (exc_info or "").splitlines() if line.strip()]
    if not lines:
        return "unknown"
    last = lines[-1].split(":", 1)[0].strip()
    return last.rsplit(".", 1)[-1][:80] or "unknown"


def rarity_warnings(k: int, contributors: int, enrolled: int) -> list[str]:
    """Say plainly when the rarity gate masks nearly everything (fewer than k contributors)."""
    if contributors >= k:
        return []
    warning = (
        f"Only {contributors} distinct contributor(s) so far, fewer than min_contributors "
        f"(k={k}): nearly every word of labels, titles and URL paths is sealed as [rare] "
        f"until {k} people have used it."
    )
    if enrolled < k:
        warning += f" Only {enrolled} employee(s) are enrolled: enroll at least {k}, or lower k."
    return [warning]
