"""What `overt datasets` does: list, verify, export (sync), split by contributor.

All of it reads only the datasets storage (a folder or `s3://`), never Redis: anyone holding a
copy of the datasets can run it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .dataset_manifest import (
    LIVE,
    MANIFEST,
    ManifestError,
    check_chain,
    latest,
    parse_lines,
    read_raw_lines,
)
from .dataset_readme import README, for_jsonl, header_problem
from .dataset_schema import arrow_schema, hf_features
from .dataset_storage import Storage, open_storage
from .datasets import (
    JSONL_GLOB,
    SHARD_GLOB,
    card_path_of,
    open_shard,
    read_shard_checked,
    sha256,
    shards_and_head,
)

# In a JSONL export, what each JSONL file holds: its sha256 and that of the Parquet shard it was
# made from (the one its card and manifest line name), so `verify` can check the copy too.
JSONL_INDEX = "jsonl-index.json"


def jsonl_name(path: str) -> str:
    """Return the JSONL export's name of a shard path."""
    return path.removesuffix(".parquet") + ".jsonl"


def live_shards(entries: list[dict]) -> dict[str, dict]:
    """Return batch id -> latest manifest entry, for shards that still exist."""
    return {b: e for b, e in latest(entries).items() if e["op"] in LIVE}


def list_shards_and_head(storage: Storage) -> tuple[list[dict], int, str | None]:
    """Return one row per existing shard (path, events, contributors, revision, sha256), the
    manifest's line count and its last line's sha256 (None when it has none: what `overt
    datasets verify --head` takes). In a JSONL export, the rows name the JSONL file made from
    each shard, and its sha256 (from its index)."""
    lines = read_raw_lines(storage)
    entries = parse_lines(lines)
    raw_index = storage.read_or_none(JSONL_INDEX)
    index = json.loads(raw_index) if raw_index is not None else None
    rows = []
    for batch_id, entry in sorted(live_shards(entries).items()):
        path, digest = entry["path"], entry["sha256"]
        if index is not None:
            path = jsonl_name(path)
            digest = (index.get(path) or {}).get("sha256", "")
        rows.append(
            {
                "batch_id": batch_id,
                "path": path,
                "events": entry["events"],
                "contributors": entry["contributors"],
                "revision": entry["revision"],
                "sha256": digest,
                "line": entry["line"],
            }
        )
    return rows, len(lines), (hashlib.sha256(lines[-1]).hexdigest() if lines else None)


