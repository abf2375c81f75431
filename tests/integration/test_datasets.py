"""Datasets people can load, trust and sync: fixed schema, Parquet, cards, manifest, CLI.

Every test runs twice: datasets in a local folder, and in a bucket of a real S3 server.
"""

from __future__ import annotations

import hashlib
import json
import time

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from backend.cli import main
from backend.core import keys
from backend.core.consent import set_consent
from backend.core.dataset_manifest import GENESIS, read_manifest, read_raw_lines
from backend.core.dataset_schema import NAMES, arrow_schema
from backend.core.dataset_storage import Storage, open_storage
from backend.core.datasets import encode_card, sha256
from backend.core.employees import authenticate
from backend.core.erase import erase_employee
from backend.core.intake import Intake
from backend.core.policy import get_policy, put_policy
from tests.conftest import WORK_ORIGIN
from tests.helpers import assert_license_header, make_event
from tests.integration.me_helpers import contributor, queue_raw, seal
from tests.integration.storage import all_records, assert_card_matches, card_of, shards, store

pytestmark = pytest.mark.both_storages

WIRE_TYPES = (
    "page_view",
    "route_change",
    "click",
    "submit",
    "scroll",
    "tab_focus",
    "visibility",
    "input_activity",
)


def trajectory_events() -> list[dict]:
    """Events of the types the schema already holds columns for (queued as a backend would)."""
    now = int(time.time() * 1000)
    base = {"url": "https://app.example.com/t", "session": "s1", "tab": "t1", "page": "g1"}
    return [
        {
            **base,
            "id": f"00000000-0000-4000-8000-00000000000{i}",
            "ts": now + i,
            "step": i,
            **extra,
        }
        for i, extra in enumerate(
            [
                {
                    "type": "observation",
                    "elements": [
                        {"bid": "b1", "role": "button", "tag": "button", "box": [1.0, 2.0, 3, 4]}
                    ],
                },
                {
                    "type": "change",
                    "target": {"selector": "#c", "tag": "input", "role": "checkbox"},
                    "checked": True,
                },
                {"type": "key", "key": "Enter", "mods": ["Shift"]},
                {"type": "task_start", "task": "k1", "goal": "File a ticket"},
                {"type": "task_end", "task": "k1", "outcome": "done"},
            ]
        )
    ]


TRAJECTORY_CATEGORY = {
    "observation": "page_structure",
    "change": "forms",
    "key": "typing",
    "task_start": "tasks",
    "task_end": "tasks",
}


def grant_all(r, *employees) -> None:
    """Grant every category (and the planned ones) to `employees`, from a minute ago."""
    policy = get_policy(r)
    for employee in employees:
        set_consent(r, employee, dict.fromkeys(policy["categories"], True), policy, "dev_test")
        since = int(time.time() * 1000) - 60_000
        grants = {c: since for c in (*policy["categories"], "page_structure", "tasks")}
        r.hset(keys.key(keys.KEY_CONSENT, employee=employee), mapping=grants)


def queue_typed(r, employee: str, events: list[dict]) -> None:
    """Queue events whose category is not in the wire table yet."""
    for event in events:
        entry = {
            "e": employee,
            "t": "default",
            "d": "dev_test",
            "c": TRAJECTORY_CATEGORY[event["type"]],
            "r": int(time.time() * 1000),
            "ev": event,
        }
        r.lpush(keys.KEY_INCOMING, json.dumps(entry, separators=(",", ":")))


def mixed_run(r, settings) -> int:
    """Seal shards of every event type from alice and bob, bob alone in one; return events."""
    grant_all(r, "alice", "bob")
    queue_raw(r, "bob", [make_event("click"), make_event("scroll")])
    seal(r, settings, batch_size=2)  # a shard of bob only: his erasure will empty it
    for kind in WIRE_TYPES:
        queue_raw(r, "alice", [make_event(kind)])
        queue_raw(r, "bob", [make_event(kind)])
    queue_typed(r, "alice", trajectory_events())
    seal(r, settings, batch_size=7)
    return 2 + 2 * len(WIRE_TYPES) + 5


