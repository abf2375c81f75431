"""Sealed datasets: shards and cards on disk (written atomically), their index and their lock.

Files are written with temp file + fsync + rename, so a reader sees the old file or the whole
new one. Every writer of shards (sealing, erasure, retention) holds `datasets_lock`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
from pathlib import Path

import redis

from . import keys
from .private import make_private_dir, open_private

# The lock is a lease renewed after every shard, so a writer that dies frees it within LOCK_LEASE;
# others wait up to LOCK_WAIT for it.
LOCK_LEASE = 15
LOCK_WAIT = 120


def datasets_lock(r: redis.Redis):
    """Return the lock that serialises every writer of shards (sealing, erasure, retention)."""
    return r.lock(keys.KEY_DATASETS_LOCK, timeout=LOCK_LEASE, blocking_timeout=LOCK_WAIT)


def batches_with(r: redis.Redis, contributor: str) -> list[dict]:
    """Return the index entries of sealed batches that hold records of `contributor`."""
    entries = [json.loads(v) for v in r.hvals(keys.KEY_BATCHES)]
    found = [e for e in entries if contributor in e.get("contributors", ())]
    return sorted(found, key=lambda e: (e.get("sealed_ms", 0), e["batch_id"]))


def shard_paths(datasets: Path, date: str, batch_id: str) -> tuple[Path, Path]:
    """Return the shard and card paths of a batch."""
    folder = Path(datasets) / date
    return folder / f"{batch_id}.jsonl.gz", folder / f"{batch_id}.card.json"


def encode_shard(records: list[dict]) -> bytes:
    """Return the gzip bytes of `records`, one JSON object per line, deterministically."""
    raw = io.BytesIO()
    # mtime=0: the same records give the same bytes, so a re-run after a crash is idempotent.
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        for rec in records:
            gz.write(json.dumps(rec, sort_keys=True, separators=(",", ":")).encode() + b"\n")
    return raw.getvalue()


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old file or the whole new one."""
    make_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)  # one left by a crash keeps its old mode
    try:
        with os.fdopen(open_private(tmp), "wb") as fh:  # 0600: datasets are not for every user
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full or read-only disk leaves nothing half-written
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def sha256(data: bytes) -> str:
    """Return the hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def read_shard(path: Path) -> list[dict]:
    """Return the records of a shard."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_card(path: Path) -> dict:
    """Return a dataset card."""
    return json.loads(Path(path).read_text())


def write_card(path: Path, card: dict) -> None:
    """Write a dataset card atomically."""
    atomic_write(path, (json.dumps(card, indent=2, sort_keys=True) + "\n").encode())