def verify(storage: Storage, head: str | None = None, against: Storage | None = None) -> dict:
    """Check the manifest chain and every file against it; raise ManifestError at a fault.

    The chain proves only that the files agree with one another: a copy rebuilt end to end
    (shards and manifest written again, with fresh hashes) agrees too. `head` anchors it: the
    sha256 the source gives for the line the copy claims to end at (`check_head`); `against`,
    the source itself, whose lines the copy's must be (`check_against`).
    """
    lines = read_raw_lines(storage)
    check_chain(lines)
    entries = parse_lines(lines)
    live = live_shards(entries)
    features = None  # those of the first live shard (a JSONL copy's card: the record schema's)
    first = None
    raw_index = storage.read_or_none(JSONL_INDEX)
    index = json.loads(raw_index) if raw_index is not None else None  # a JSONL export
    for batch_id, entry in sorted(live.items()):
        if index is None:
            path, expected = entry["path"], entry["sha256"]
        else:
            path, made = jsonl_name(entry["path"]), index.get(jsonl_name(entry["path"]))
            if made is None or made["source_sha256"] != entry["sha256"]:
                raise ManifestError(
                    f"{path}: {JSONL_INDEX} does not name it as made from manifest line "
                    f"{entry['line']}"
                )
            expected = made["sha256"]
        data = storage.read_or_none(path)
        if data is None:
            raise ManifestError(f"{path}: missing (manifest line {entry['line']})")
        if sha256(data) != expected:
            what = f"manifest line {entry['line']}" if index is None else JSONL_INDEX
            raise ManifestError(f"{path}: sha256 does not match {what}")
        if index is None:  # one schema for every shard, and the card types them as they are
            schema = pq.read_schema(pa.BufferReader(data))
            if first is None:
                first, features = (path, schema), hf_features(schema)
            elif not schema.equals(first[1], check_metadata=True):
                raise ManifestError(
                    f"{path}: its schema is not that of {first[0]} (readers of data/ load every "
                    f"shard as one table)"
                )
        card = storage.read_or_none(entry["card"])
        if card is None or sha256(card) != entry["card_sha256"]:
            raise ManifestError(
                f"{entry['card']}: missing or sha256 does not match line {entry['line']}"
            )
        if json.loads(card)["sha256"] != entry["sha256"]:
            raise ManifestError(f"{entry['card']}: describes another revision of {batch_id}")
    known = {e["path"] if index is None else jsonl_name(e["path"]) for e in live.values()}
    for path in storage.glob(SHARD_GLOB if index is None else JSONL_GLOB):
        if path not in known:
            raise ManifestError(f"{path}: not in {MANIFEST} (or deleted there)")
    # A reader pointed at data/ loads every file under it (docs/datasets.md, "Layout"); hidden
    # ones (a temporary file a crash left, `.<name>.tmp-<pid>`) are skipped by Arrow and datasets.
    for path in storage.files_under("data"):
        if path not in known and not path.rsplit("/", 1)[-1].startswith((".", "_")):
            raise ManifestError(f"{path}: not a shard in {MANIFEST}, but readers of data/ load it")
    readme = (storage.read_or_none(README) or b"").decode()
    # A JSONL export made before it had a dataset card has none.
    wanted = index is None or readme
    if wanted and lines and not readme:
        raise ManifestError(f"{README}: missing (the dataset card names the manifest's last line)")
    if wanted and lines and hashlib.sha256(lines[-1]).hexdigest() not in readme:
        raise ManifestError(f"{README}: does not name the last manifest line's sha256")
    problem = header_problem(readme, SHARD_GLOB if index is None else JSONL_GLOB, features)
    if wanted and lines and problem:
        raise ManifestError(f"{README}: {problem}")
    if head is not None:
        check_head(lines, head)
    if against is not None:
        check_against(lines, against)
    return {
        "lines": len(lines),
        "shards": len(live),
        "events": sum(e["events"] for e in live.values()),
    }


def check_head(lines: list[bytes], head: str) -> None:
    """Raise ManifestError unless the last of the manifest `lines` has sha256 `head`.

    By the chain each line's `prev` is the sha256 of the line before, so the last line's sha256
    stands for every line: a copy whose last line has the sha256 the source gives for that line
    holds the source's manifest up to it, line for line. A line before the last with that sha256
    is a fault too: the lines after it are not anchored by it.
    """
    head = head.lower()
    digests = [hashlib.sha256(line).hexdigest() for line in lines]
    if digests and digests[-1] == head:
        return
    if head in digests:
        number = digests.index(head) + 1
        raise ManifestError(
            f"{MANIFEST} line {number} has the --head sha256, but the manifest goes on to line "
            f"{len(lines)}: lines {number + 1}-{len(lines)} are not anchored by it; give the "
            f"sha256 the source has for line {len(lines)}, or --against the source"
        )
    last = f"its last line, {len(lines)}, has sha256 {digests[-1]}" if lines else "it is empty"
    raise ManifestError(
        f"no line of {MANIFEST} has the --head sha256 {head} ({last}): this is not the dataset "
        f"as of that line (rebuilt, a copy of another dataset, or not synced up to that line)"
    )


def check_against(lines: list[bytes], source: Storage) -> None:
    """Raise ManifestError unless the manifest `lines` are the first lines of `source`'s
    manifest, one for one (the source may have grown since the copy was made)."""
    theirs = read_raw_lines(source)
    for number, (mine, other) in enumerate(zip(lines, theirs, strict=False), start=1):
        if mine != other:
            raise ManifestError(
                f"{MANIFEST} line {number} is not line {number} of {source.url}: not a copy of "
                f"that dataset (rebuilt, or a copy of another dataset)"
            )
    if len(lines) > len(theirs):
        raise ManifestError(
            f"{MANIFEST} has {len(lines)} line(s), {source.url} only {len(theirs)}: lines "
            f"{len(theirs) + 1}-{len(lines)} are not the source's"
        )