def local_copy(settings, tmp_path):
    """Return a local folder holding the dataset (an `overt datasets export` for S3)."""
    if settings.datasets_url is None:
        return settings.datasets_dir
    out = tmp_path / "copy"
    result = CliRunner().invoke(main, ["datasets", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_every_shard_loads_everywhere_after_an_erasure(redis_conn, settings, tmp_path, monkeypatch):
    """HF datasets, pandas, pyarrow.dataset and DuckDB load every shard, every column typed."""
    total = mixed_run(redis_conn, settings)
    before = len(shards(settings))
    receipt = erase_employee(redis_conn, settings.datasets_location, settings.secret, "bob")
    expected = total - receipt["removed_sealed"]
    assert receipt["removed_sealed"] == 2 + len(WIRE_TYPES)
    assert len(shards(settings)) == before - 1, "the shard of bob alone is deleted"
    deleted = [e for e in read_manifest(store(settings)) if e["op"] == "deleted"]
    assert [(e["reason"], e["events"]) for e in deleted] == [("erasure", 0)]

    storage = store(settings)
    if storage.remote:
        from pyarrow.fs import FSSpecHandler, PyFileSystem

        fs = PyFileSystem(FSSpecHandler(storage.fs))
        table = pads.dataset(storage.full("data"), filesystem=fs, format="parquet").to_table()
    else:
        table = pads.dataset(storage.full("data"), format="parquet").to_table()
    assert table.num_rows == expected
    assert table.schema.equals(arrow_schema(), check_metadata=False)

    folder = local_copy(settings, tmp_path)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets

    ds = datasets.load_dataset(
        "parquet", data_dir=str(folder / "data"), split="train", cache_dir=str(tmp_path / "c")
    )
    assert ds.num_rows == expected and ds.column_names == list(NAMES)
    assert ds.features["depth"].dtype == "int64" and ds.features["ts"].dtype == "int64"
    assert ds.features["checked"].dtype == "bool"
    assert ds.features["target"]["label"].dtype == "string"
    by_card = datasets.load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "c2"))
    assert by_card.num_rows == expected and by_card.features == ds.features

    import pandas as pd

    frame = pd.read_parquet(folder / "data", dtype_backend="numpy_nullable")
    assert len(frame) == expected
    for column in ("ts", "depth", "fields", "count", "step"):
        assert str(frame[column].dtype) == "Int64", column
    assert frame["depth"].dropna().tolist() == [40]

    import duckdb

    glob = str(folder / "data" / "*" / "*.parquet")
    con = duckdb.connect()
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{glob}')").fetchall()
    columns = {row[0]: row[1] for row in described}
    assert list(columns) == list(NAMES)
    assert columns["depth"] == "BIGINT" and columns["checked"] == "BOOLEAN"
    assert columns["mods"] == "VARCHAR[]"
    (count,) = con.execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchone()
    assert count == expected
    (key,) = con.execute(f"SELECT key FROM read_parquet('{glob}') WHERE type = 'key'").fetchone()
    assert key == "Enter"


def test_record_keeps_the_policy_version_it_was_captured_under(redis_conn, settings, admin):
    """An event accepted before a policy change and sealed after it keeps the old version."""
    admin.set_policy()
    token = admin.enroll("alice")
    admin.set_consent(token, {"clicks": True})
    intake = Intake(redis_conn, lambda: None)
    ident = authenticate(redis_conn, token)
    old = get_policy(redis_conn)
    intake.accept(ident, 1, [make_event("click")], [WORK_ORIGIN], policy_version=old["version"])
    new, lapsed = put_policy(redis_conn, {**old, "retention_days": old["retention_days"] + 1})
    assert not lapsed and new["version"] != old["version"]
    intake.accept(ident, 2, [make_event("click")], [WORK_ORIGIN], policy_version=new["version"])
    seal(redis_conn, settings)

    versions = sorted(r["policy_version"] for r in all_records(settings))
    assert versions == sorted([old["version"], new["version"]])
    (shard,) = shards(settings)
    card = card_of(settings, shard)
    assert card["policy_versions"] == {old["version"]: 1, new["version"]: 1}
    assert card["policy"]["version"] == new["version"]  # the terms in force at sealing


