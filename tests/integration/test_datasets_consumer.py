"""The datasets as the ML team that receives them uses them: what a split, a steps export and a
synced copy hold when the folder holds more (or other bytes) than the manifest says, when the
dataset changes during an export, and whether `verify` sees an edited dataset card.

Every test runs twice: datasets in a local folder, and in a bucket of a real S3 server.
"""

from __future__ import annotations

import json
from collections import Counter

import pyarrow.dataset as pads
import pytest
import yaml

from backend.core import dataset_ops
from backend.core.dataset_manifest import ManifestError, read_manifest
from backend.core.dataset_storage import Storage, open_storage
from backend.core.erase import erase_employee
from tests.conftest import SECRET
from tests.helpers import make_event
from tests.integration.me_helpers import contributor, queue_raw, seal
from tests.integration.storage import records, shards, store
from tests.integration.test_datasets import cli, grant_all

pytestmark = pytest.mark.both_storages


def two_people(r, settings) -> tuple[str, bytes]:
    """Seal a shard of bob alone, then shards of alice and bob together; return bob's own
    shard and its bytes (his erasure deletes it)."""
    grant_all(r, "alice", "bob")
    queue_raw(r, "bob", [make_event("key", step=i) for i in range(2)])
    seal(r, settings, batch_size=2)
    (own,) = shards(settings)
    for i in range(3):  # alternately, so that each shard holds both
        queue_raw(r, "alice", [make_event("key", step=10 + i)])
        queue_raw(r, "bob", [make_event("key", step=20 + i)])
    seal(r, settings, batch_size=2)
    return own, store(settings).read(own)


def contributors_of_shard(settings, shard: str) -> set[str]:
    return {r["contributor"] for r in records(settings, shard)}


def contributors_of(folder) -> set[str]:
    table = pads.dataset(folder, format="parquet").to_table()
    return set(table.column("contributor").to_pylist())


def test_split_and_steps_read_the_manifests_shards_not_what_else_lies_there(
    redis_conn, settings, tmp_path
):
    """After an erasure, a shard the manifest says is deleted may still lie in the folder (a
    delete cut short, a restored backup): `verify` names it, and a split or a steps export must
    not carry the erased contributor's records into training data. They read the shards the
    manifest holds as live, as `export` does."""
    own, data = two_people(redis_conn, settings)
    erase_employee(redis_conn, settings.datasets_location, settings.secret, "bob")
    assert own not in shards(settings)
    store(settings).write(own, data)  # the shard file the erasure's delete left behind
    assert cli("verify").exit_code == 1

    parts = tmp_path / "split"
    result = cli("split", "--val", "0.5", "--out", str(parts))
    assert result.exit_code == 0, result.output
    assert contributors_of(parts) == {contributor("alice")}

    result = cli("export", "--format", "steps", "--out", str(tmp_path / "steps"))
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "steps" / "steps.jsonl").read_text().splitlines()
    assert lines and {json.loads(line)["contributor"] for line in lines} == {contributor("alice")}