def _refuse_other_format(target: Storage, out: Path, fmt: str) -> None:
    """Raise ValueError when `target` holds a copy in the other format: the two would lie side
    by side under data/, where readers load every file and `verify` finds strangers."""
    other = "parquet" if fmt == "jsonl" else "jsonl"
    held = target.glob(SHARD_GLOB) if other == "parquet" else target.glob(JSONL_GLOB)
    if held or (other == "jsonl" and target.exists(JSONL_INDEX)):
        raise ValueError(
            f"--out {out} holds a {other} copy: a {fmt} export there would mix the two formats "
            f"under data/; export into another folder (or empty this one)"
        )


def _records_to_jsonl(data: bytes, path: str) -> bytes:
    # Every column on every line, null included: JSON readers then agree on the columns.
    rows = open_shard(data, path).read().to_pylist()
    return b"".join(json.dumps(row, separators=(",", ":")).encode() + b"\n" for row in rows)


class _Changed(Exception):
    """The dataset changed while an export read it (a seal, an erasure or a retention run
    wrote manifest lines after the ones the export was applying)."""


def _checked_copy(storage: Storage, entry: dict, seen: int) -> tuple[bytes, bytes]:
    """Return a live shard's bytes and its card's, or raise ManifestError when either is not what
    the manifest line says (damaged or replaced): a copy must not carry it on unnoticed. When the
    manifest has grown past the `seen` lines meanwhile, the shard may have been rewritten or
    deleted by them: _Changed, and the export starts again from the new lines."""
    try:
        data, card = storage.read(entry["path"]), storage.read_or_none(entry["card"])
    except FileNotFoundError:
        if len(read_raw_lines(storage)) > seen:
            raise _Changed from None
        raise
    damaged = sha256(data) != entry["sha256"] or card is None
    if (damaged or sha256(card) != entry["card_sha256"]) and len(read_raw_lines(storage)) > seen:
        raise _Changed
    if sha256(data) != entry["sha256"]:
        raise ManifestError(
            f"{entry['path']}: sha256 does not match manifest line {entry['line']} (damaged or "
            f"replaced); nothing more copied: run overt datasets verify"
        )
    if card is None or sha256(card) != entry["card_sha256"]:
        raise ManifestError(
            f"{entry['card']}: missing or sha256 does not match manifest line {entry['line']}; "
            f"nothing more copied: run overt datasets verify"
        )
    return data, card


# How many times an export starts again when the dataset changes under it.
EXPORT_TRIES = 5
EXPORT_BACKOFF = 0.2  # seconds before the second try, doubled at each (3 s in all)


def _snapshot(storage: Storage) -> tuple[list[bytes], bytes | None]:
    """Return manifest lines and the dataset card that names the last of them.

    A seal, an erasure or a retention run appends its lines and then rewrites the card: a card
    that names an earlier line (written before lines appended since) makes the snapshot end at
    that line; one that names none of them (rewritten after the lines were read) makes it read
    the manifest again. Without a card naming a line (none yet, or an old JSONL copy) every
    line is taken, with the card as it is.
    """
    for _ in range(EXPORT_TRIES):
        lines = read_raw_lines(storage)
        check_chain(lines)  # a line edited or broken is a fault, even one the card does not name
        readme = storage.read_or_none(README)
        if not lines or readme is None:
            return lines, readme
        text = readme.decode(errors="replace")
        for end in range(len(lines), 0, -1):
            if hashlib.sha256(lines[end - 1]).hexdigest() in text:
                return lines[:end], readme
    return lines, readme


