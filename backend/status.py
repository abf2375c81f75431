"""What `overt status` and `GET /admin/api/status` report."""

from __future__ import annotations

import json
import time

import redis
from rq import Worker

from workers.queue import get_queue

from .connections import PRESENCE_TTL
from .core import keys, pauses
from .core.arrivals import capture_warnings, last_accepted
from .core.policy import get_policy


def status(r: redis.Redis) -> dict:
    """Return pause state, connected clients, queue depth, workers and batches."""
    now = time.time()
    pipe = r.pipeline()
    pipe.zcount(keys.KEY_CONNECTIONS, now - PRESENCE_TTL, "+inf")
    pipe.llen(keys.KEY_INCOMING)
    pipe.llen(keys.KEY_STAGING)
    pipe.zcard(keys.KEY_PROCESSING_INDEX)
    pipe.hvals(keys.KEY_BATCHES)
    pipe.hgetall(keys.KEY_DROPS)
    pipe.hvals(keys.KEY_CLIENT_DROPS)
    pipe.llen(keys.KEY_DEAD_LETTER)
    pipe.scard(keys.KEY_RARITY_CONTRIBUTORS)
    pipe.hlen(keys.KEY_EMPLOYEES)
    (connected, incoming, staged, in_flight, batches, drops, client_drops, dead, seen, enrolled) = (
        pipe.execute()
    )
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
        "drops_pending": {k.decode(): int(v) for k, v in drops.items()},
        # Events extensions had to drop from a full outbox (reported in hello), over all devices.
        "client_outbox_dropped": sum(int(v) for v in client_drops),
        # Events a worker could not process, set aside with the reason (workers/quarantine.py).
        "dead_letter": dead,
    }


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
