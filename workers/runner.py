"""`overt worker`: an RQ worker on Overt's queue, plus a ticker that seals batches by age."""

from __future__ import annotations

import logging
import threading

import redis
from rq import SimpleWorker

from backend.core.config import Settings

from .queue import enqueue_tick, get_queue
from .retention import ensure_scheduled

log = logging.getLogger(__name__)


def _ticker(r: redis.Redis, interval: float, stop: threading.Event, retention: bool) -> None:
    # Age-based sealing needs a clock: with no new events, no drain job would ever run.
    while not stop.wait(interval):
        try:
            enqueue_tick(r)
            if retention:
                ensure_scheduled(r)  # cheap: one SET NX, so a failed run is retried in time
        except redis.RedisError as err:
            log.warning("ticker could not enqueue: %s", type(err).__name__)


def run_worker(
    r: redis.Redis, settings: Settings, burst: bool = False, with_scheduler: bool = False
) -> bool:
    """Run a worker until stopped (or, with `burst`, until the queue is empty)."""
    queue = get_queue(r)
    # Non-forking: our jobs are batch jobs of our own code, and forking costs ~4x per job.
    worker = SimpleWorker([queue], connection=r, serializer=queue.serializer)
    stop = threading.Event()
    if with_scheduler:
        ensure_scheduled(r)  # RQ's scheduler (started by work() below) enqueues it when due
    if burst:
        # This process's settings travel with the job: another worker may be the one to run it.
        queue.enqueue(
            "workers.jobs.tick",
            batch_size=settings.batch_size,
            max_age=settings.batch_max_age,
            job_timeout=300,
        )
    else:
        interval = max(0.5, min(settings.batch_max_age / 2, 10.0))
        threading.Thread(
            target=_ticker, args=(r, interval, stop, with_scheduler), daemon=True
        ).start()
    try:
        return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="WARNING")
    finally:
        stop.set()