def _refuse_unseen(target: Storage, out: Path, lines: list[bytes], since: int) -> None:
    """Raise ValueError when the copy in `target` cannot have applied the dataset's lines up to
    `since`: its manifest is shorter, or differs from the dataset's (a copy of another dataset,
    or of one made again since). A sync from there would skip changes it never saw. A folder
    without a manifest is not checked (an export of the changes alone, as before)."""
    if not since:
        return
    held = read_raw_lines(target)
    if not held:
        return
    if len(held) < since:
        raise ValueError(
            f"--since {since} is past what the copy in --out {out} has seen: its {MANIFEST} ends "
            f"at line {len(held)}; sync with --since {len(held)}"
        )
    for number, (mine, theirs) in enumerate(zip(held[:since], lines, strict=False), start=1):
        if mine != theirs:
            raise ValueError(
                f"--out {out}: its {MANIFEST} line {number} is not this dataset's: the copy is of "
                f"another dataset (or of one made again since); export into a new folder"
            )


def export(storage: Storage, out: Path, fmt: str = "parquet", since: int = 0) -> dict:
    """Copy (or update) the dataset into `out`: shards changed after manifest line `since`.

    Shards deleted after `since` are removed from `out` if it holds them. The manifest and cards
    are copied whole; `out` is then a copy that `overt datasets verify` accepts. In JSONL, each
    shard becomes `<batch>.jsonl`, `jsonl-index.json` names what each was made from, and the
    dataset card names the JSONL files (its features type every column for readers). A `since`
    past the manifest's end is a ValueError (no copy can have seen it), before anything is
    written. Returns the shards copied, the shards removed from `out` (a file it held: a new copy
    never holds a deleted shard), the records copied and the manifest's lines.

    The copy is the dataset as of one manifest line: the copy's manifest ends at the last line
    whose changes it applied, and its card is the one that names that line (`_snapshot`), so a
    seal or an erasure that lands during the export is neither half applied nor claimed as
    seen. When a shard to copy was changed by lines written meanwhile, the export starts again
    from the new lines (what it copied stays: those files are rewritten only if changed).
    """
    target = open_storage(out)
    lines = read_raw_lines(storage)
    if since > len(lines):
        raise ValueError(
            f"--since {since} is past the manifest's end (line {len(lines)}): a copy can only "
            f"have seen lines up to {len(lines)}; export again with --since {len(lines)} or less"
        )
    _refuse_other_format(target, out, fmt)
    _refuse_unseen(target, out, lines, since)
    for attempt in range(EXPORT_TRIES):
        lines, readme = _snapshot(storage)
        if len(lines) < since:  # the card lags behind lines the copy already applied
            return {"copied": 0, "removed": 0, "records": 0, "lines": since}
        try:
            result = _apply(storage, target, lines, fmt, since)
        except _Changed:
            if attempt == EXPORT_TRIES - 1:
                raise ManifestError(
                    f"the dataset changed {EXPORT_TRIES} times during the export (sealing, "
                    f"erasure or retention): nothing more copied; export again"
                ) from None
            # An erasure or a retention run rewrites its card last: give it time to finish.
            time.sleep(EXPORT_BACKOFF * 2**attempt)
            continue
        break
    target.write(MANIFEST, b"".join(line + b"\n" for line in lines))
    text = (readme or b"").decode()
    target.write(README, (text if fmt == "parquet" else for_jsonl(text)).encode())
    return result


def _apply(storage: Storage, target: Storage, lines: list[bytes], fmt: str, since: int) -> dict:
    """Apply the changes of manifest `lines` after line `since` to the copy `target`."""
    check_chain(lines)
    entries = parse_lines(lines)
    index = None
    if fmt == "jsonl":
        index = json.loads(target.read_or_none(JSONL_INDEX) or b"{}") if since else {}
    copied = removed = records = 0
    for _, entry in sorted(latest(entries).items()):
        if entry["line"] <= since:
            continue
        name = entry["path"] if fmt == "parquet" else jsonl_name(entry["path"])
        if entry["op"] == "deleted":
            removed += target.delete(name)
            target.delete(card_path_of(entry["path"]))
            if index is not None:
                index.pop(name, None)
            continue
        data, card = _checked_copy(storage, entry, len(lines))
        if index is not None:
            data, source = _records_to_jsonl(data, entry["path"]), sha256(data)
            index[name] = {"sha256": sha256(data), "source_sha256": source}
        target.write(name, data)
        target.write(entry["card"], card)
        copied += 1
        records += entry["events"]
    if index is not None:  # before the manifest: a copy cut short fails `verify`
        target.write(JSONL_INDEX, json.dumps(index, indent=1, sort_keys=True).encode() + b"\n")
    return {"copied": copied, "removed": removed, "records": records, "lines": len(lines)}


