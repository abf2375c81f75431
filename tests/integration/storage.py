"""Read datasets in tests through the same storage API as Overt, on either back end.

A test module marked `pytest.mark.both_storages` runs each test twice (tests/conftest.py):
with datasets in the data dir's `datasets` folder, and in a fresh bucket of a real S3 server.
"""

from __future__ import annotations

from backend.core.dataset_storage import Storage, open_storage
from backend.core.datasets import SHARD_GLOB, card_path_of, read_card, read_shard, sha256


def store(settings) -> Storage:
    """Return the datasets storage of `settings`."""
    return open_storage(settings.datasets_location)


def shards(settings) -> list[str]:
    """Return the path of every shard, relative to the datasets root."""
    return store(settings).glob(SHARD_GLOB)


def records(settings, shard: str) -> list[dict]:
    """Return the records of one shard."""
    return read_shard(shard, store(settings))


def all_records(settings) -> list[dict]:
    """Return the records of every shard."""
    return [x for shard in shards(settings) for x in records(settings, shard)]


def card_of(settings, shard: str) -> dict:
    """Return the card of a shard."""
    return read_card(card_path_of(shard), store(settings))


def assert_card_matches(settings, shard: str) -> dict:
    """Check a card describes its shard exactly (events, counts, contributors, sha256)."""
    card, recs = card_of(settings, shard), records(settings, shard)
    assert card["sha256"] == sha256(store(settings).read(shard))
    assert card["events"] == len(recs)
    assert sum(card["counts_by_category"].values()) == len(recs)
    assert sum(card["counts_by_type"].values()) == len(recs)
    assert card["contributors"] == len({x["contributor"] for x in recs})
    assert card["shard"] == shard
    return card
