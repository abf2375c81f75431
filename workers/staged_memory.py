"""What this worker has just staged, kept in memory so that sealing need not parse it again.

Staging writes each record to Redis as JSON (the durable copy: sealing always reads a batch's
items from Redis, and a batch written again after a crash is read only from there). A worker
usually seals what it has just staged, so staging also keeps, per staged item, the exact bytes
it wrote, the `Entry` those bytes encode and the record's gated words (backend/core/words.py). At
sealing, an item whose bytes are found here is that `Entry`, as `Entry.decode` would return it
(tests/unit/test_staged_memory.py checks it for every event type); any other item (staged by
another worker, before a restart, or evicted) is parsed as before. Nothing here is ever sealed
without being read from Redis first, so what a shard holds does not depend on this memory.
"""

from __future__ import annotations

import itertools
import threading

from backend.core.records import Entry

# Items kept at most (oldest dropped first): a few batches, whichever worker ends up sealing them.
LIMIT = 20_000


class StagedMemory:
    """Staged items by their exact bytes in Redis: (entry, gated words)."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self.items: dict[bytes, tuple[Entry, set[str]]] = {}
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.items)

    def add(self, raws: list[bytes], entries: list[Entry], words: list[set[str]]) -> None:
        """Remember staged items: `raws[i]` is what was written to Redis for `entries[i]`."""
        with self.lock:
            items = self.items
            for raw, entry, found in zip(raws, entries, words, strict=True):
                items[raw] = (entry, found)
            excess = len(items) - self.limit
            if excess > 0:  # dicts keep insertion order: the first keys are the oldest
                for raw in list(itertools.islice(items, excess)):
                    del items[raw]

    def pop(self, raw: bytes) -> tuple[Entry, set[str]] | None:
        """Return and forget what was staged as `raw`, or None when it is not known here."""
        with self.lock:
            return self.items.pop(raw, None)

    def pop_all(self, raws: list[bytes]) -> list[tuple[Entry, set[str]] | None]:
        """Return `pop(raw)` for each of `raws`."""
        with self.lock:
            pop = self.items.pop
            return [pop(raw, None) for raw in raws]

    def clear(self) -> None:
        """Forget everything."""
        with self.lock:
            self.items.clear()


STAGED = StagedMemory()
