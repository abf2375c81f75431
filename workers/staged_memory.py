"""What this worker has just staged, kept in memory so that sealing need not parse it again.

Staging writes each record to Redis as JSON (the durable copy: sealing always reads a batch's
items from Redis, and a batch written again after a crash is read only from there). A worker
usually seals what it has just staged, so staging also keeps, per staged item, the exact bytes
it wrote, the `Entry` those bytes encode and the record's gated words (backend/core/words.py). At
sealing, an item whose bytes are found here is that `Entry`, as `Entry.decode` would return it
(tests/integration/test_staged_memory.py checks it for every event type); any other item (staged by
another worker, before a restart, or evicted) is parsed as before. Nothing here is ever sealed
without being read from Redis first, so what a shard holds does not depend on this memory.
"""

from __future__ import annotations

import collections
import threading
import time

from backend.core.records import Entry

# Items kept at most: about two seconds of staging. 20,000 items of the app mix of
# bench/worker.py (observations of 60 elements) held about 180 MiB.
LIMIT = 10_000
# Items kept longer than this were sealed by another worker, or never will be (duplicates).
STALE_AFTER = 30.0


class StagedMemory:
    """Staged items by their exact bytes in Redis: (entry, gated words).

    When full the memory keeps what it holds and takes no more (those items are parsed at
    sealing as before) until sealing frees room. Items leave it when sealing reads them, and with
    the group of items they were added with (one take) when:
    - sealing read an item of a later group: sealing takes the oldest staged items first and
      this worker staged its groups in order, so what is left of the earlier groups was sealed
      by another worker, or never reached the staging list (duplicates, erased);
    - nothing of their group is left;
    - they are STALE_AFTER seconds old.
    """

    def __init__(self, limit: int = LIMIT, stale_after: float = STALE_AFTER):
        self.limit, self.stale_after = limit, stale_after
        self.items: dict[bytes, tuple[Entry, set[str]]] = {}
        self.group_of: dict[bytes, int] = {}  # item -> the number of the group it was added with
        self.added: collections.deque[tuple[float, int, list[bytes]]] = collections.deque()
        self.groups = 0
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.items)

    def add(self, raws: list[bytes], entries: list[Entry], words: list[set[str]]) -> None:
        """Remember staged items: `raws[i]` is what was written to Redis for `entries[i]`."""
        now = time.monotonic()
        with self.lock:
            items = self.items
            while self.added and (
                now - self.added[0][0] > self.stale_after
                or not any(r in items for r in self.added[0][2])
            ):
                self._forget_oldest()
            room = self.limit - len(items)
            if room <= 0:
                return
            kept = raws[:room]
            self.groups += 1
            group_of, group = self.group_of, self.groups
            for raw, entry, found in zip(kept, entries, words, strict=False):
                items[raw] = (entry, found)
                group_of[raw] = group
            self.added.append((now, group, kept))

    def _forget_oldest(self) -> None:
        items, group_of = self.items, self.group_of
        for raw in self.added.popleft()[2]:
            items.pop(raw, None)
            group_of.pop(raw, None)

    def pop(self, raw: bytes) -> tuple[Entry, set[str]] | None:
        """Return and forget what was staged as `raw`, or None when it is not known here."""
        return self.pop_all([raw])[0]

    def pop_all(self, raws: list[bytes]) -> list[tuple[Entry, set[str]] | None]:
        """Return `pop(raw)` for each of `raws`."""
        with self.lock:
            pop, group_pop = self.items.pop, self.group_of.pop
            known = [pop(raw, None) for raw in raws]
            latest = max((group_pop(raw, 0) for raw in raws), default=0)
            while self.added and self.added[0][1] < latest:
                self._forget_oldest()
            return known

    def clear(self) -> None:
        """Forget everything."""
        with self.lock:
            self.items.clear()
            self.group_of.clear()
            self.added.clear()


STAGED = StagedMemory()