def test_drops_land_on_their_own_window(redis_conn, settings):
    """Events dropped minutes ago are not counted on the card of a shard sealed now."""
    grant_all(redis_conn, "alice")
    since = int(redis_conn.hget(keys.key(keys.KEY_CONSENT, employee="alice"), "clicks"))
    long_ago = since - 10 * 60_000
    queue_raw(redis_conn, "alice", [make_event("click", ts=long_ago + i) for i in range(3)])
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings)

    (shard,) = shards(settings)
    assert card_of(settings, shard)["drops_by_reason"] == {}
    (dropped,) = [e for e in read_manifest(store(settings)) if e["op"] == "dropped"]
    assert dropped["drops_by_reason"] == {"before_consent": 3}
    start = dropped["window"]["start"]
    end = dropped["window"]["end"]
    from backend.core.dataset_cards import iso

    assert start <= iso(long_ago) <= end < card_of(settings, shard)["time_window"]["start"]
    assert redis_conn.hlen(keys.KEY_DROPS) == 0


def test_drops_inside_a_window_are_counted_on_its_card(redis_conn, settings):
    """Events dropped at sealing time (consent withdrawn meanwhile) count on their own card."""
    grant_all(redis_conn, "alice", "bob")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    queue_raw(redis_conn, "bob", [make_event("click") for _ in range(3)])
    from tests.integration.me_helpers import stage_all

    stage_all(redis_conn)
    redis_conn.hdel(keys.key(keys.KEY_CONSENT, employee="bob"), "clicks")  # bypass the purge
    seal(redis_conn, settings)
    (shard,) = shards(settings)
    assert card_of(settings, shard)["drops_by_reason"] == {"no_consent": 3}
    assert_card_matches(settings, shard)


def test_erased_shard_revision_hash_and_counts(redis_conn, settings):
    """An erasure writes revision 2 with its own sha256, counts, window and events per policy
    version, in the manifest and the dataset's README card too."""
    grant_all(redis_conn, "alice", "bob")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(3)])
    queue_raw(redis_conn, "bob", [make_event("scroll") for _ in range(2)])
    seal(redis_conn, settings)
    (shard,) = shards(settings)
    first = card_of(settings, shard)
    (version,) = first["policy_versions"]

    erase_employee(redis_conn, settings.datasets_location, settings.secret, "bob")

    card = assert_card_matches(settings, shard)
    assert card["revision"] == 2 and card["sha256"] != first["sha256"]
    assert card["policy_versions"] == {version: 3}
    assert card["events"] == 3 and card["counts_by_type"] == {"click": 3}
    assert card["time_window"] is not None and card["contributors"] == 1
    assert [r["sha256"] for r in card["revisions"]] == [first["sha256"], card["sha256"]]
    ops = [(e["op"], e.get("revision"), e.get("reason")) for e in read_manifest(store(settings))]
    assert ops == [("sealed", 1, None), ("rewritten", 2, "erasure")]
    last = read_manifest(store(settings))[-1]
    assert last["sha256"] == card["sha256"] and last["events"] == 3
    assert contributor("bob") not in store(settings).read(shard).decode("latin-1")
    readme = store(settings).read("README.md").decode()
    assert "| events | 3 |" in readme and "configs:" in readme
    assert f"| policy versions in the records | `{version}` (3) |" in readme, readme
    assert_license_header(readme)


def cli(*args, env: dict | None = None):
    """Run `overt datasets ...` in-process (with `env` on top of the environment)."""
    return CliRunner().invoke(main, ["datasets", *args], env=env)


