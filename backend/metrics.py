"""Prometheus metrics: every instrument and every call the hot path makes, in one module.

Per-process counters and histograms live in prometheus_client's registry. Under gunicorn,
PROMETHEUS_MULTIPROC_DIR names a folder shared by the workers (kept by the master's hooks in
backend/metrics_dir.py) so `/metrics` on any worker adds up all of them. Shared state
(connected clients, queue depth, batches sealed, drops) is read from Redis at scrape time, so
each figure is counted once however many processes there are.
"""

from __future__ import annotations

import collections
import json
import os
import time
from datetime import datetime

import redis
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .core import keys
from .core.drops import by_reason as drops_by_reason

FRAME_TYPES = {"hello", "events", "pause_applied", "ping", "pong"}
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

FRAMES = Counter("overt_frames_received", "WebSocket frames received, by type", ["type"])
EVENTS_RECEIVED = Counter("overt_events_received", "Events received in events frames")
EVENTS_ACCEPTED = Counter("overt_events_accepted", "Events accepted and queued in Redis")
EVENTS_REJECTED = Counter("overt_events_rejected", "Events rejected, by error code", ["code"])
ACK_SECONDS = Histogram(
    "overt_ack_seconds", "Events frame received to ack sent", buckets=LATENCY_BUCKETS
)
PAUSE_FANOUT_SECONDS = Histogram(
    "overt_pause_fanout_seconds",
    "Pause created to its frame sent to this process's matching clients",
    buckets=LATENCY_BUCKETS,
)
PAUSE_ACK_SECONDS = Histogram(
    "overt_pause_ack_seconds", "Pause created to pause_applied received", buckets=LATENCY_BUCKETS
)


# Each label's child, looked up by `labels()` (which checks and hashes its arguments) only once.
_frames_by_type: dict[str, Counter] = {}


def frame_received(kind: object) -> None:
    """Count one received frame (unknown types share one label)."""
    label = kind if kind in FRAME_TYPES else "other"
    child = _frames_by_type.get(label)
    if child is None:
        child = _frames_by_type[label] = FRAMES.labels(label)
    child.inc()


def frame_refused(code: str, events: object) -> None:
    """Count the events of a whole frame refused with `code`."""
    n = len(events) if isinstance(events, list) else 0
    EVENTS_RECEIVED.inc(n)
    if n:
        EVENTS_REJECTED.labels(code).inc(n)


def frame_acked(ack: dict, started: float) -> None:
    """Count an acknowledged events frame; `started` is time.perf_counter() at its arrival."""
    EVENTS_RECEIVED.inc(ack["accepted"] + len(ack["rejected"]))
    EVENTS_ACCEPTED.inc(ack["accepted"])
    for item in ack["rejected"]:
        EVENTS_REJECTED.labels(item["code"]).inc()
    ACK_SECONDS.observe(time.perf_counter() - started)


def _since_seconds(iso: str) -> float:
    return max(0.0, time.time() - datetime.fromisoformat(iso).timestamp())


def pause_fanned_out(frame: dict) -> None:
    """Observe how long a pause took to reach this process's clients."""
    PAUSE_FANOUT_SECONDS.observe(_since_seconds(frame["since"]))


def pause_acked(record: dict | None) -> None:
    """Observe how long after a pause a client acknowledged it."""
    if record:
        PAUSE_ACK_SECONDS.observe(max(0.0, time.time() - record["since_ms"] / 1000))


class RedisCollector:
    """Figures shared by every process, read from Redis at scrape time."""

    def __init__(self, r: redis.Redis, presence_ttl: float):
        self.r = r
        self.presence_ttl = presence_ttl

    def collect(self):
        # Redis away: say so, and let the scrape still carry this process's own counters.
        try:
            figures = self._read()
        except (redis.RedisError, OSError):
            yield GaugeMetricFamily("overt_redis_up", "Redis answered this scrape", 0)
            return
        yield GaugeMetricFamily("overt_redis_up", "Redis answered this scrape", 1)
        yield from figures

    def _read(self) -> list:
        pipe = self.r.pipeline()
        pipe.zcount(keys.KEY_CONNECTIONS, time.time() - self.presence_ttl, "+inf")
        pipe.llen(keys.KEY_INCOMING)
        pipe.llen(keys.KEY_STAGING)
        pipe.hlen(keys.KEY_BATCHES)
        pipe.hlen(keys.KEY_BATCHES_DELETED)
        pipe.hgetall(keys.KEY_DROPS_TOTAL)
        pipe.hgetall(keys.KEY_DROPS)
        pipe.hvals(keys.KEY_SEALING_INDEX)
        connected, incoming, staged, sealed, deleted, dropped, pending, sealing = pipe.execute()
        depth = GaugeMetricFamily("overt_queue_depth", "Events waiting, by stage", labels=["stage"])
        depth.add_metric(["incoming"], incoming)
        depth.add_metric(["staged"], staged)
        drops = CounterMetricFamily(
            "overt_events_dropped", "Events dropped by workers, by reason", labels=["reason"]
        )
        for reason, n in sorted(drop_totals(dropped, pending, sealing).items()):
            drops.add_metric([reason], n)
        return [
            GaugeMetricFamily("overt_connected_clients", "Clients connected", connected),
            depth,
            CounterMetricFamily(
                "overt_batches_sealed", "Batches sealed (deleted ones included)", sealed + deleted
            ),
            drops,
        ]


def drop_totals(sealed: dict, pending: dict, sealing: list[bytes]) -> collections.Counter:
    """Add up drops wherever they are: in sealed cards, pending, or in a batch being sealed.

    Pending drops stay pending until the seal that reports them moves them to the sealed totals,
    atomically (workers/batches.py); a sealing entry that still carries drops counts too.
    """
    total: collections.Counter = collections.Counter()
    total.update({k.decode(): int(v) for k, v in sealed.items()})
    total.update(drops_by_reason(pending))  # pending counts are per minute (backend/core/drops.py)
    for raw in sealing:
        total.update(json.loads(raw).get("drops") or {})
    return total


def exposition(r: redis.Redis, presence_ttl: float) -> tuple[bytes, str]:
    """Return the /metrics body and its content type (clients count if seen within presence_ttl)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        local = CollectorRegistry()
        multiprocess.MultiProcessCollector(local)
    else:
        local = REGISTRY
    shared = CollectorRegistry()
    shared.register(RedisCollector(r, presence_ttl))
    return generate_latest(local) + generate_latest(shared), CONTENT_TYPE_LATEST
