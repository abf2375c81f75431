"""The audit log: append-only and hash-chained, so an edited or deleted entry shows.

Entries live in one Redis list, oldest first, and are never trimmed: `archive` may move the
oldest to an append-only file under the data dir (`<data-dir>/audit/audit.jsonl`), which
`page` and `verify` read as the chain's start. Each entry holds `seq` (1, 2, ...), `at` (ms),
`actor` (the label of the admin token, "cli:<os user>" for the command line, or "employee"),
`action`, its details (ids and counts, never payloads), `prev_hash` and
`hash = sha256(prev_hash + canonical JSON of the entry without "hash")`. The first entry's
`prev_hash` is GENESIS. Appending is atomic across processes: the head (last seq and hash) is
WATCHed, and the entry and the new head are written in one MULTI.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from . import keys

GENESIS = "0" * 64
MAX_PAGE = 500
_RETRIES = 50


class AuditChainError(RuntimeError):
    """The audit log could not be appended to (too much contention)."""


class AuditArchiveError(ValueError):
    """A line of the audit archive file is not an audit entry (damaged or edited)."""


def canonical(entry: dict) -> str:
    """Return the canonical JSON of an entry without its `hash` (sorted keys, no spaces)."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _encode_new(entry: dict) -> str:
    """Return the JSON of an entry being appended; ValueError for NaN or Infinity, which JSON
    has not (a browser's JSON.parse fails on every page of the log holding one)."""
    try:
        return json.dumps(entry, sort_keys=True, allow_nan=False)
    except ValueError:
        raise ValueError(f"audit entry {entry['action']!r} holds NaN or Infinity") from None


def entry_hash(entry: dict) -> str:
    """Return the hash an entry must carry, given its `prev_hash`."""
    return hashlib.sha256((entry["prev_hash"] + canonical(entry)).encode()).hexdigest()


def append(r: redis.Redis, actor: str, action: str, **details) -> dict:
    """Append one entry to the chain and return it."""
    for _ in range(_RETRIES):
        with r.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(keys.KEY_AUDIT_HEAD)
                head = pipe.hgetall(keys.KEY_AUDIT_HEAD)
                seq = int(head.get(b"seq", 0)) + 1
                prev = head.get(b"hash", GENESIS.encode()).decode()
                entry = {
                    **details,
                    "seq": seq,
                    "at": int(time.time() * 1000),
                    "actor": actor,
                    "action": action,
                    "prev_hash": prev,
                }
                entry["hash"] = entry_hash(entry)
                encoded = _encode_new(entry)  # before MULTI: a refused entry writes nothing
                pipe.multi()
                pipe.rpush(keys.KEY_AUDIT_LOG, encoded)
                pipe.hset(keys.KEY_AUDIT_HEAD, mapping={"seq": seq, "hash": entry["hash"]})
                pipe.execute()
                return entry
            except redis.WatchError:
                continue
    raise AuditChainError("the audit log is too busy; the action was done but not audited")


def audit(r: redis.Redis, actor: str, action: str, **details) -> dict:
    """Append an action to the audit log (the name callers have always used)."""
    return append(r, actor, action, **details)


def archive_path(data_dir: Path) -> Path:
    """Return where archived audit entries are kept."""
    return Path(data_dir) / "audit" / "audit.jsonl"


def page(r: redis.Redis, before: int | None = None, limit: int = 100, archive=None) -> dict:
    """Return up to `limit` entries older than seq `before` (default: the newest), newest first.

    The answer's `next` is the cursor for the following (older) page, or None at the start.
    Entries older than what Redis holds are read from the `archive` file, if given.
    """
    first = _first_seq(r)
    archived = archive is not None and Path(archive).exists()
    if first is None or (before is not None and before <= first):
        return _page_archive(Path(archive), before, limit) if archived else _EMPTY
    last = first + r.llen(keys.KEY_AUDIT_LOG) - 1
    top = last if before is None else min(before - 1, last)
    bottom = max(first, top - limit + 1)
    raw = r.lrange(keys.KEY_AUDIT_LOG, bottom - first, top - first)
    entries = [json.loads(x) for x in reversed(raw)]
    if archived and bottom == first and first > 1 and len(entries) < limit:
        # The page reaches past what Redis holds: the rest of it comes from the archive, so a
        # page is short only at the log's start (it stopped at Redis's first entry).
        rest = _page_archive(Path(archive), first, limit - len(entries))
        return {"entries": entries + rest["entries"], "next": rest["next"]}
    older = bottom > first or (archived and first > 1)
    return {"entries": entries, "next": bottom if older else None}


_EMPTY = {"entries": [], "next": None}


