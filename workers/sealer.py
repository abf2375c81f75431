"""Seal the batches that fall due during a drain on a thread of its own, while staging goes on.

Sealing waits on Redis (six round trips per batch), on fsync (shard, card, manifest) and
on Parquet's encoder; a drain used to stage nothing meanwhile. A `Sealer` is poked after each
take is handed over (workers/committer.py): when no seal is in flight it checks, on its thread,
whether a batch is due and seals while due (`batches.seal_due`, the same code and the same
datasets lock as ever, so what is written, and when staged items are deleted, is unchanged).
Leaving the `with` block waits for the seal in flight.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import redis

from .batches import is_due, seal_due


class Sealer:
    """One thread sealing what is due, one run at a time."""

    def __init__(self, r: redis.Redis, settings, batching: tuple[int, float]):
        self.r, self.settings, self.batching = r, settings, batching
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="overt-seal")
        self.running: Future | None = None
        self.sealed: list[str] = []

    def __enter__(self) -> Sealer:
        return self

    def poke(self) -> None:
        """Seal what is due, unless a seal is in flight (raise what the last one raised)."""
        if self.busy():
            return
        self.wait()
        self.running = self.pool.submit(self._seal_if_due)

    def busy(self) -> bool:
        """Return whether a seal is in flight."""
        return self.running is not None and not self.running.done()

    def _seal_if_due(self) -> list[str]:
        if not is_due(self.r, *self.batching):
            return []
        location, secret = self.settings.datasets_location, self.settings.secret
        return seal_due(self.r, location, *self.batching, secret=secret)

    def wait(self) -> None:
        """Wait for the seal in flight; raise what it raised."""
        running, self.running = self.running, None
        if running is not None:
            self.sealed += running.result()

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.wait()
            elif self.running is not None:
                self.running.exception()  # let it finish; the error in hand is the one raised
        finally:
            self.pool.shutdown(wait=True)
