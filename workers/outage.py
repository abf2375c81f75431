"""Ride out a Redis outage: wait with backoff, and log it once when it starts and once at its end.

A failover (Sentinel promoting a replica, a managed Redis restarting) takes seconds. A worker must
not exit for it, nor log every retry: one line when Redis goes away, one when it is back.
"""

from __future__ import annotations

import logging
import threading
import time

import redis

log = logging.getLogger(__name__)

# Errors that mean "Redis is not there right now", as opposed to a bug in a job.
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, ConnectionError, TimeoutError)

BACKOFF_START = 0.1
BACKOFF_MAX = 5.0


def is_outage(err: BaseException) -> bool:
    """Return whether `err` (or what caused it) says Redis cannot be reached."""
    while err is not None:
        if isinstance(err, UNREACHABLE):
            return True
        err = err.__cause__ or err.__context__
    return False


class Outage:
    """One process's view of Redis: reachable, or down since a given time (shared by threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.since: float | None = None

    def failed(self, err: BaseException, where: str) -> None:
        """Note a failed call; log only the first failure of an outage."""
        with self.lock:
            if self.since is not None:
                return
            self.since = time.monotonic()
        log.warning(
            "Redis unreachable (%s in %s); retrying with backoff until it is back",
            type(err).__name__,
            where,
        )

    def recovered(self) -> bool:
        """Note a successful call; log the end of an outage. Return whether one just ended."""
        with self.lock:
            if self.since is None:
                return False
            down, self.since = time.monotonic() - self.since, None
        log.warning("Redis is back after %.1f s; resuming", down)
        return True

    def wait(self, r: redis.Redis, stop: threading.Event) -> bool:
        """Ping `r` with exponential backoff until it answers; False if `stop` is set first."""
        delay = BACKOFF_START
        while not stop.is_set():
            try:
                r.ping()
            except UNREACHABLE as err:
                self.failed(err, "ping")
                stop.wait(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            self.recovered()
            return True
        return False


class QuietRetries(logging.Filter):
    """Drop RQ's own per-attempt connection messages: `Outage` logs the outage once."""

    PREFIXES = ("Worker %s: could not connect to Redis", "Worker %s: Redis connection timeout")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(self.PREFIXES):
            return False
        exc = record.exc_info[1] if record.exc_info else None
        return not (exc is not None and is_outage(exc))


def quiet_rq_retries() -> None:
    """Install `QuietRetries` on RQ's worker logger (once)."""
    logger = logging.getLogger("rq.worker")
    if not any(isinstance(f, QuietRetries) for f in logger.filters):
        logger.addFilter(QuietRetries())
