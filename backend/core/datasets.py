"""Sealed datasets: shards (Parquet, zstd, the fixed record schema), cards, index and lock.

Layout under the datasets root (a directory or an `s3://` prefix, see dataset_storage.py):
`data/<YYYY-MM-DD>/<batch_id>.parquet`, `cards/<YYYY-MM-DD>/<batch_id>.card.json`,
`manifest.jsonl` and `README.md`. Shards sit alone under `data/` so that any Parquet reader
pointed at that folder finds shards and nothing else. Every writer of shards (sealing, erasure,
retention) holds `datasets_lock`.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import redis

from . import keys
from .dataset_manifest import (
    LIVE,
    ManifestError,
    latest,
    parse_lines,
    read_manifest,
    read_raw_lines,
)
from .dataset_schema import from_table, to_table
from .dataset_storage import Storage, atomic_write, open_storage

__all__ = ["Storage", "atomic_write", "open_storage"]

# The lock is a lease renewed after every shard, so a writer that dies frees it within LOCK_LEASE;
# others wait up to LOCK_WAIT for it.
LOCK_LEASE = 15
LOCK_WAIT = 120

SHARD_SUFFIX = ".parquet"
CARD_SUFFIX = ".card.json"
SHARD_GLOB = "data/*/*" + SHARD_SUFFIX
JSONL_GLOB = "data/*/*.jsonl"  # the shards of a JSONL export (backend/core/dataset_ops.py)
COMPRESSION = "zstd"


def datasets_lock(r: redis.Redis):
    """Return the lock that serialises every writer of shards (sealing, erasure, retention)."""
    return r.lock(keys.KEY_DATASETS_LOCK, timeout=LOCK_LEASE, blocking_timeout=LOCK_WAIT)


class DatasetsUnavailableError(RuntimeError):
    """A sealed batch the index lists is not in the datasets (moved, unmounted, or another
    OVERT_DATASETS_URL): what reads or rewrites it must not act as if it held nothing."""


def batches_with(r: redis.Redis, contributor: str) -> list[dict]:
    """Return the index entries of sealed batches that hold records of `contributor`."""
    entries = [json.loads(v) for v in r.hvals(keys.KEY_BATCHES)]
    found = [e for e in entries if contributor in e.get("contributors", ())]
    return sorted(found, key=lambda e: (e.get("sealed_ms", 0), e["batch_id"]))


def index_entries(r: redis.Redis) -> list[dict]:
    """Return every entry of the batch index."""
    return [json.loads(v) for v in r.hvals(keys.KEY_BATCHES)]


def shard_paths(date: str, batch_id: str) -> tuple[str, str]:
    """Return the shard and card paths of a batch, relative to the datasets root."""
    return f"data/{date}/{batch_id}{SHARD_SUFFIX}", f"cards/{date}/{batch_id}{CARD_SUFFIX}"


def card_path_of(shard: str) -> str:
    """Return the card path of a shard path."""
    _, date, name = shard.split("/")
    return f"cards/{date}/{name.removesuffix(SHARD_SUFFIX)}{CARD_SUFFIX}"


def encode_shard(records: list[dict]) -> bytes:
    """Return the Parquet bytes of `records`; the same records give the same bytes."""
    out = io.BytesIO()
    pq.write_table(to_table(records), out, compression=COMPRESSION)
    return out.getvalue()


def open_shard(data: bytes, path: str) -> pq.ParquetFile:
    """Open the bytes of the Parquet shard at `path`; a ValueError naming it when they are not
    Parquet (pyarrow's own message names only a '<Buffer>')."""
    try:
        return pq.ParquetFile(io.BytesIO(data))
    except (pa.ArrowException, OSError):
        raise ValueError(
            f"{path}: not a readable Parquet shard (damaged or replaced); run overt datasets verify"
        ) from None


def decode_shard(data: bytes) -> list[dict]:
    """Return the records of a shard's bytes (null columns of other event types left out)."""
    return from_table(pq.read_table(io.BytesIO(data)))


def read_shard(path: str | Path, storage: Storage | None = None) -> list[dict]:
    """Return the records of a shard: a local file, or a path relative to `storage`."""
    data = storage.read(str(path)) if storage else Path(path).read_bytes()
    return decode_shard(data)


def sha256(data: bytes) -> str:
    """Return the hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def read_card(path: str | Path, storage: Storage | None = None) -> dict:
    """Return a dataset card: a local file, or a path relative to `storage`."""
    data = storage.read(str(path)) if storage else Path(path).read_bytes()
    return json.loads(data)


def encode_card(card: dict) -> bytes:
    """Return the bytes of a card as written."""
    return (json.dumps(card, indent=2, sort_keys=True) + "\n").encode()


def write_card(storage: Storage, path: str, card: dict) -> None:
    """Write a dataset card atomically."""
    storage.write(path, encode_card(card))


def manifest_entry(op: str, card: dict, card_bytes: bytes, at: str, reason: str | None = None):
    """Return the manifest line of a shard sealed or rewritten, described by its card."""
    return {
        "op": op,
        "at": at,
        "reason": reason,
        "batch_id": card["batch_id"],
        "path": card["shard"],
        "card": card_path_of(card["shard"]),
        "revision": card["revision"],
        "sha256": card["sha256"],
        "card_sha256": sha256(card_bytes),
        "events": card["events"],
        "contributors": card["contributors"],
    }


class Shard(str):
    """A shard's path, with the sha256 its manifest line names (None in a dataset without a
    manifest): `read_shard_checked` refuses other bytes."""

    sha256: str | None = None
    line: int | None = None


def shards_to_read(storage: Storage) -> list[Shard]:
    """The shards the manifest holds as live, in path order (`shards_and_head`)."""
    return shards_and_head(storage)[0]


def shards_and_head(storage: Storage) -> tuple[list[Shard], int, str | None]:
    """The shards the manifest holds as live, in path order, with the manifest's line count and
    the sha256 of its last line (None when it has none): what a split or a steps export was
    made from, which their cards name. ManifestError naming a live shard that is not there (a
    copy or a sync cut short): reading the others alone would give a dataset without it, and
    say nothing.

    Only those: a shard file the manifest says is deleted (an erasure's delete cut short, a
    backup put back) or never sealed is not read, so a split or a steps export never carries
    records an erasure removed (`overt datasets verify` names such a file). A dataset without
    a manifest (shards written by hand) is read as it lies.
    """
    paths = storage.glob(SHARD_GLOB)
    lines = read_raw_lines(storage)
    entries = parse_lines(lines)
    if not entries:
        return [Shard(path) for path in paths], 0, None
    present = set(paths)
    if not present and storage.glob(JSONL_GLOB):
        raise ManifestError(
            f"{storage.url} is a JSONL export: this reads the Parquet shards; use the datasets "
            f"location or a copy made with export --format parquet"
        )
    shards = []
    for entry in latest(entries).values():
        if entry.get("op") in LIVE:
            if entry.get("path") not in present:
                raise ManifestError(f"{entry['path']}: missing (manifest line {entry['line']})")
            shard = Shard(entry["path"])
            shard.sha256, shard.line = entry["sha256"], entry["line"]
            shards.append(shard)
    return sorted(shards), len(lines), sha256(lines[-1])


def read_shard_checked(storage: Storage, shard: str) -> bytes:
    """Return a shard's bytes; ManifestError when they are not those its manifest line names
    (damaged, or replaced, such as by a revision from before an erasure)."""
    expected = getattr(shard, "sha256", None)
    try:
        data = storage.read(shard)
    except FileNotFoundError:
        if expected is None:
            raise
        data = None
    if expected is not None and (data is None or sha256(data) != expected):
        now = latest(read_manifest(storage)).get(_batch_of(shard))
        if now is not None and now["line"] != shard.line:  # an erasure or retention meanwhile
            raise ManifestError(
                f"{shard}: {now['op']} by manifest line {now['line']} while it was read; "
                f"nothing written: run the command again"
            )
        problem = "missing" if data is None else "sha256 does not match"
        raise ManifestError(
            f"{shard}: {problem} manifest line {shard.line} (damaged or replaced); nothing "
            f"written: run overt datasets verify"
        )
    return data


def _batch_of(shard: str) -> str:
    return shard.rsplit("/", 1)[-1].removesuffix(SHARD_SUFFIX)
