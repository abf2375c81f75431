"""`pause_applied` answers recorded in batches: one Redis round trip for many sockets.

A pause makes every connected client answer at once. One Redis call per answer meant thousands
of calls queueing for the process's connection pool (backend/core/db.py) right after each pause;
at 5,000 sockets per process some waited past the pool's timeout and their sockets were closed.
Each session hands its answer to this recorder and waits for it: one background thread (a
greenlet under gevent) records whatever has gathered meanwhile with `pauses.record_acks`, then
wakes every waiting session with its own result, so each socket still gets its answers in order.
"""

from __future__ import annotations

import threading

import redis

from .core import pauses

MAX_BATCH = 1000
WAIT_SECONDS = 30


class _Ack:
    __slots__ = ("applied", "done", "error", "outcome", "pause")

    def __init__(self, applied: tuple[str, str, str, str]):
        self.applied = applied
        self.done = threading.Event()
        self.outcome = pauses.ACK_UNKNOWN
        self.pause: dict | None = None
        self.error: redis.RedisError | None = None


class AckRecorder:
    """Records (pause id, device, employee, team) acks of many sockets in batches."""

    def __init__(self, r: redis.Redis):
        self.r = r
        self.pending: list[_Ack] = []
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopping = False
        self.thread: threading.Thread | None = None

    def record(
        self, pause_id: str, device: str, employee: str, team: str
    ) -> tuple[str, dict | None]:
        """Record one ack with the others of its batch; return its outcome and the pause's record.

        The outcome is `pauses.record_acks`'s: ACK_RECORDED, or why the ack was not recorded (the
        record is then None). Raises the batch's RedisError, as a direct call would.
        """
        ack = _Ack((pause_id, device, employee, team))
        with self.lock:
            self.pending.append(ack)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="overt-acks", daemon=True)
                self.thread.start()
        self.wake.set()
        if not ack.done.wait(WAIT_SECONDS):
            raise redis.TimeoutError("the pause ack was not recorded in time")
        if ack.error is not None:
            raise ack.error
        return ack.outcome, ack.pause

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
                self._flush(batch)

    def _flush(self, batch: list[_Ack]) -> None:
        try:
            outcomes = pauses.record_acks(self.r, [a.applied for a in batch])
            recorded = [o == pauses.ACK_RECORDED for o in outcomes]
            # The pause records (for the acknowledgement metric): one read per pause, not per ack.
            ids = sorted({a.applied[0] for a, ok in zip(batch, recorded, strict=True) if ok})
            records = {i: pauses.get_pause(self.r, i) for i in ids}
            for ack, outcome, ok in zip(batch, outcomes, recorded, strict=True):
                ack.outcome = outcome
                ack.pause = records.get(ack.applied[0]) if ok else None
        except redis.RedisError as err:
            for ack in batch:
                ack.error = err
        finally:
            for ack in batch:
                ack.done.set()
