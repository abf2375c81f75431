"""The index's totals (backend/core/dataset_totals.py) and the manifest's appends, against the
whole index and the whole manifest they stand for, in a real Redis and on real storage."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from backend.core import dataset_totals, keys
from backend.core.dataset_manifest import (
    MANIFEST,
    append,
    check_chain,
    last_line,
    read_manifest,
    read_raw_lines,
)
from backend.core.dataset_totals import drop_entry, put_entry, read_totals, totals_of
from backend.core.datasets import index_entries
from backend.core.erase import erase_employee
from tests.helpers import make_event
from tests.integration.me_helpers import contributor, queue_raw, seal
from tests.integration.storage import store
from tests.integration.test_datasets import grant_all

PEOPLE = [f"c_{i:02d}" for i in range(6)]
entries = st.fixed_dictionaries(
    {
        "events": st.integers(0, 5000),
        "contributors": st.lists(st.sampled_from(PEOPLE), unique=True, max_size=6),
        "policy_versions": st.dictionaries(st.sampled_from("abc"), st.integers(1, 900), max_size=3),
        "sealed_at": st.just("2026-01-01T00:00:00Z"),
    }
)
changes = st.lists(st.tuples(st.sampled_from(["b1", "b2", "b3", "b4"]), st.none() | entries))


def _reset(r) -> None:
    r.delete(keys.KEY_BATCHES, keys.KEY_DATASET_TOTALS, keys.KEY_DATASET_CONTRIBUTORS)


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes)
def test_totals_follow_every_put_and_drop(redis_conn, monkeypatch, steps):
    """After any sequence of entries indexed, replaced and dropped, the totals kept are those of
    the whole index, and are never rebuilt to get there."""
    _reset(redis_conn)
    monkeypatch.undo()
    read_totals(redis_conn)  # built (empty) once

    def no_rebuild(r):
        raise AssertionError("the totals kept did not match the index")

    monkeypatch.setattr(dataset_totals, "rebuild", no_rebuild)
    for batch_id, entry in steps:
        if entry is None:
            drop_entry(redis_conn, batch_id)
        else:
            put_entry(redis_conn, batch_id, entry)
        assert redis_conn.hget(keys.KEY_DATASET_TOTALS, "built") == b"1"
        assert read_totals(redis_conn) == totals_of(index_entries(redis_conn))
    stored = {k.decode(): int(v) for k, v in redis_conn.hgetall(keys.KEY_DATASET_TOTALS).items()}
    assert all(n != 0 for k, n in stored.items() if k.startswith("v:"))
    # Each contributor counted once per shard holding it; none left at zero.
    held = {
        k.decode(): int(v) for k, v in redis_conn.hgetall(keys.KEY_DATASET_CONTRIBUTORS).items()
    }
    index = index_entries(redis_conn)
    assert held == {c: n for c in PEOPLE if (n := sum(c in e["contributors"] for e in index))}


def test_totals_are_rebuilt_for_an_index_written_without_them(redis_conn):
    """An index an older Overt wrote (no totals), or one changed behind the totals' back, is
    counted again in full."""
    _reset(redis_conn)
    for i in range(3):
        entry = {"events": 10 + i, "contributors": ["c_00", f"c_1{i}"], "policy_versions": {"a": 5}}
        redis_conn.hset(keys.KEY_BATCHES, f"b{i}", json.dumps(entry))
    expected = {"shards": 3, "events": 33, "contributors": 4, "policy_versions": {"a": 15}}
    assert read_totals(redis_conn) == expected
    assert redis_conn.hget(keys.KEY_DATASET_TOTALS, "built") == b"1"
    redis_conn.hdel(keys.KEY_BATCHES, "b0")  # not through drop_entry
    assert read_totals(redis_conn) == {
        "shards": 2,
        "events": 23,
        "contributors": 3,
        "policy_versions": {"a": 10},
    }


def _readme_figures(settings) -> dict:
    text = store(settings).read("README.md").decode()
    rows = dict(
        (cells[1].strip(), cells[2].strip())
        for line in text.splitlines()
        if line.startswith("| ") and len(cells := line.split("|")) >= 4
    )
    return {k: rows[k] for k in ("shards", "events", "contributors", "manifest")}


@pytest.mark.both_storages
def test_dataset_card_counts_what_the_index_holds_after_seals_and_erasures(redis_conn, settings):
    """The dataset card's shards, events, contributors and manifest line agree with the whole
    index and the whole manifest after seals, an erasure that rewrites shards and one that
    deletes a shard."""
    grant_all(redis_conn, "alice", "bob", "carol")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(3)])
    queue_raw(redis_conn, "bob", [make_event("scroll") for _ in range(3)])
    seal(redis_conn, settings, batch_size=2)
    queue_raw(redis_conn, "carol", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings, batch_size=2)

    def check():
        index = index_entries(redis_conn)
        totals = totals_of(index)
        lines = read_raw_lines(store(settings))
        check_chain(lines)
        assert read_totals(redis_conn) == totals
        figures = _readme_figures(settings)
        assert figures["shards"] == str(totals["shards"]) == str(len(index))
        assert figures["events"] == str(totals["events"])
        assert figures["contributors"] == f"{totals['contributors']} (pseudonymous)"
        assert figures["manifest"].startswith(f"`{MANIFEST}`: {len(lines)} line(s)")
        return totals

    assert check() == {
        "shards": 4,
        "events": 8,
        "contributors": 3,
        "policy_versions": check()["policy_versions"],
    }
    erase_employee(redis_conn, settings.datasets_location, settings.secret, "bob")
    after = check()
    assert after["events"] == 5 and after["contributors"] == 2
    erase_employee(redis_conn, settings.datasets_location, settings.secret, "carol")
    assert check()["shards"] == after["shards"] - 1  # carol had a shard of her own
    held = {k.decode() for k in redis_conn.hkeys(keys.KEY_DATASET_CONTRIBUTORS)}
    assert held == {contributor("alice")}


def test_the_manifest_grows_by_appends_and_a_torn_line_is_cut(redis_conn, settings):
    """On a local disk new lines are appended to the file (its earlier bytes untouched, only its
    end read); a line a crash left unfinished is ignored by readers and cut by the next writer."""
    grant_all(redis_conn, "alice")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(4)])
    seal(redis_conn, settings, batch_size=2)
    storage = store(settings)
    path = storage.full(MANIFEST)
    before = Path(path).read_bytes()
    inode = os.stat(path).st_ino

    assert append(storage, [{"op": "dropped", "at": "x", "drops_by_reason": {"paused": 1}}]) == (
        3,
        read_raw_lines(storage)[-1],
    )
    assert os.stat(path).st_ino == inode and Path(path).read_bytes().startswith(before)

    with open(path, "ab") as fh:
        fh.write(b'{"op":"sealed","line":4,"pr')  # a crash in the middle of an append
    assert len(read_raw_lines(storage)) == 3 and last_line(storage)[0] == 3
    check_chain(read_raw_lines(storage))
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings, batch_size=2)
    raw = Path(path).read_bytes()
    assert b'"pr{' not in raw and raw.endswith(b"\n")
    lines = read_raw_lines(storage)
    check_chain(lines)
    assert [e["line"] for e in read_manifest(storage)] == [1, 2, 3, 4]
    assert last_line(storage) == (4, lines[-1])


def test_a_manifest_whose_last_line_is_unreadable_is_still_appended_to(settings):
    """When the last line does not say its number (edited by hand), appending falls back to
    reading every line, as `overt datasets verify` would."""
    storage = store(settings)
    append(storage, [{"op": "dropped", "at": "a", "drops_by_reason": {}}])
    path = storage.full(MANIFEST)
    with open(path, "ab") as fh:
        fh.write(b"not json\n")
    count, last = append(storage, [{"op": "dropped", "at": "b", "drops_by_reason": {}}])
    assert count == 3 and json.loads(last)["line"] == 3
    assert last_line(storage) == (3, last)


def test_a_seal_reads_the_manifest_only_when_finishing_an_interrupted_one(
    redis_conn, settings, monkeypatch
):
    """A batch sealed the first time never reads the whole manifest; one whose seal died after
    its manifest line was written looks for that line and does not write it twice."""
    from workers import batches

    grant_all(redis_conn, "alice")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    real_read, real_put = batches.read_raw_lines, batches.put_entry

    def no_full_read(storage):
        raise AssertionError("read the whole manifest")

    def dies_before_indexing(*args, **kwargs):
        raise ConnectionError("killed after the manifest line")

    monkeypatch.setattr(batches, "read_raw_lines", no_full_read)
    monkeypatch.setattr(batches, "put_entry", dies_before_indexing)
    with pytest.raises(ConnectionError):
        seal(redis_conn, settings, batch_size=2)
    assert [e["op"] for e in read_manifest(store(settings))] == ["sealed"]
    assert redis_conn.hlen(keys.KEY_SEALING_INDEX) == 1

    monkeypatch.setattr(batches, "put_entry", real_put)
    monkeypatch.setattr(batches, "read_raw_lines", real_read)  # the finish looks for its line
    seal(redis_conn, settings, batch_size=2)
    entries = read_manifest(store(settings))
    assert [e["op"] for e in entries] == ["sealed"] and len(index_entries(redis_conn)) == 1
    check_chain(read_raw_lines(store(settings)))