def test_split_and_steps_refuse_a_shard_that_is_not_the_manifests(redis_conn, settings, tmp_path):
    """A live shard whose bytes are not those its manifest line names (here the revision from
    before an erasure, put back) stops a split and a steps export with one line naming it, as
    it stops `export`: training on it would train on erased records."""
    two_people(redis_conn, settings)
    both = {contributor("alice"), contributor("bob")}
    mixed = next(s for s in shards(settings) if contributors_of_shard(settings, s) == both)
    before = store(settings).read(mixed)
    erase_employee(redis_conn, settings.datasets_location, settings.secret, "bob")
    store(settings).write(mixed, before)

    for args in (
        ["split", "--val", "0.5", "--out", str(tmp_path / "split")],
        ["export", "--format", "steps", "--out", str(tmp_path / "steps")],
        ["export", "--out", str(tmp_path / "copy")],
    ):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert mixed in result.output and "sha256" in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert not list((tmp_path / "split").glob("*/*.parquet"))
    assert not (tmp_path / "steps" / "steps.jsonl").exists()


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
@pytest.mark.parametrize("when", ["first", "last"])
def test_an_export_during_an_erasure_copies_the_manifest_it_applied(
    redis_conn, settings, tmp_path, monkeypatch, when, fmt
):
    """An erasure that lands while an export copies shards, after its first shard (it rewrites
    shards not copied yet) or its last (only shards already copied): the export neither fails
    nor claims lines it did not apply. Its manifest ends at the line the copy applied, the copy
    verifies, and the sync from the line it printed (the copy's own last line) makes it the
    same, file for file, as a new export. It copied the manifest as it was at the end (naming
    the erasure it never applied: a copy that failed `verify`, and that a sync from its own
    last line left holding the erased records), or stopped on a "damaged or replaced" shard."""
    grant_all(redis_conn, "alice", "bob")
    for _ in range(3):
        queue_raw(redis_conn, "alice", [make_event("click")])
        queue_raw(redis_conn, "bob", [make_event("click")])
    seal(redis_conn, settings, batch_size=2)
    real = dataset_ops._checked_copy
    calls: list = []

    def erasure_meanwhile(storage, entry, *args):
        copied = real(storage, entry, *args)
        calls.append(entry["batch_id"])
        if len(calls) == (1 if when == "first" else 3):
            erase_employee(redis_conn, settings.datasets_location, settings.secret, "bob")
        return copied

    monkeypatch.setattr(dataset_ops, "_checked_copy", erasure_meanwhile)
    out = tmp_path / "copy"
    result = cli("export", "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.output
    copy = open_storage(out)
    last = read_manifest(copy)[-1]["line"]
    assert f"manifest at line {last} (next: --since {last})" in result.output, result.output
    dataset_ops.verify(copy)
    monkeypatch.setattr(dataset_ops, "_checked_copy", real)

    assert cli("export", "--format", fmt, "--out", str(out), "--since", str(last)).exit_code == 0
    assert dataset_ops.verify(copy)["events"] == 3
    held = [json.loads(x) for p in out.glob("data/*/*.jsonl") for x in p.read_text().splitlines()]
    names = contributors_of(out / "data") if fmt == "parquet" else {r["contributor"] for r in held}
    assert names == {contributor("alice")}
    fresh = tmp_path / "fresh"
    assert cli("export", "--format", fmt, "--out", str(fresh)).exit_code == 0
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    for path in files:
        assert (out / path).read_bytes() == (fresh / path).read_bytes(), path


def card_header(text: str) -> dict:
    return yaml.safe_load(text.split("---\n")[1])


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_verify_names_a_dataset_card_whose_header_is_not_the_schema(
    redis_conn, settings, tmp_path, fmt
):
    """The dataset card's YAML header is what `load_dataset(<folder>)` reads the data with: a
    card whose features or data files were edited loads the data wrongly (or not at all), and
    `verify`, which checked only that it names the manifest's last line, passed it."""
    grant_all(redis_conn, "alice")
    queue_raw(redis_conn, "alice", [make_event("scroll", depth=40) for _ in range(2)])
    seal(redis_conn, settings)
    out = tmp_path / fmt
    assert cli("export", "--format", fmt, "--out", str(out)).exit_code == 0
    env = {"OVERT_DATASETS_URL": str(out)}
    assert cli("verify", env=env).exit_code == 0
    readme = (out / "README.md").read_text()
    header = card_header(readme)
    features = header["dataset_info"]["features"]
    depth = next(f for f in features if f["name"] == "depth")
    assert depth == {"name": "depth", "dtype": "int64"}

    edits = {
        "a feature's type": (
            "  - name: depth\n    dtype: int64",
            "  - name: depth\n    dtype: string",
        ),
        "a feature left out": ("  - name: depth\n    dtype: int64\n", ""),
        "the data files": ("path: data/*/*.", "path: data/2026-*/*."),
    }
    for what, (old, new) in edits.items():
        assert old in readme, what
        (out / "README.md").write_text(readme.replace(old, new, 1))
        bad = cli("verify", env=env)
        assert bad.exit_code == 1 and "README.md" in bad.output, (what, bad.output)
    (out / "README.md").write_text(readme)
    assert cli("verify", env=env).exit_code == 0


def test_a_sync_from_a_line_the_copy_never_saw_is_refused(redis_conn, settings, tmp_path):
    """`--since N` names the last line the copy applied; a copy whose manifest is shorter (N
    mistyped, or taken from another copy) or differs at line N (a copy of another dataset, or
    of one made again since) would skip changes it never saw, an erasure among them, and say
    nothing. Refused with one line (exit 2) before anything is copied; the copy's own last line
    syncs it."""
    grant_all(redis_conn, "alice", "bob")
    for _ in range(2):
        queue_raw(redis_conn, "alice", [make_event("click")])
        queue_raw(redis_conn, "bob", [make_event("click")])
    seal(redis_conn, settings, batch_size=2)
    out = tmp_path / "copy"
    assert cli("export", "--out", str(out)).exit_code == 0
    erase_employee(redis_conn, settings.datasets_location, settings.secret, "bob")
    lines = len(read_manifest(store(settings)))
    assert lines == 4
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    past = cli("export", "--out", str(out), "--since", "3")
    assert past.exit_code == 2 and "--since 3" in past.output, past.output
    assert "manifest.jsonl ends at line 2" in past.output and "--since 2" in past.output
    manifest = out / "manifest.jsonl"
    original = manifest.read_bytes()
    other = original.replace(b'"events":2', b'"events":3', 1)
    manifest.write_bytes(other)
    before[manifest] = other
    differs = cli("export", "--out", str(out), "--since", "2")
    assert differs.exit_code == 2 and "line 1" in differs.output, differs.output
    assert "another dataset" in differs.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before

    fresh = tmp_path / "fresh"
    assert (
        cli("export", "--out", str(fresh), "--since", "2").exit_code == 0
    )  # a new folder: as before
    manifest.write_bytes(original)
    synced = cli("export", "--out", str(out), "--since", "2")
    assert synced.exit_code == 0, synced.output
    assert dataset_ops.verify(open_storage(out))["events"] == 2
    assert contributors_of(out / "data") == {contributor("alice")}


def test_a_steps_export_and_a_split_name_the_manifest_line_they_were_made_from(
    redis_conn, settings, tmp_path
):
    """The terms of use say to apply every later line of manifest.jsonl (erasures) to any copy
    kept: a steps export or a split must say which line it holds the dataset as of, or no one
    can tell whether an erasure since reached it. The steps card names the line and its sha256;
    every split file carries them in its Parquet metadata (which readers ignore: a card in the
    split's folder would stop `pyarrow.dataset` and pandas reading the folder)."""
    import hashlib

    import pyarrow.parquet as pq

    two_people(redis_conn, settings)
    erase_employee(redis_conn, settings.datasets_location, settings.secret, "bob")
    lines = store(settings).read("manifest.jsonl").splitlines()
    last = hashlib.sha256(lines[-1]).hexdigest()

    steps = tmp_path / "steps"
    assert cli("export", "--format", "steps", "--out", str(steps)).exit_code == 0
    assert f"line {len(lines)} (sha256 `{last}`)" in (steps / "README.md").read_text()

    parts = tmp_path / "split"
    assert cli("split", "--val", "0.5", "--out", str(parts)).exit_code == 0
    files = sorted(parts.glob("*/*.parquet"))
    assert files and {p.name for p in parts.iterdir()} <= {"train", "validation"}
    for path in files:
        meta = pq.read_schema(path).metadata
        assert meta[b"overt_manifest_line"] == str(len(lines)).encode()
        assert meta[b"overt_manifest_sha256"] == last.encode()
        assert meta[b"overt_schema_version"] == b"3"
    assert pads.dataset(parts, format="parquet").to_table().num_rows == 3


def test_a_split_during_an_erasure_says_to_run_it_again(
    redis_conn, settings, tmp_path, monkeypatch
):
    """An erasure that rewrites a shard while a split reads the dataset stops the split before
    it writes anything, saying so: it said the shard was damaged and to run `verify`, which
    then found nothing wrong. Run again, the split holds the erasure."""
    two_people(redis_conn, settings)
    real = dataset_ops.read_shard_checked
    erased: list = []

    def erasure_meanwhile(storage, shard):
        if not erased:
            erased.append(erase_employee(redis_conn, settings.datasets_location, SECRET, "bob"))
        return real(storage, shard)

    monkeypatch.setattr(dataset_ops, "read_shard_checked", erasure_meanwhile)
    parts = tmp_path / "split"
    result = cli("split", "--val", "0.5", "--out", str(parts))
    assert result.exit_code == 2, result.output
    assert "by manifest line" in result.output and "run the command again" in result.output
    assert not list(parts.glob("*/*.parquet"))
    assert cli("verify").exit_code == 0
    again = cli("split", "--val", "0.5", "--out", str(parts))
    assert again.exit_code == 0, again.output
    assert contributors_of(parts) == {contributor("alice")}


def test_verify_names_a_shard_whose_schema_is_not_the_others(redis_conn, settings, tmp_path):
    """Readers of data/ load every shard as one table: a shard of another schema (here one
    column fewer), though every hash and the chain agree with it, is named by `verify`."""
    import hashlib

    import pyarrow as pa
    import pyarrow.parquet as pq

    grant_all(redis_conn, "alice")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(4)])
    seal(redis_conn, settings, batch_size=2)
    out = tmp_path / "copy"
    assert cli("export", "--out", str(out)).exit_code == 0
    env = {"OVERT_DATASETS_URL": str(out)}
    assert cli("verify", env=env).exit_code == 0

    entries = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    victim = entries[-1]
    table = pq.read_table(out / victim["path"]).drop_columns(["y"])
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    (out / victim["path"]).write_bytes(sink.getvalue().to_pybytes())
    card = json.loads((out / victim["card"]).read_text())
    card["sha256"] = victim["sha256"] = hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()
    (out / victim["card"]).write_text(json.dumps(card))
    victim["card_sha256"] = hashlib.sha256((out / victim["card"]).read_bytes()).hexdigest()
    prev, lines = "0" * 64, []
    for entry in entries:  # the chain made again, as someone rewriting the copy would
        raw = json.dumps({**entry, "prev": prev}, sort_keys=True, separators=(",", ":"))
        lines.append(raw)
        prev = hashlib.sha256(raw.encode()).hexdigest()
    old_head = hashlib.sha256((out / "manifest.jsonl").read_bytes().splitlines()[-1]).hexdigest()
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    readme = (out / "README.md").read_text().replace(old_head, prev)
    (out / "README.md").write_text(readme)

    bad = cli("verify", env=env)
    assert bad.exit_code == 1, bad.output
    assert "its schema is not that of" in bad.output and victim["path"] in bad.output


