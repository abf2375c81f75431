"""The datasets manifest: `manifest.jsonl`, append-only and hash-chained.

One line per change to the dataset: a shard `sealed`, `rewritten` (new revision after an
erasure) or `deleted` (erasure that emptied it, or retention), and `dropped` lines that count
events kept out of the dataset in a time window no shard covers. Each line carries `prev`, the
sha256 of the line before it (64 zeros for the first), so an edited, removed or reordered line
breaks the chain. A copy syncs by reading the lines after the last one it saw.

Written only under the datasets lock. On a local disk new lines are appended and fsynced, after
reading only the manifest's last line (rewriting the whole file made every seal cost more as the
dataset grew): a line a crash left unfinished has no newline, so readers ignore it and the next
writer cuts it. Object storage has no append: there the whole object is replaced (atomic on S3).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .dataset_storage import Storage

MANIFEST = "manifest.jsonl"
GENESIS = "0" * 64
# Bytes read at a time from the manifest's end to find its last line.
TAIL_BLOCK = 8192


class ManifestError(ValueError):
    """The manifest or a file it describes does not match."""


def _encode(entry: dict) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()


def read_raw_lines(storage: Storage) -> list[bytes]:
    """Return the manifest's lines as stored (without newlines)."""
    raw = storage.read_or_none(MANIFEST) or b""
    complete = raw[: raw.rfind(b"\n") + 1]  # not a line a writer has not finished
    return [line for line in complete.split(b"\n") if line]


def parse_lines(lines: list[bytes]) -> list[dict]:
    """Return the entries of manifest lines; ManifestError naming the first that is not a JSON
    object (a line edited by hand, or a file that is not a manifest)."""
    return [_parse_line(raw, number) for number, raw in enumerate(lines, start=1)]


def _parse_line(raw: bytes, number: int) -> dict:
    try:
        entry = json.loads(raw)
    except ValueError:
        entry = None
    if not isinstance(entry, dict):
        raise ManifestError(f"{MANIFEST} line {number}: not a JSON object")
    return entry


def read_manifest(storage: Storage) -> list[dict]:
    """Return the manifest's entries, oldest first."""
    return parse_lines(read_raw_lines(storage))


def _local_tail(path: Path) -> tuple[int, bytes | None, int] | None:
    """Return the line count, last line and end offset of the last whole line of a manifest on
    disk, reading only its end; None when its last line does not say its number."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 (closed below)
    except FileNotFoundError:
        return 0, None, 0
    with fh:
        pos, buf = fh.seek(0, 2), b""
        while True:
            step = min(TAIL_BLOCK, pos)
            pos -= step
            fh.seek(pos)
            buf = fh.read(step) + buf
            end = buf.rfind(b"\n")
            start = buf.rfind(b"\n", 0, max(end, 0))
            if end != -1 and (start != -1 or pos == 0):
                break
            if pos == 0:  # not one whole line
                return 0, None, 0
    last = buf[start + 1 : end]
    try:
        number = json.loads(last)["line"]
    except (ValueError, TypeError, KeyError):
        return None
    return (number, last, pos + end + 1) if isinstance(number, int) and number > 0 else None


def last_line(storage: Storage) -> tuple[int, bytes | None]:
    """Return the manifest's number of lines and its last line (None when it has none)."""
    tail = None if storage.remote else _local_tail(Path(storage.full(MANIFEST)))
    if tail is None:
        lines = read_raw_lines(storage)
        return len(lines), (lines[-1] if lines else None)
    return tail[0], tail[1]


def append(
    storage: Storage, entries: list[dict], lines: list[bytes] | None = None
) -> tuple[int, bytes | None]:
    """Append `entries`, numbering and chaining them; return the manifest's line count and last
    line now.

    `lines`: the manifest's current lines, when the caller has just read them (they spare object
    storage a read; a local manifest is appended to after reading only its last line).
    """
    tail = None if storage.remote else _local_tail(Path(storage.full(MANIFEST)))
    if tail is None:  # object storage, or a last line that does not say its number
        lines = list(read_raw_lines(storage) if lines is None else lines)
        count, last, end = len(lines), (lines[-1] if lines else None), None
    else:
        count, last, end = tail
    prev = hashlib.sha256(last).hexdigest() if last else GENESIS
    new = []
    for entry in entries:
        raw = _encode({**entry, "line": count + len(new) + 1, "prev": prev})
        new.append(raw)
        prev = hashlib.sha256(raw).hexdigest()
    if not new:
        return count, last
    if tail is None:  # the whole manifest again, as it was read
        storage.write(MANIFEST, b"\n".join(lines + new) + b"\n")
    else:
        storage.append(MANIFEST, b"".join(raw + b"\n" for raw in new), end)
    return count + len(new), new[-1]


def mentions(lines: list[bytes], batch_id: str) -> bool:
    """Return whether any line is about `batch_id` (without parsing every line)."""
    needle = _encode({"batch_id": batch_id})[1:-1]
    return any(needle in line for line in lines)


# Manifest operations after which a shard exists (the others: "deleted").
LIVE = ("sealed", "rewritten")


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
        entry = _parse_line(raw, number)
        if entry.get("line") != number:
            raise ManifestError(f"{MANIFEST} line {number}: numbered {entry.get('line')}")
        if entry.get("prev") != prev:
            raise ManifestError(f"{MANIFEST} line {number}: prev hash does not match line before")
        prev = hashlib.sha256(raw).hexdigest()
