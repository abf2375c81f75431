"""Erase an employee everywhere: the queue, staging, and every sealed shard.

Order matters. The erasure mark goes in first: from then on every stage and seal drops what the
employee sent before it (filters.py). Then the unsealed events are purged; both happen when the
erasure is asked for (`start_erasure`), leaving a pending receipt. Then, in an RQ job
(`finish_erasure`, run by workers/jobs.py), holding the datasets lock that every shard writer
holds, each shard naming the employee's pseudonym is rewritten without their records, and the
receipt is completed. A batch sealed by a worker that read its rules just before the
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
from .clock import from_iso, iso, now_ms
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

PENDING, COMPLETED = "pending", "completed"


class ReceiptNotFoundError(LookupError):
    """No erasure receipt of that employee has this id."""


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


def start_erasure(r: redis.Redis, employee: str) -> dict:
    """Mark `employee` erased and purge their unsealed events; keep and return a pending receipt."""
    at = now_ms()
    r.hset(keys.KEY_ERASED, employee, at + CLOCK_MARGIN_MS)  # first: see the module docstring
    unsealed = purge_employee(r, employee)
    receipt = {
        "receipt_id": "er_" + secrets.token_hex(8),
        "status": PENDING,
        "at": iso(at),
        "completed_at": None,
        "shards": [],
        "removed_total": unsealed,
        "removed_sealed": 0,
        "removed_unsealed": unsealed,
    }
    r.rpush(keys.key(keys.KEY_RECEIPTS, employee=employee), json.dumps(receipt))
    return receipt


def finish_erasure(
    r: redis.Redis, datasets: Path, secret: str, employee: str, receipt_id: str
) -> dict:
    """Rewrite every sealed shard without `employee`; complete and return the receipt.

    Idempotent: a finished receipt is returned as it is.
    """
    index, receipt = _find_receipt(r, employee, receipt_id)
    if receipt["status"] == COMPLETED:
        return receipt
    at = from_iso(receipt["at"])
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
    unsealed = receipt["removed_unsealed"] + purge_employee(r, employee)
    sealed = sum(s["removed"] for s in shards)
    receipt = {
        **receipt,
        "status": COMPLETED,
        "completed_at": iso(now_ms()),
        "shards": shards,
        "removed_total": sealed + unsealed,
        "removed_sealed": sealed,
        "removed_unsealed": unsealed,
    }
    r.lset(keys.key(keys.KEY_RECEIPTS, employee=employee), index, json.dumps(receipt))
    log.info(
        "erasure %s: %d sealed record(s) from %d shard(s), %d unsealed event(s)",
        receipt_id,
        sealed,
        len(shards),
        unsealed,
    )
    return receipt


def erase_employee(r: redis.Redis, datasets: Path, secret: str, employee: str) -> dict:
    """Erase everything held about `employee` at once; return the completed receipt."""
    receipt = start_erasure(r, employee)
    return finish_erasure(r, datasets, secret, employee, receipt["receipt_id"])


def _find_receipt(r: redis.Redis, employee: str, receipt_id: str) -> tuple[int, dict]:
    for index, receipt in enumerate(receipts(r, employee)):
        if receipt["receipt_id"] == receipt_id:
            return index, receipt
    raise ReceiptNotFoundError(f"no erasure receipt {receipt_id}")


def find_receipt(r: redis.Redis, employee: str, receipt_id: str) -> dict | None:
    """Return one of the employee's receipts, or None."""
    try:
        return _find_receipt(r, employee, receipt_id)[1]
    except ReceiptNotFoundError:
        return None


def receipts(r: redis.Redis, employee: str) -> list[dict]:
    """Return the employee's erasure receipts, oldest first."""
    raw = r.lrange(keys.key(keys.KEY_RECEIPTS, employee=employee), 0, -1)
    return [json.loads(x) for x in raw]