def test_verify_passes_then_fails_on_a_flipped_byte(redis_conn, settings):
    """`overt datasets verify` accepts an intact dataset and names a shard with a flipped byte."""
    grant_all(redis_conn, "alice")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(4)])
    seal(redis_conn, settings, batch_size=2)
    ok = cli("verify")
    assert ok.exit_code == 0 and "ok: 2 shard(s), 4 event(s)" in ok.output, ok.output

    shard = shards(settings)[1]
    data = bytearray(store(settings).read(shard))
    data[len(data) // 2] ^= 0x01
    store(settings).write(shard, bytes(data))
    bad = cli("verify")
    assert bad.exit_code == 1 and shard in bad.output and "sha256" in bad.output


def test_verify_fails_on_an_edited_manifest_line(redis_conn, settings):
    """Changing one manifest line breaks the chain at the next line."""
    grant_all(redis_conn, "alice")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(4)])
    seal(redis_conn, settings, batch_size=2)
    lines = store(settings).read("manifest.jsonl").split(b"\n")
    lines[0] = lines[0].replace(b'"events":2', b'"events":1')
    store(settings).write("manifest.jsonl", b"\n".join(lines))
    bad = cli("verify")
    assert bad.exit_code == 1 and "manifest.jsonl line 2" in bad.output, bad.output


def test_verify_fails_on_a_missing_or_stale_readme(redis_conn, settings):
    """The dataset card names the manifest's last line: a missing card is said to be missing, a
    card from before the last line is said to be stale."""
    grant_all(redis_conn, "alice")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings)
    readme = store(settings).read("README.md")
    assert store(settings).delete("README.md")
    missing = cli("verify")
    assert missing.exit_code == 1 and "README.md: missing" in missing.output, missing.output
    last = store(settings).read("manifest.jsonl").strip().split(b"\n")[-1]
    head = hashlib.sha256(last).hexdigest().encode()
    assert head in readme
    store(settings).write("README.md", readme.replace(head, b"0" * 64))
    stale = cli("verify")
    assert stale.exit_code == 1 and "does not name the last manifest line" in stale.output


@pytest.mark.parametrize(
    "stray", ["data/x/train/0.parquet", "data/2026-01-01/notes.json", "data/readme.txt"]
)
def test_verify_fails_on_a_file_under_data_that_is_no_shard(redis_conn, settings, stray):
    """Readers pointed at data/ load every file under it: one the manifest does not list as a
    live shard, at any depth, is a fault (only data/*/*.parquet was looked at); a hidden file, as
    a crash leaves while writing, is skipped by those readers and by verify."""
    grant_all(redis_conn, "alice")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings)
    shard = shards(settings)[0]
    hidden = shard.rsplit("/", 1)[0] + "/.b.parquet.tmp-123"
    store(settings).write(hidden, b"half a shard")
    assert cli("verify").exit_code == 0
    store(settings).write(stray, store(settings).read(shard))
    bad = cli("verify")
    assert bad.exit_code == 1 and f"{stray}: not a shard in manifest.jsonl" in bad.output


def beside(settings, name: str) -> Storage:
    """Return a location beside the dataset's on its back end (a folder, or a prefix of its
    bucket), for a copy verified there."""
    return open_storage(settings.datasets_location.rsplit("/", 1)[0] + "/" + name)


