"""Sealing from what a worker has just staged (workers/staged_memory.py) seals the same shards.

A worker keeps the items it staged in memory, by their exact bytes in Redis, so that sealing does
not parse them again. What it keeps must be what parsing those bytes gives, for every event type,
and a shard sealed with that memory must be byte for byte the shard sealed without it.
"""

from __future__ import annotations

from backend.core import keys
from backend.core.datasets import open_storage
from backend.core.records import Entry
from backend.core.words import record_words
from tests.conftest import SECRET
from tests.helpers import make_event
from tests.integration.me_helpers import queue_raw, stage_all
from tests.integration.test_datasets import WIRE_TYPES, grant_all, queue_typed, trajectory_events
from workers.batches import seal_due
from workers.staged_memory import STAGED, StagedMemory


def queue_every_type(r) -> None:
    grant_all(r, "alice", "bob")
    for employee in ("alice", "bob"):
        queue_raw(
            r, employee, [make_event(kind, title="Order 4821 for Jane") for kind in WIRE_TYPES]
        )
        queue_typed(r, employee, trajectory_events())


def test_what_is_kept_is_what_parsing_the_staged_bytes_gives(redis_conn):
    STAGED.clear()
    queue_every_type(redis_conn)
    stage_all(redis_conn)
    staged = redis_conn.lrange(keys.KEY_STAGING, 0, -1)
    assert len(staged) == 2 * (len(WIRE_TYPES) + len(trajectory_events()))
    types = set()
    for raw in staged:
        entry, words = STAGED.pop(raw)
        parsed = Entry.decode(raw)
        assert entry == parsed
        assert words == record_words(parsed.record)
        types.add(entry.record["type"])
    assert types == {*WIRE_TYPES, *(e["type"] for e in trajectory_events())}


def sealed_shard_bytes(r, settings) -> list[bytes]:
    sealed = seal_due(r, settings.datasets_location, 1000, 60, force=True, secret=SECRET)
    storage = open_storage(settings.datasets_location)
    return [storage.read(p) for p in storage.glob(f"data/*/{sealed[0]}.parquet")]


def test_a_shard_sealed_from_memory_is_the_shard_sealed_from_redis(redis_conn, settings):
    STAGED.clear()
    queue_every_type(redis_conn)
    stage_all(redis_conn)
    staged = redis_conn.lrange(keys.KEY_STAGING, 0, -1)
    assert len(STAGED) >= len(staged)
    from_memory = sealed_shard_bytes(redis_conn, settings)
    assert not any(raw in STAGED.items for raw in staged), "sealing used and forgot them"
    redis_conn.rpush(keys.KEY_STAGING, *staged)  # the same staged items, parsed this time
    from_redis = sealed_shard_bytes(redis_conn, settings)
    assert from_memory == from_redis and len(from_memory) == 1


def test_a_full_memory_keeps_the_oldest_items_until_they_are_sealed_or_stale():
    """Sealing takes the oldest staged items first: those are the ones worth keeping."""
    memory = StagedMemory(limit=3)
    entry = Entry("e", "t", "c", 1, record={"ts": 1})
    memory.add([b"1", b"2"], [entry, entry], [set(), {"w"}])
    memory.add([b"3", b"4", b"5"], [entry] * 3, [set()] * 3)
    assert list(memory.items) == [b"1", b"2", b"3"]
    assert memory.pop_all([b"1", b"4"]) == [(entry, set()), None]
    assert memory.pop(b"2") == (entry, {"w"}) and memory.pop(b"2") is None
    memory.add([b"6", b"7", b"8"], [entry] * 3, [set()] * 3)
    assert list(memory.items) == [b"3", b"6", b"7"]
    stale = StagedMemory(limit=3, stale_after=-1.0)
    stale.add([b"1", b"2", b"3"], [entry] * 3, [set()] * 3)
    stale.add([b"4"], [entry], [set()])
    assert list(stale.items) == [b"4"], "items kept too long are dropped for new ones"


def test_sealing_a_later_take_forgets_what_is_left_of_earlier_ones():
    """Staged items are sealed oldest first: when sealing reads an item this worker staged with
    a later take, what is left of its earlier takes was sealed by another worker (or never
    reached the staging list), and would otherwise fill the memory until it went stale."""
    memory = StagedMemory(limit=10)
    entry = Entry("e", "t", "c", 1, record={"ts": 1})
    memory.add([b"1", b"2"], [entry] * 2, [set()] * 2)  # sealed by another worker
    memory.add([b"3", b"4"], [entry] * 2, [set()] * 2)
    memory.add([b"5"], [entry], [set()])
    assert memory.pop_all([b"3"]) == [(entry, set())]
    assert list(memory.items) == [b"4", b"5"]
    assert memory.pop(b"1") is None
    assert memory.pop_all([b"9", b"4"]) == [None, (entry, set())]
    assert list(memory.items) == [b"5"] and list(memory.group_of) == [b"5"]
