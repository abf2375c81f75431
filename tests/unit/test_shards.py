"""Shard encoding and cards: deterministic bytes, atomic writes, honest counts."""

import gzip
import json

from backend.core.datasets import atomic_write, encode_shard, read_shard, sha256
from workers.batches import build_card

RECORDS = [
    {
        "id": "a",
        "type": "click",
        "category": "clicks",
        "ts": 1_800_000_000_000,
        "contributor": "p_1",
    },
    {
        "id": "b",
        "type": "scroll",
        "category": "scroll",
        "ts": 1_800_000_001_000,
        "contributor": "p_2",
    },
    {
        "id": "c",
        "type": "click",
        "category": "clicks",
        "ts": 1_800_000_002_000,
        "contributor": "p_1",
    },
]


def test_encoding_is_deterministic():
    """The same records give the same bytes: re-sealing after a crash is idempotent."""
    assert encode_shard(RECORDS) == encode_shard([dict(r) for r in RECORDS])


def test_one_json_object_per_line(tmp_path):
    """A shard is gzip'd JSONL."""
    path = tmp_path / "x.jsonl.gz"
    atomic_write(path, encode_shard(RECORDS))
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a", "b", "c"]
    assert read_shard(path) == RECORDS


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    """Only the final file exists after a write, replaced whole on a rewrite."""
    path = tmp_path / "d" / "f.bin"
    atomic_write(path, b"one")
    atomic_write(path, b"two")
    assert path.read_bytes() == b"two" and [p.name for p in path.parent.iterdir()] == ["f.bin"]


def test_card_counts_and_hash():
    """The card counts by type and category, contributors, drops, and hashes the shard."""
    data = encode_shard(RECORDS)
    card = build_card("b1", RECORDS, {"no_consent": 2}, sha256(data), "v1", 1_800_000_005_000)
    assert card["events"] == 3 and card["contributors"] == 2
    assert card["counts_by_type"] == {"click": 2, "scroll": 1}
    assert card["counts_by_category"] == {"clicks": 2, "scroll": 1}
    assert card["drops_by_reason"] == {"no_consent": 2}
    assert card["sha256"] == sha256(data) and card["consent_policy_version"] == "v1"
    assert card["time_window"]["start"].startswith("2027-01-15T08:00:00")
    assert card["shard"] == "b1.jsonl.gz" and card["erasures"] == []
