"""Erase an employee everywhere: the queue, staging, and every sealed shard.

Order matters. The erasure mark goes in first: from then on every stage and seal drops what the
employee sent before it (filters.py). Then the unsealed events are purged. Then, holding the
datasets lock that every shard writer holds, each shard naming the employee's pseudonym is
rewritten without their records. A batch sealed by a worker that read its rules just before the
mark is already indexed by the time this erasure gets the lock, so it is rewritten too: nothing
of the employee can slip into a dataset while the erasure runs.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import Counter
from pathlib import Path

import redis

from . import keys
from .clock import iso, now_ms
from .datasets import (
    atomic_write,
    batches_with,
    datasets_lock,
    encode_shard,
    read_card,
    read_shard,
    sha256,
    shard_paths,
    write_card,
)
from .pseudonym import pseudonym
from .purge import purge_employee

log = logging.getLogger(__name__)

# The mark reaches this far past the erasure so that an event received just before it, on a
# backend whose clock runs a little ahead of this process's, is still dropped.
CLOCK_MARGIN_MS = 2000


def updated_card(card: dict, records: list[dict], digest: str, removed: int, at: int) -> dict:
    """Return `card` describing the rewritten shard, with the erasure noted (never who)."""
    card = dict(card)
    card["events"] = len(records)
    card["counts_by_type"] = dict(sorted(Counter(x["type"] for x in records).items()))
    card["counts_by_category"] = dict(sorted(Counter(x["category"] for x in records).items()))
    card["contributors"] = len({x["contributor"] for x in records})
    card["time_window"] = (
        {"start": iso(records[0]["ts"]), "end": iso(records[-1]["ts"])} if records else None
    )
    card["sha256"] = digest
    card["erasures"] = [*card.get("erasures", []), {"at": iso(at), "removed": removed}]
    return card


def erase_from_shard(r: redis.Redis, datasets: Path, entry: dict, contributor: str, at: int) -> int:
    """Rewrite one shard, its card and its index entry without `contributor`; return removed."""
    shard, card_path = shard_paths(datasets, entry["date"], entry["batch_id"])
    removed = 0
    if shard.exists():
        records = read_shard(shard)
        kept = [x for x in records if x.get("contributor") != contributor]
        removed = len(records) - len(kept)
        card = read_card(card_path)
        if removed:
            data = encode_shard(kept)
            digest = sha256(data)
            atomic_write(shard, data)
            write_card(card_path, updated_card(card, kept, digest, removed, at))
            entry = {**entry, "events": len(kept), "sha256": digest}
        elif card["sha256"] != sha256(shard.read_bytes()):
            # An earlier erasure died between the shard and its card: describe the shard again.
            digest = sha256(shard.read_bytes())
            fixed = updated_card(card, kept, digest, 0, at)
            write_card(card_path, {**fixed, "erasures": card.get("erasures", [])})
            entry = {**entry, "events": len(kept), "sha256": digest}
    entry = {**entry, "contributors": [c for c in entry["contributors"] if c != contributor]}
    r.hset(keys.KEY_BATCHES, entry["batch_id"], json.dumps(entry))
    return removed


def erase_employee(r: redis.Redis, datasets: Path, secret: str, employee: str) -> dict:
    """Erase everything held about `employee`; keep and return the receipt. Idempotent."""
    at = now_ms()
    r.hset(keys.KEY_ERASED, employee, at + CLOCK_MARGIN_MS)  # first: see the module docstring
    unsealed = purge_employee(r, employee)
    contributor = pseudonym(secret, employee)
    shards = []
    with datasets_lock(r) as lock:
        for entry in batches_with(r, contributor):
            removed = erase_from_shard(r, Path(datasets), entry, contributor, at)
            if removed:
                shards.append({"batch_id": entry["batch_id"], "removed": removed})
            lock.reacquire()  # a hundred shards must not outlive the lock's timeout
    # A drain that read its rules before the mark may have staged a few events since the purge;
    # sealing would drop them, but an export must not show them either.
    unsealed += purge_employee(r, employee)
    sealed = sum(s["removed"] for s in shards)
    receipt = {
        "receipt_id": "er_" + secrets.token_hex(8),
        "at": iso(at),
        "shards": shards,
        "removed_total": sealed + unsealed,
        "removed_sealed": sealed,
        "removed_unsealed": unsealed,
    }
    r.rpush(keys.key(keys.KEY_RECEIPTS, employee=employee), json.dumps(receipt))
    log.info(
        "erasure %s: %d sealed record(s) from %d shard(s), %d unsealed event(s)",
        receipt["receipt_id"],
        sealed,
        len(shards),
        unsealed,
    )
    return receipt


def receipts(r: redis.Redis, employee: str) -> list[dict]:
    """Return the employee's erasure receipts, oldest first."""
    raw = r.lrange(keys.key(keys.KEY_RECEIPTS, employee=employee), 0, -1)
    return [json.loads(x) for x in raw]