class CountingStorage(Storage):
    """The datasets storage, counting the reads of each file: a real `Storage`, every read
    still goes to the folder or the S3 server. `then`, when given, runs after the first read of
    a shard."""

    def __init__(self, url: str, then=None):
        super().__init__(url)
        self.reads: Counter = Counter()
        self.then = then

    def read(self, rel: str) -> bytes:
        data = super().read(rel)
        self.reads[rel] += 1
        if self.then is not None and rel.startswith("data/"):
            self.then, then = None, self.then
            then()
        return data


def files_of(folder) -> dict[str, bytes]:
    """Return every file under `folder`, hidden ones included, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_a_split_reads_each_shard_once(redis_conn, settings, tmp_path):
    """Each shard is read once, checked and split (it was read twice: once to check every
    shard before anything was written, then again to split it; on S3, twice the GETs). A
    staging folder a killed split left is gone after the next, and only train/ and validation/
    are left in the folder."""
    two_people(redis_conn, settings)
    parts = tmp_path / "split"
    (parts / dataset_ops.SPLIT_STAGING / "train").mkdir(parents=True)
    (parts / dataset_ops.SPLIT_STAGING / "train" / "killed.parquet").write_bytes(b"half")
    counting = CountingStorage(settings.datasets_location)
    result = dataset_ops.split(counting, parts, 0.5)
    assert {s: counting.reads[s] for s in shards(settings)} == dict.fromkeys(shards(settings), 1)
    assert result["train"]["events"] + result["validation"]["events"] == 8
    assert {p.name for p in parts.iterdir()} <= {"train", "validation"}
    assert contributors_of(parts) == {contributor("alice"), contributor("bob")}


@pytest.mark.parametrize("fault", ["damaged", "gone while the split reads"])
def test_a_split_stopped_by_its_last_shard_leaves_the_last_split_as_it_was(
    redis_conn, settings, tmp_path, fault
):
    """The split before an erasure is in the folder; split again, the dataset's last shard is
    damaged (or deleted after the first shard was read): the split stops naming it, and the
    folder holds the earlier split byte for byte, with no staged file of the shards before it
    and no staging folder (the split stages each shard's files as it reads it)."""
    two_people(redis_conn, settings)
    parts = tmp_path / "split"
    assert cli("split", "--val", "0.5", "--out", str(parts)).exit_code == 0
    before = files_of(parts)
    erase_employee(redis_conn, settings.datasets_location, settings.secret, "bob")
    *others, last = shards(settings)
    assert others, "shards before the last one are staged before it stops the split"
    if fault == "damaged":
        data = bytearray(store(settings).read(last))
        data[len(data) // 2] ^= 0x01
        store(settings).write(last, bytes(data))
        result = cli("split", "--val", "0.5", "--out", str(parts))
        assert result.exit_code == 2 and last in result.output, result.output
        assert "sha256 does not match" in result.output, result.output
    else:
        counting = CountingStorage(settings.datasets_location, lambda: store(settings).delete(last))
        with pytest.raises(ManifestError, match=f"{last}: missing"):
            dataset_ops.split(counting, parts, 0.5)
        assert counting.reads[others[0]] == 1 and not counting.reads[last]
    assert files_of(parts) == before
    assert not (parts / dataset_ops.SPLIT_STAGING).exists()


def test_storage_moves_a_file_and_deletes_a_folder(settings):
    """What a split's staging runs on (`Storage.move`, `Storage.delete_folder`), on either back
    end: a move replaces the file it lands on and leaves none behind; a folder goes whole, and
    one that is not there is no error."""
    storage = open_storage(settings.datasets_location)
    storage.write("s/.staging/train/a.parquet", b"new")
    storage.write("s/.staging/validation/b.parquet", b"b")
    storage.write("s/train/a.parquet", b"old")
    storage.move("s/.staging/train/a.parquet", "s/train/a.parquet")
    assert storage.read("s/train/a.parquet") == b"new"
    assert not storage.exists("s/.staging/train/a.parquet")
    storage.delete_folder("s/.staging")
    assert storage.files_under("s") == ["s/train/a.parquet"]
    storage.delete_folder("s/.staging")
