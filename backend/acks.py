"""`pause_applied` answers recorded in batches: one Redis round trip for many sockets.

A pause makes every connected client answer at once. One Redis call per answer meant thousands
of calls queueing for the process's connection pool (backend/core/db.py) right after each pause;
at 5,000 sockets per process some waited past the pool's timeout and their sockets were closed.
Sessions hand their answer to this recorder instead; one background thread (a greenlet under
gevent) records whatever has gathered with `pauses.record_acks`, then tells the senders of acks
for unknown pauses.
"""

from __future__ import annotations

import logging
import threading

import redis

from .core import pauses

log = logging.getLogger(__name__)

MAX_BATCH = 1000


class AckRecorder:
    """Gathers (connection, pause id) acks and records them in batches."""

    def __init__(self, r: redis.Redis, on_unknown):
        self.r = r
        self.on_unknown = on_unknown  # called with the connection of an ack for an unknown pause
        self.pending: list = []
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopping = False
        self.thread: threading.Thread | None = None

    def add(self, conn, pause_id: str) -> None:
        """Queue one ack; it is recorded within one batch's round trip."""
        with self.lock:
            self.pending.append((conn, pause_id))
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="overt-acks", daemon=True)
                self.thread.start()
        self.wake.set()

    def stop(self) -> None:
        self.stopping = True
        self.wake.set()

    def _run(self) -> None:
        while not self.stopping:
            self.wake.wait()
            self.wake.clear()
            while True:
                with self.lock:
                    batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
                if not batch:
                    break
                self.flush(batch)

    def flush(self, batch: list) -> None:
        """Record one batch; tell the senders of acks for unknown pauses."""
        applied = [(p, c.ident.device, c.ident.employee) for c, p in batch]
        try:
            recorded = pauses.record_acks(self.r, applied)
        except redis.RedisError as err:
            log.warning("%d pause ack(s) not recorded: Redis %s", len(batch), type(err).__name__)
            return
        for (conn, _), ok in zip(batch, recorded, strict=True):
            if not ok:
                self.on_unknown(conn)
        log.debug("recorded %d pause ack(s)", len(batch))
