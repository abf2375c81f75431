"""Shard encoding and cards: deterministic Parquet bytes, the fixed schema, honest counts."""

import io

import pyarrow.parquet as pq

from backend.core.dataset_cards import build_card, key_id, revise_card
from backend.core.dataset_schema import NAMES, arrow_schema
from backend.core.datasets import atomic_write, decode_shard, encode_shard, read_shard, sha256

RECORDS = [
    {
        "id": "a",
        "type": "click",
        "category": "clicks",
        "ts": 1_800_000_000_000,
        "url": "https://app.example.com/",
        "contributor": "p_1",
        "policy_version": "v1",
        "target": {"selector": "#a", "tag": "button"},
    },
    {
        "id": "b",
        "type": "scroll",
        "category": "scroll",
        "ts": 1_800_000_001_000,
        "url": "https://app.example.com/",
        "contributor": "p_2",
        "policy_version": "v1",
        "depth": 40,
    },
    {
        "id": "c",
        "type": "click",
        "category": "clicks",
        "ts": 1_800_000_002_000,
        "url": "https://app.example.com/",
        "contributor": "p_1",
        "policy_version": "v0",
        "target": {"selector": "#b", "tag": "a", "label": "Home"},
    },
]
POLICY = {
    "version": "v1",
    "purpose": "Tests",
    "categories": ["clicks", "scroll"],
    "allowed_origins": ["https://app.example.com"],
    "retention_days": 30,
}


def test_encoding_is_deterministic():
    """The same records give the same bytes: re-sealing after a crash is idempotent."""
    assert encode_shard(RECORDS) == encode_shard([dict(r) for r in RECORDS])


def test_every_column_in_every_shard(tmp_path):
    """A shard of clicks only still has every column, typed, with nulls; records round-trip."""
    data = encode_shard(RECORDS[:1])
    table = pq.read_table(io.BytesIO(data))
    assert table.schema.names == list(NAMES)
    assert table.schema.equals(arrow_schema(), check_metadata=False)
    assert str(table.schema.field("depth").type) == "int64"
    assert table.column("depth").to_pylist() == [None]
    path = tmp_path / "x.parquet"
    atomic_write(path, encode_shard(RECORDS))
    assert read_shard(path) == RECORDS == decode_shard(path.read_bytes())


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    """Only the final file exists after a write, replaced whole on a rewrite."""
    path = tmp_path / "d" / "f.bin"
    atomic_write(path, b"one")
    atomic_write(path, b"two")
    assert path.read_bytes() == b"two" and [p.name for p in path.parent.iterdir()] == ["f.bin"]


def test_card_counts_hash_and_terms():
    """The card counts, hashes, names the terms and the key id (never the key)."""
    data = encode_shard(RECORDS)
    shard = "data/2027-01-15/b1.parquet"
    card = build_card(
        "b1", shard, RECORDS, {"no_consent": 2}, sha256(data), POLICY, 1_800_000_005_000, "k_1"
    )
    assert card["events"] == 3 and card["contributors"] == 2
    assert card["counts_by_type"] == {"click": 2, "scroll": 1}
    assert card["counts_by_category"] == {"clicks": 2, "scroll": 1}
    assert card["drops_by_reason"] == {"no_consent": 2}
    assert card["policy_versions"] == {"v0": 1, "v1": 2}
    assert card["sha256"] == sha256(data) and card["revision"] == 1
    assert card["time_window"]["start"].startswith("2027-01-15T08:00:00")
    assert card["delete_by"].startswith("2027-02-14T08:00:05")
    assert card["policy"]["categories_asked"] == ["clicks", "scroll"]
    assert card["policy"]["allowed_origins"] == ["https://app.example.com"]
    assert card["shard"] == shard and card["erasures"] == []
    assert set(card["fields"]) == set(NAMES) and card["pseudonymisation"]["key_id"] == "k_1"
    assert card["redaction"]["rules_version"] and card["terms_of_use"]


def test_revised_card_after_erasure():
    """An erasure makes a new revision with its own hash, counts and a correct time window."""
    card = build_card("b1", "data/d/b1.parquet", RECORDS, {}, "h1", POLICY, 1_800_000_005_000, None)
    kept = RECORDS[1:]
    revised = revise_card(card, kept, "h2", 1, 1_800_000_009_000)
    assert revised["revision"] == 2 and revised["sha256"] == "h2" and revised["events"] == 2
    assert [r["sha256"] for r in revised["revisions"]] == ["h1", "h2"]
    assert revised["time_window"]["start"].startswith("2027-01-15T08:00:01")
    assert revised["erasures"] == [{"at": revised["revisions"][1]["at"], "removed": 1}]


def test_key_id_does_not_reveal_the_secret():
    """The key id is stable per secret, differs between secrets and does not contain them."""
    assert key_id("s1") == key_id("s1") != key_id("s2")
    assert "s1" not in key_id("s1")


def test_dataset_card_features_match_the_datasets_library():
    """README.md's `dataset_info.features` are what Hugging Face derives from the Arrow schema."""
    from datasets import Features

    from backend.core.dataset_schema import hf_features

    assert Features.from_arrow_schema(arrow_schema())._to_yaml_list() == hf_features()


def test_field_descriptions_name_the_event_types_that_carry_the_field():
    """A description that starts with event types ("scroll: ...") names exactly the types whose
    schema has that field; a field every type may carry (an episode field, `task`) names none."""
    from backend.core.dataset_schema import FIELDS
    from backend.core.events import EVENT_SCHEMAS

    def carried_by(name: str) -> set[str]:
        return {
            kind
            for kind, schema in EVENT_SCHEMAS.items()
            if name in {f.data_key or attr for attr, f in schema.load_fields.items()}
        }

    for name, _, text in FIELDS:
        named = set(text.split(":")[0].split(", ")) if ":" in text else set()
        carriers = carried_by(name)
        if named <= set(EVENT_SCHEMAS) and named:
            assert named == carriers, name
        if carriers == set(EVENT_SCHEMAS):
            assert not named & set(EVENT_SCHEMAS), name


def test_json_schema_requires_every_column():
    """The JSON Schema names every column, integers as integers, nulls allowed but for the key."""
    from backend.core.dataset_schema import json_schema

    doc = json_schema()
    assert doc["required"] == list(NAMES) and doc["additionalProperties"] is False
    assert doc["properties"]["ts"]["type"] == "integer"
    assert doc["properties"]["depth"]["type"] == ["integer", "null"]
    assert doc["properties"]["elements"]["items"]["properties"]["box"]["type"] == ["array", "null"]


def test_shard_order_is_each_tabs_steps_then_old_events_by_time():
    """(contributor, session, tab, step); records from before episode fields follow by (ts, id)."""
    from workers.batches import record_order

    def rec(id_, ts, **episode):
        return {"id": id_, "ts": ts, "contributor": "p_1", **episode}

    tab = {"session": "s_aaaaaaaa", "tab": "t_aaaaaaaa", "page": "p_aaaaaaaa"}
    records = [
        rec("z", 5),
        rec("c", 9, **tab, step=1),
        rec("y", 3),
        rec("a", 9, **tab, step=0),  # same ms as step 1, and its id sorts first anyway
        rec("b", 1, **tab, step=2),  # a clock that stepped back: the step still orders it
    ]
    assert [r["id"] for r in sorted(records, key=record_order)] == ["a", "c", "b", "y", "z"]
