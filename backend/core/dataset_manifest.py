"""The datasets manifest: `manifest.jsonl`, append-only and hash-chained.

One line per change to the dataset: a shard `sealed`, `rewritten` (new revision after an
erasure) or `deleted` (erasure that emptied it, or retention), and `dropped` lines that count
events kept out of the dataset in a time window no shard covers. Each line carries `prev`, the
sha256 of the line before it (64 zeros for the first), so an edited, removed or reordered line
breaks the chain. A copy syncs by reading the lines after the last one it saw. Written only under
the datasets lock, by a whole-object replace (atomic on a disk and on S3).
"""

from __future__ import annotations

import hashlib
import json

from .dataset_storage import Storage

MANIFEST = "manifest.jsonl"
GENESIS = "0" * 64


class ManifestError(ValueError):
    """The manifest or a file it describes does not match."""


def _encode(entry: dict) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()


def read_raw_lines(storage: Storage) -> list[bytes]:
    """Return the manifest's lines as stored (without newlines)."""
    raw = storage.read_or_none(MANIFEST) or b""
    return [line for line in raw.split(b"\n") if line]


def read_manifest(storage: Storage) -> list[dict]:
    """Return the manifest's entries, oldest first."""
    return [json.loads(line) for line in read_raw_lines(storage)]


def append(storage: Storage, entries: list[dict], lines: list[bytes] | None = None) -> list[bytes]:
    """Append `entries`, numbering and chaining them; return every line of the manifest now.

    `lines` are the manifest's current lines when the caller has just read them.
    """
    lines = list(read_raw_lines(storage) if lines is None else lines)
    prev = hashlib.sha256(lines[-1]).hexdigest() if lines else GENESIS
    for entry in entries:
        raw = _encode({**entry, "line": len(lines) + 1, "prev": prev})
        lines.append(raw)
        prev = hashlib.sha256(raw).hexdigest()
    if entries:
        storage.write(MANIFEST, b"\n".join(lines) + b"\n")
    return lines


def mentions(lines: list[bytes], batch_id: str) -> bool:
    """Return whether any line is about `batch_id` (without parsing every line)."""
    needle = _encode({"batch_id": batch_id})[1:-1]
    return any(needle in line for line in lines)


def latest(entries: list[dict]) -> dict[str, dict]:
    """Return, per batch id, the last manifest entry about its shard."""
    state: dict[str, dict] = {}
    for entry in entries:
        if entry.get("batch_id"):
            state[entry["batch_id"]] = entry
    return state


def check_chain(lines: list[bytes]) -> None:
    """Raise ManifestError naming the first line that breaks the numbering or the chain."""
    prev = GENESIS
    for number, raw in enumerate(lines, start=1):
        try:
            entry = json.loads(raw)
        except ValueError:
            raise ManifestError(f"{MANIFEST} line {number}: not JSON") from None
        if entry.get("line") != number:
            raise ManifestError(f"{MANIFEST} line {number}: numbered {entry.get('line')}")
        if entry.get("prev") != prev:
            raise ManifestError(f"{MANIFEST} line {number}: prev hash does not match line before")
        prev = hashlib.sha256(raw).hexdigest()
