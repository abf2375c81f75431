"""`overt worker`: an RQ worker on Overt's queue, plus a ticker that seals batches by age.

The worker outlives Redis outages: when RQ's loop ends on a lost connection (in a job, in RQ's own
failure handling or at teardown), it waits for Redis with backoff and starts a fresh RQ worker.
Takes and batches caught mid-way are safe by design (workers/stage.py, workers/batches.py).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading

import redis
from rq import SimpleWorker
from rq.job import JobStatus

from backend.core import keys
from backend.core.config import Settings

from .gc_pacing import PACER
from .outage import Outage, is_outage, quiet_rq_retries
from .queue import enqueue_tick, get_queue
from .retention import ensure_scheduled

log = logging.getLogger(__name__)

# How long a thread may keep the GIL while another waits for it (Python's default: 5 ms). A
# worker's threads (drain, take, commit, seal, read ahead: workers/committer.py,
# workers/sealer.py) each wait on Redis in turn; back from a reply, each waited up to the default
# interval for the GIL while another computed. bench/worker.py, simple mix, median of 3: sealed /
# ingested 0.48 -> 0.55, the worker's share of the cores 0.66 -> 0.73, its events per CPU-second
# about 3 % fewer.
SWITCH_INTERVAL = 0.001


class OvertWorker(SimpleWorker):
    """A non-forking RQ worker that knows whether it was asked to stop, and how many of the
    jobs it ran failed for good (RQ counts them only in Redis, under a key gone at its death)."""

    stop_asked = False
    jobs_failed = 0

    def request_stop(self, signum, frame):
        self.stop_asked = True
        super().request_stop(signum, frame)

    def handle_job_failure(self, job, queue, *args, **kwargs):
        super().handle_job_failure(job, queue, *args, **kwargs)
        if job.get_status(refresh=False) == JobStatus.FAILED:  # not one retried later
            self.jobs_failed += 1

    def teardown(self):
        try:
            super().teardown()  # registers death and unsubscribes: fails while Redis is away
        finally:
            if self.pubsub_thread is not None:
                self.pubsub_thread.stop()  # else each outage would leave a retrying thread behind


def _ticker(
    r: redis.Redis, interval: float, stop: threading.Event, retention: bool, outage: Outage
) -> None:
    # Age-based sealing needs a clock: with no new events, no drain job would ever run.
    while not stop.wait(interval):
        try:
            enqueue_tick(r)
            if retention:
                ensure_scheduled(r)  # cheap: one SET NX, so a failed run is retried in time
        except redis.RedisError as err:
            if not is_outage(err):
                log.warning("ticker could not enqueue: %s", type(err).__name__)
                continue
            outage.failed(err, "the ticker")
        else:
            if outage.recovered():
                resume(r)


def resume(r: redis.Redis) -> None:
    """After an outage: forget "a job is pending" flags whose job may be lost, and tick now."""
    # A flag set just before Redis went away may have no job behind it; a spare job is harmless.
    r.delete(keys.KEY_TICK_PENDING, keys.KEY_DRAIN_PENDING)
    enqueue_tick(r)


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event):
    """While between RQ workers, SIGTERM/SIGINT set `stop` (RQ's own handlers need Redis)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _forget(worker: OvertWorker) -> None:
    """Unregister a worker whose teardown failed, so `overt status` does not count it."""
    with contextlib.suppress(redis.RedisError):
        worker.register_death()


def work_through_outages(
    r: redis.Redis, with_scheduler: bool, stop: threading.Event, outage: Outage
) -> bool:
    """Run RQ workers one after another until asked to stop; return whether any job ran."""
    queue = get_queue(r)
    worked = False
    while not stop.is_set():
        worker = OvertWorker([queue], connection=r, serializer=queue.serializer)
        try:
            worked |= worker.work(with_scheduler=with_scheduler, logging_level="WARNING")
        except Exception as err:
            if not is_outage(err):
                raise
            outage.failed(err, "the work loop")
        if worker.stop_asked:
            break
        with _stop_on_signals(stop):
            if outage.since is None:
                log.warning("RQ worker %s stopped on its own; starting a new one", worker.name)
                stop.wait(1.0)  # never spin if its loop keeps ending
            if not outage.wait(r, stop):
                break
        _forget(worker)
        resume(r)
    return worked


def run_worker(
    r: redis.Redis, settings: Settings, burst: bool = False, with_scheduler: bool = False
) -> int:
    """Run a worker until stopped (or, with `burst`, until the queue is empty); return how many
    of the jobs it ran failed (RQ keeps them in its failed registry; `overt status` lists them)."""
    PACER.enable()  # workers/gc_pacing.py
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        return _run_worker(r, settings, burst, with_scheduler)
    finally:
        sys.setswitchinterval(interval)
        PACER.disable()


def _run_worker(r: redis.Redis, settings: Settings, burst: bool, with_scheduler: bool) -> int:
    quiet_rq_retries()
    queue = get_queue(r)
    stop = threading.Event()
    if burst:
        if with_scheduler:
            ensure_scheduled(r)
        # This process's settings travel with the job: another worker may be the one to run it.
        queue.enqueue(
            "workers.jobs.tick",
            batch_size=settings.batch_size,
            max_age=settings.batch_max_age,
            job_timeout=300,
        )
        worker = OvertWorker([queue], connection=r, serializer=queue.serializer)
        worker.work(burst=True, with_scheduler=with_scheduler, logging_level="WARNING")
        return worker.jobs_failed
    outage = Outage()
    with _stop_on_signals(stop):
        if not outage.wait(r, stop):  # started during an outage: wait for Redis, do not exit
            return 0
    if with_scheduler:
        ensure_scheduled(r)  # RQ's scheduler (started by work() below) enqueues it when due
    interval = max(0.5, min(settings.batch_max_age / 2, 10.0))
    ticker = threading.Thread(
        target=_ticker, args=(r, interval, stop, with_scheduler, outage), daemon=True
    )
    ticker.start()
    try:
        work_through_outages(r, with_scheduler, stop, outage)
        return 0  # a long-running worker logs each failed job as it happens
    finally:
        stop.set()
