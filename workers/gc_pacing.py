"""Keep Python's cyclic garbage collector off what a worker holds for a while.

A worker keeps thousands of staged records in memory (workers/staged_memory.py: about two seconds
of staging, an observation is a hundred-odd objects) and allocates a few objects per event field
it parses, redacts and seals. Python's collector runs by allocation counts, and each full
collection traverses every tracked object alive: with that much alive, full collections took a
fifth of a worker's CPU (bench/worker.py --phases, app mix) and found nothing to free (none of it
is in a reference cycle: it is freed by reference counting).

So after each take, what is alive is moved out of the collector's sight (`gc.freeze`): young
collections then look only at what was allocated since. Frozen objects are freed by reference
counting as usual; only a reference cycle among them waits, until everything is unfrozen and
collected once every FULL_EVERY seconds.

Only a running worker turns this on (workers/runner.py `run_worker`, until it returns): a
process that stages in passing (tests, the admin's tools) keeps Python's usual collection.
"""

from __future__ import annotations

import gc
import threading
import time

FULL_EVERY = 30.0


class GcPacer:
    """`after_take()` after each take; a full collection at most every `full_every` seconds."""

    def __init__(self, full_every: float = FULL_EVERY):
        self.full_every = full_every
        self.enabled = False
        self.last_full = time.monotonic()
        self.lock = threading.Lock()

    def enable(self) -> None:
        """Pace the collector from now on (this process is a worker)."""
        self.enabled, self.last_full = True, time.monotonic()

    def disable(self) -> None:
        """Stop pacing; what was hidden is the collector's again."""
        with self.lock:
            self.enabled = False
            gc.unfreeze()

    def after_take(self) -> None:
        """Collect everything when it is time to; hide what is alive now from the collector."""
        if not self.enabled:
            return
        with self.lock:
            now = time.monotonic()
            if now - self.last_full >= self.full_every:
                self.last_full = now
                gc.unfreeze()
                gc.collect()
            gc.freeze()


PACER = GcPacer()