def split_of(contributor: str, val: float) -> str:
    """Return "validation" or "train" for a contributor: a hash, so stable across runs."""
    digest = hashlib.sha256(b"overt-split:" + contributor.encode()).digest()
    return "validation" if int.from_bytes(digest[:8], "big") / 2**64 < val else "train"


# Where a split writes its files before every shard has been read and checked: a dot-named
# folder, which the readers of `train/` and `validation/` never see (and Arrow and Hugging Face
# `datasets` skip even when pointed at the whole of `out`).
SPLIT_STAGING = ".split-staging"
SIDES = ("train", "validation")


def split(storage: Storage, out: Path, val: float) -> dict:
    """Write `out/train/` and `out/validation/` Parquet files; each contributor in one only.

    Each shard is read once, checked against its manifest line and split into files under
    `out/.split-staging/`; only when every shard has been, those replace the files of `train/`
    and `validation/`. A shard missing, damaged or changed meanwhile stops the split with
    ManifestError and leaves an earlier split in `out` as it was. Files of an earlier split into
    `out` that this one does not write are deleted: a shard deleted since, or a side of a shard
    whose only contributors there were erased, would otherwise keep records the dataset no
    longer holds.
    """
    target = open_storage(out)
    paths, count, head = shards_and_head(storage)
    # Each file names the manifest line it holds the dataset as of (readers ignore metadata):
    # an erasure after that line is not in it (docs/datasets.md, `split`).
    made_from = {"overt_manifest_line": str(count), "overt_manifest_sha256": head or ""}
    schema = arrow_schema().with_metadata({**arrow_schema().metadata, **made_from})
    target.delete_folder(SPLIT_STAGING)  # what a split killed midway left
    try:
        counts, contributors, written = _stage_split(storage, target, paths, schema, val)
        stale = {*target.glob("train/*.parquet"), *target.glob("validation/*.parquet")}
        for name in written:
            target.move(f"{SPLIT_STAGING}/{name}", name)
            stale.discard(name)
        for name in sorted(stale):
            target.delete(name)
    finally:
        target.delete_folder(SPLIT_STAGING)
    return {
        side: {"events": counts[side], "contributors": len(contributors[side])} for side in SIDES
    }


def _stage_split(
    storage: Storage, target: Storage, paths: list, schema: pa.Schema, val: float
) -> tuple[Counter, dict[str, set], list[str]]:
    """Split every shard into `target`'s staging folder, one shard in memory at a time; return
    the records and contributors of each side and the files written (`train/<name>`, ...)."""
    counts: Counter = Counter()
    contributors: dict[str, set] = {side: set() for side in SIDES}
    written = []
    for path in paths:
        table = open_shard(read_shard_checked(storage, path), path).read()
        names = table.column("contributor").to_pylist()
        sides = [split_of(c, val) for c in names]
        name = path.split("/", 1)[1].replace("/", "-")
        for side in SIDES:
            part = table.filter(pa.array([s == side for s in sides])).cast(schema)
            if part.num_rows:
                sink = pa.BufferOutputStream()
                pq.write_table(part, sink, compression="zstd")
                target.write(f"{SPLIT_STAGING}/{side}/{name}", sink.getvalue().to_pybytes())
                written.append(f"{side}/{name}")
                counts[side] += part.num_rows
                contributors[side].update(c for c, s in zip(names, sides, strict=True) if s == side)
    return counts, contributors, written