def _archived(path: Path) -> Iterator[dict]:
    """Yield the archive's entries, oldest first; AuditArchiveError naming a line that is not
    one (paging and archiving would end in a JSON or key error: `overt audit verify` says more)."""
    for number, line in enumerate(_lines(path), 1):
        try:
            entry = json.loads(line)
            if isinstance(entry, dict) and isinstance(entry.get("seq"), int):
                yield entry
                continue
        except ValueError:
            pass
        raise AuditArchiveError(
            f"{path} line {number} is not a readable audit entry; run overt audit verify"
        )


def _page_archive(path: Path, before: int | None, limit: int) -> dict:
    older = [e for e in _archived(path) if before is None or e["seq"] < before]
    chosen = older[-limit:]
    return {"entries": chosen[::-1], "next": chosen[0]["seq"] if len(older) > limit else None}


def _lines(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield line.rstrip(b"\n")


def archive(r: redis.Redis, path: Path, keep: int) -> int:
    """Move all but the newest `keep` entries to the append-only file; return how many moved.

    Written and fsynced before they leave Redis; a run that dies in between is finished by the
    next one (entries already in the file are not written twice).
    """
    token = secrets.token_hex(8)
    if not r.set(keys.KEY_AUDIT_ARCHIVE_LOCK, token, nx=True, ex=300):
        raise AuditChainError("another audit archive run is in progress")
    try:
        count = r.llen(keys.KEY_AUDIT_LOG) - keep
        if count <= 0:
            return 0
        raw = r.lrange(keys.KEY_AUDIT_LOG, 0, count - 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        done = _last_archived_seq(path)
        with open(path, "ab") as fh:
            fh.writelines(line + b"\n" for line in raw if json.loads(line)["seq"] > done)
            fh.flush()
            os.fsync(fh.fileno())
        r.ltrim(keys.KEY_AUDIT_LOG, count, -1)  # appends go to the tail: the head is ours
        return count
    finally:
        if r.get(keys.KEY_AUDIT_ARCHIVE_LOCK) == token.encode():
            r.delete(keys.KEY_AUDIT_ARCHIVE_LOCK)


def _last_archived_seq(path: Path) -> int:
    if not path.exists():
        return 0
    last = 0
    for entry in _archived(path):
        last = entry["seq"]
    return last


def read_audit(r: redis.Redis, limit: int = 200, archive=None) -> list[dict]:
    """Return the newest audit entries first (from the `archive` file too, if given)."""
    return page(r, None, limit, archive)["entries"]


def _first_seq(r: redis.Redis) -> int | None:
    raw = r.lindex(keys.KEY_AUDIT_LOG, 0)
    return json.loads(raw)["seq"] if raw else None


def iter_entries(r: redis.Redis, chunk: int = 1000) -> Iterator[tuple[int, bytes]]:
    """Yield (position, raw JSON) of every stored entry, oldest first."""
    start = 0
    while batch := r.lrange(keys.KEY_AUDIT_LOG, start, start + chunk - 1):
        for i, raw in enumerate(batch):
            yield start + i, raw
        start += len(batch)


@dataclass(frozen=True)
class Verdict:
    """The outcome of verifying the chain: `broken_at` is None when intact."""

    checked: int
    broken_at: int | None = None  # seq (or position + 1 when unreadable) of the first bad entry
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(r: redis.Redis, archive: Path | None = None) -> Verdict:
    """Recompute the chain from the first entry (archive file first) and name the first misfit."""
    stored: Iterable[bytes] = (raw for _, raw in iter_entries(r))
    if archive is not None and Path(archive).exists():
        stored = itertools.chain(_lines(Path(archive)), stored)
    prev, expected_seq, checked = GENESIS, 1, 0
    for position, raw in enumerate(stored):
        try:
            entry = json.loads(raw)
            seq = entry["seq"]
            stored_prev, stored_hash = entry["prev_hash"], entry["hash"]
        except (ValueError, KeyError, TypeError):
            return Verdict(checked, position + 1, "entry is not a readable audit entry")
        if seq != expected_seq:
            return Verdict(checked, seq, f"expected entry {expected_seq}, found {seq}")
        if stored_prev != prev:
            return Verdict(checked, seq, "prev_hash does not match the previous entry's hash")
        if entry_hash(entry) != stored_hash:
            return Verdict(checked, seq, "hash does not match the entry's content")
        prev, expected_seq, checked = stored_hash, seq + 1, checked + 1
    head = r.hgetall(keys.KEY_AUDIT_HEAD)
    if head and int(head[b"seq"]) != checked:
        return Verdict(checked, checked + 1, f"entries after {checked} are missing")
    if head and head[b"hash"].decode() != prev:
        return Verdict(checked, checked, "the last entry is not the recorded head")
    return Verdict(checked)