def put(folder, target: Storage) -> str:
    """Write every file of the local `folder` into `target`; return its URL."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            target.write(path.relative_to(folder).as_posix(), path.read_bytes())
    return target.url


def rebuild(copy: Storage) -> None:
    """Rebuild the copy end to end, as one who wanted it to hold other records would: the
    first shard without its last record, its card, every manifest line from there on (new
    hashes, chained again) and the dataset card naming the new last line."""
    lines = read_raw_lines(copy)
    readme = copy.read("README.md")
    entry = json.loads(lines[0])
    table = pq.read_table(pa.BufferReader(copy.read(entry["path"])))
    sink = pa.BufferOutputStream()
    pq.write_table(table.slice(0, table.num_rows - 1), sink, compression="zstd")
    data = sink.getvalue().to_pybytes()
    card = {**json.loads(copy.read(entry["card"])), "sha256": sha256(data), "events": 1}
    copy.write(entry["path"], data)
    copy.write(entry["card"], encode_card(card))
    entry.update(sha256=card["sha256"], card_sha256=sha256(encode_card(card)), events=1)
    new, prev = [], GENESIS
    for raw in [json.dumps(entry).encode(), *lines[1:]]:
        raw = json.dumps({**json.loads(raw), "prev": prev}, sort_keys=True, separators=(",", ":"))
        new.append(raw.encode())
        prev = sha256(new[-1])
    copy.write("manifest.jsonl", b"".join(raw + b"\n" for raw in new))
    copy.write("README.md", readme.replace(sha256(lines[-1]).encode(), prev.encode()))


def test_verify_head_and_against_anchor_a_copy_to_its_source(redis_conn, settings, tmp_path):
    """`verify` proves a copy's files agree with its manifest, and its manifest with itself: a
    copy rebuilt end to end with other records (fresh hashes, chained again) passes as well.
    `--head` (the sha256 of the source's line the copy ends at, which `list` and the source's
    README.md print) and `--against` (the source, whose lines the copy's must be) tell it
    apart, exit 1; a copy the source has grown past still passes both for what it holds."""
    grant_all(redis_conn, "alice")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(4)])
    seal(redis_conn, settings, batch_size=2)
    source = settings.datasets_location
    head = sha256(read_raw_lines(store(settings))[-1])
    listed = cli("list")
    assert f"manifest: 2 line(s), last line sha256 {head}" in listed.output, listed.output
    assert head.encode() in store(settings).read("README.md")
    exported = tmp_path / "export"
    assert cli("export", "--out", str(exported)).exit_code == 0
    copy = put(exported, beside(settings, "copy"))
    rebuilt = beside(settings, "rebuilt")
    put(exported, rebuilt)
    rebuild(rebuilt)

    def verify(url: str, *args: str):
        return cli("verify", *args, env={"OVERT_DATASETS_URL": url})

    plain = verify(rebuilt.url)
    assert plain.exit_code == 0 and "ok: 2 shard(s), 3 event(s)" in plain.output, plain.output
    for args in (["--head", head], ["--head", head.upper()], ["--against", source]):
        ok = verify(copy, *args)
        assert ok.exit_code == 0 and "ok: 2 shard(s), 4 event(s)" in ok.output, (args, ok.output)
        assert "anchored: " in ok.output, ok.output
    both = verify(copy, "--head", head, "--against", source)
    assert both.exit_code == 0 and both.output.count("anchored: ") == 2, both.output
    jsonl = tmp_path / "jsonl"  # it carries the source's manifest lines as they are
    assert cli("export", "--format", "jsonl", "--out", str(jsonl)).exit_code == 0
    assert verify(str(jsonl), "--head", head, "--against", source).exit_code == 0
    bad = verify(rebuilt.url, "--head", head)
    assert bad.exit_code == 1, bad.output
    assert f"no line of manifest.jsonl has the --head sha256 {head}" in bad.stderr, bad.output
    bad = verify(rebuilt.url, "--against", source)
    assert bad.exit_code == 1, bad.output
    assert f"manifest.jsonl line 1 is not line 1 of {source}" in bad.stderr, bad.output

    # The source grows: the copy holds its first two lines still, and not the third.
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings, batch_size=2)
    later = sha256(read_raw_lines(store(settings))[-1])
    assert verify(copy, "--against", source).exit_code == 0
    assert verify(copy, "--head", head).exit_code == 0
    bad = verify(copy, "--head", later)
    assert bad.exit_code == 1 and "not synced up to that line" in bad.stderr, bad.output
    # The source verified with the copy's head: lines after it are not anchored by it.
    bad = cli("verify", "--head", head)
    assert bad.exit_code == 1, bad.output
    assert "line 2 has the --head sha256, but the manifest goes on to line 3" in bad.stderr
    bad = cli("verify", "--against", copy)
    assert bad.exit_code == 1 and f"3 line(s), {copy} only 2" in bad.stderr, bad.output
    assert cli("verify", "--head", later, "--against", source).exit_code == 0


def test_a_jsonl_export_verifies_and_syncs(redis_conn, settings, tmp_path):
    """A JSONL copy is checked as the Parquet one is: each file against what it was made from."""
    from backend.core.dataset_ops import JSONL_INDEX, verify
    from backend.core.dataset_storage import open_storage

    grant_all(redis_conn, *[f"e{i}" for i in range(6)])
    for i in range(6):
        queue_raw(redis_conn, f"e{i}", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings, batch_size=4)
    out = tmp_path / "jsonl"
    assert cli("export", "--format", "jsonl", "--out", str(out)).exit_code == 0
    assert verify(open_storage(out)) == {"lines": 3, "shards": 3, "events": 12}
    ok = cli("verify", env={"OVERT_DATASETS_URL": str(out)})
    assert ok.exit_code == 0, ok.output

    # An erasure rewrites a shard; the copy syncs from where it was and still verifies.
    seen = len(read_manifest(store(settings)))
    erase_employee(redis_conn, settings.datasets_location, settings.secret, "e0")
    again = cli("export", "--format", "jsonl", "--out", str(out), "--since", str(seen))
    assert again.exit_code == 0, again.output
    assert verify(open_storage(out))["events"] == 10
    index = json.loads((out / JSONL_INDEX).read_text())
    assert len(index) == 3 and all(name.endswith(".jsonl") for name in index)

    # `list` names the copy's own files; commands that read Parquet shards say it is JSONL.
    listed = cli("list", "--json", env={"OVERT_DATASETS_URL": str(out)})
    rows = json.loads(listed.output)
    assert {r["path"]: r["sha256"] for r in rows} == {n: e["sha256"] for n, e in index.items()}
    for args in (
        ["split", "--out", str(tmp_path / "parts")],
        ["export", "--format", "steps", "--out", str(tmp_path / "steps")],
    ):
        refused = cli(*args, env={"OVERT_DATASETS_URL": str(out)})
        assert refused.exit_code == 2 and "is a JSONL export" in refused.output, refused.output

    victim = next(out.glob("data/*/*.jsonl"))
    victim.write_bytes(victim.read_bytes().replace(b'"click"', b'"clack"', 1))
    bad = cli("verify", env={"OVERT_DATASETS_URL": str(out)})
    assert bad.exit_code == 1 and "sha256 does not match" in bad.output, bad.output
    victim.unlink()
    bad = cli("verify", env={"OVERT_DATASETS_URL": str(out)})
    assert bad.exit_code == 1 and "missing" in bad.output, bad.output


def test_a_jsonl_export_loads_with_hugging_face(redis_conn, settings, tmp_path, monkeypatch):
    """`load_dataset(<JSONL copy>)` types every column from the copy's card, though most
    columns are null in some file (a reader that guesses types per file cannot do it)."""
    from backend.core.dataset_ops import verify
    from backend.core.dataset_storage import open_storage

    total = mixed_run(redis_conn, settings)
    out = tmp_path / "jsonl"
    assert cli("export", "--format", "jsonl", "--out", str(out)).exit_code == 0
    readme = (out / "README.md").read_text()
    from huggingface_hub import DatasetCard

    files = DatasetCard(readme).data.configs[0]["data_files"]
    assert files == [{"split": "train", "path": "data/*/*.jsonl"}], files
    assert_license_header(readme)
    assert verify(open_storage(out))["events"] == total
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets

    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "c"))
    parquet = datasets.load_dataset(
        "parquet", data_dir=str(local_copy(settings, tmp_path) / "data"), split="train"
    )
    assert ds.num_rows == total and ds.features == parquet.features
    assert sorted(ds["id"]) == sorted(parquet["id"])


def test_list_export_since_and_split(redis_conn, settings, tmp_path):
    """A copy syncs from a manifest line; a split keeps each contributor on one side."""
    grant_all(redis_conn, *[f"e{i}" for i in range(12)])
    for i in range(12):
        queue_raw(redis_conn, f"e{i}", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings, batch_size=8)
    listed = cli("list", "--json")
    assert listed.exit_code == 0 and len(json.loads(listed.output)) == 3

    out = tmp_path / "mirror"
    first = cli("export", "--out", str(out))
    assert first.exit_code == 0 and "exported 3 shard(s)" in first.output, first.output
    seen = len(read_manifest(store(settings)))
    erase_employee(redis_conn, settings.datasets_location, settings.secret, "e0")
    again = cli("export", "--out", str(out), "--since", str(seen))
    assert "exported 1 shard(s), removed 0" in again.output, again.output
    from backend.core.dataset_ops import verify
    from backend.core.dataset_storage import open_storage

    assert verify(open_storage(out))["events"] == 22

    jsonl = tmp_path / "jsonl"
    assert cli("export", "--format", "jsonl", "--out", str(jsonl)).exit_code == 0
    line = json.loads(next(jsonl.glob("data/*/*.jsonl")).read_text().splitlines()[0])
    assert list(line) == list(NAMES) and isinstance(line["ts"], int) and line["depth"] is None

    parts = tmp_path / "split"
    result = cli("split", "--by", "contributor", "--val", "0.3", "--out", str(parts))
    assert result.exit_code == 0 and "warning" not in result.stderr, result.output
    sides = {}
    for side in ("train", "validation"):
        table = pads.dataset(parts / side, format="parquet").to_table()
        sides[side] = set(table.column("contributor").to_pylist())
    assert sides["train"] and sides["validation"] and not sides["train"] & sides["validation"]
    again = tmp_path / "split2"
    cli("split", "--val", "0.3", "--out", str(again))
    table = pads.dataset(again / "validation", format="parquet").to_table()
    assert set(table.column("contributor").to_pylist()) == sides["validation"]  # stable


def test_a_split_made_again_after_an_erasure_holds_nothing_erased(redis_conn, settings, tmp_path):
    """Splitting into the same folder again leaves no file of the last run behind: a shard's
    part whose only contributor was erased is gone, not kept from before."""
    from backend.core.dataset_ops import split_of

    names = [f"e{i}" for i in range(12)]
    sides = {name: split_of(contributor(name), 0.5) for name in names}
    kept = next(n for n in names if sides[n] == "train")
    erased = next(n for n in names if sides[n] == "validation")
    grant_all(redis_conn, kept, erased)
    queue_raw(redis_conn, kept, [make_event("click") for _ in range(2)])
    queue_raw(redis_conn, erased, [make_event("click") for _ in range(2)])
    seal(redis_conn, settings)
    parts = tmp_path / "split"
    assert cli("split", "--val", "0.5", "--out", str(parts)).exit_code == 0
    assert len(list(parts.glob("validation/*.parquet"))) == 1

    erase_employee(redis_conn, settings.datasets_location, settings.secret, erased)
    result = cli("split", "--val", "0.5", "--out", str(parts))
    assert result.exit_code == 0 and "validation: 0 event(s)" in result.output, result.output
    assert "warning: the validation split is empty" in result.stderr, result.stderr
    assert list(parts.glob("validation/*.parquet")) == []
    table = pads.dataset(parts, format="parquet").to_table()
    assert set(table.column("contributor").to_pylist()) == {contributor(kept)}


def test_schema_command_prints_json_schema_and_arrow(settings):
    """`overt datasets schema` publishes the JSON Schema and the Arrow schema."""
    doc = json.loads(cli("schema").output)
    assert doc["required"] == list(NAMES) and doc["properties"]["depth"]["type"] == [
        "integer",
        "null",
    ]
    arrow = cli("schema", "--format", "arrow").output
    assert "depth: int64" in arrow and "overt_schema_version: '3'" in arrow
    assert isinstance(arrow_schema().field("ts").type, pa.DataType)
    assert "omitted" not in arrow and "..." not in arrow, "every type in full"
    for field in arrow_schema():
        assert f"\n{field.name}: {field.type}" in "\n" + arrow, field.name


def test_unreadable_storage_is_a_one_line_error(settings, monkeypatch):
    """A bad OVERT_DATASETS_URL gives one line and exit 2, not a traceback."""
    monkeypatch.setenv("OVERT_DATASETS_URL", "nosuch://bucket/x")
    result = cli("list")
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output


def test_me_export_reads_sealed_records(redis_conn, settings):
    """The /me export finds the employee's sealed records wherever the datasets live."""
    from backend.core.export import collected, export

    grant_all(redis_conn, "alice", "bob")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(3)])
    queue_raw(redis_conn, "bob", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings)
    doc = export(redis_conn, settings.datasets_location, settings.secret, "alice")
    (batch,) = doc["sealed"]
    assert len(batch["records"]) == 3
    assert {r["contributor"] for r in batch["records"]} == {contributor("alice")}
    counts = collected(redis_conn, settings.datasets_location, settings.secret, "alice")
    assert counts["counts"]["by_stage"]["sealed"] == 3
