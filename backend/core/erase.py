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

import redis

from . import keys, rarity
from .clock import from_iso, iso, now_ms
from .dataset_cards import revise_card
from .dataset_manifest import append, latest, read_manifest
from .dataset_readme import write_readme
from .dataset_storage import Storage, open_storage
from .dataset_totals import drop_entry, put_entry, read_totals
from .datasets import (
    DatasetsUnavailableError,
    batches_with,
    datasets_lock,
    decode_shard,
    encode_card,
    encode_shard,
    manifest_entry,
    read_card,
    sha256,
    shard_paths,
)
from .filters import ERASED
from .policy import get_policy
from .pseudonym import pseudonym
from .purge import purge_employee

log = logging.getLogger(__name__)

# The mark reaches this far past the erasure so that an event received just before it, on a
# backend whose clock runs a little ahead of this process's, is still dropped.
CLOCK_MARGIN_MS = 2000

PENDING, COMPLETED = "pending", "completed"


class ReceiptNotFoundError(LookupError):
    """No erasure receipt of that employee has this id."""


def rewrite_shard(storage: Storage, card: dict, kept: list[dict], removed: int, at: int) -> dict:
    """Write the shard without the removed records and its next revision's card; return the card."""
    shard, card_path = shard_paths(card["shard"].split("/")[1], card["batch_id"])
    data = encode_shard(kept)
    card = revise_card(card, kept, sha256(data), removed, at)
    card_bytes = encode_card(card)
    storage.write(shard, data)
    storage.write(card_path, card_bytes)
    append(storage, [manifest_entry("rewritten", card, card_bytes, iso(at), "erasure")])
    return card


def delete_shard(r: redis.Redis, storage: Storage, entry: dict, reason: str, at: int) -> None:
    """Say in the manifest that a shard is deleted, delete it and its card, move its index entry.

    The manifest first: a delete cut short after it is finished by the next erasure or export
    that finds the shard gone (`deleted_in_manifest`); one cut short before it left a shard that
    the manifest and the index still listed, missing, as if the datasets were elsewhere.
    """
    shard, card_path = shard_paths(entry["date"], entry["batch_id"])
    last = latest(read_manifest(storage)).get(entry["batch_id"])
    if last is None or last["op"] != "deleted":
        line = {
            "op": "deleted",
            "at": iso(at),
            "reason": reason,
            "batch_id": entry["batch_id"],
            "path": shard,
            "revision": (last or entry).get("revision", 1) + 1,
            "events": 0,
        }
        append(storage, [line])
    storage.delete(shard)
    storage.delete(card_path)
    record = {
        "date": entry["date"],
        "events": entry.get("events", 0),
        "sealed_at": entry.get("sealed_at"),
        "deleted_at": at,
        "reason": reason,
    }
    pipe = r.pipeline(transaction=True)
    drop_entry(r, entry["batch_id"], pipe)
    pipe.hset(keys.KEY_BATCHES_DELETED, entry["batch_id"], json.dumps(record))
    pipe.execute()


def deleted_lines(storage: Storage) -> dict[str, dict]:
    """Return, per batch id whose last manifest line deletes its shard, that line."""
    return {k: v for k, v in latest(read_manifest(storage)).items() if v["op"] == "deleted"}


def deleted_in_manifest(storage: Storage, batch_id: str) -> dict | None:
    """Return the manifest line deleting `batch_id`'s shard if that is its last line, else None
    (read only for a shard found missing, so the whole manifest is read rarely)."""
    return deleted_lines(storage).get(batch_id)


def erase_from_shard(
    r: redis.Redis,
    storage: Storage,
    entry: dict,
    contributor: str,
    at: int,
    deleted: dict[str, dict] | None = None,
) -> int:
    """Rewrite (or delete, once empty) one shard without `contributor`; return records removed.

    `deleted` is `deleted_lines` of the manifest, read once per erasure (else read here when the
    shard is missing): a shard whose delete was cut short after its manifest line is finished,
    never rewritten (a `rewritten` line after `deleted` would bring it back to every copy).
    """
    shard, card_path = shard_paths(entry["date"], entry["batch_id"])
    data = storage.read_or_none(shard)
    if deleted is None:
        deleted = deleted_lines(storage) if data is None else {}
    last = deleted.get(entry["batch_id"])
    if last is not None:  # a delete cut short: finish it
        records = decode_shard(data) if data is not None else []
        delete_shard(r, storage, entry, last["reason"], at)
        return sum(x.get("contributor") == contributor for x in records)
    if data is None:
        # Indexed, under the lock every shard writer holds, listed live by the manifest, yet not
        # there: the datasets are not where this worker looks. Taking the employee out of the
        # index here completed the receipt while the shard, wherever it is, still held their
        # records.
        raise DatasetsUnavailableError(
            f"sealed batch {entry['batch_id']} is not in the datasets at {storage.url}: "
            f"erasure not completed (check OVERT_DATASETS_URL on the workers)"
        )
    records = decode_shard(data)
    kept = [x for x in records if x.get("contributor") != contributor]
    removed = len(records) - len(kept)
    if not kept:
        delete_shard(r, storage, entry, "erasure", at)
        return removed
    card = read_card(card_path, storage)
    if removed:
        card = rewrite_shard(storage, card, kept, removed, at)
    elif card["sha256"] != sha256(data):
        # An earlier erasure died between the shard and its card: describe the shard again.
        card = rewrite_shard(storage, card, kept, 0, at)
    entry = {**entry, "events": card["events"], "sha256": card["sha256"]}
    # The totals per policy version (dataset_totals.py) follow the entry's counts.
    entry.update(revision=card["revision"], policy_versions=card["policy_versions"])
    entry = {**entry, "contributors": [c for c in entry["contributors"] if c != contributor]}
    put_entry(r, entry["batch_id"], entry)
    return removed


def start_erasure(r: redis.Redis, employee: str) -> dict:
    """Mark `employee` erased and purge their unsealed events; keep and return a pending receipt."""
    at = now_ms()
    r.hset(keys.KEY_ERASED, employee, at + CLOCK_MARGIN_MS)  # first: see the module docstring
    # Counted as drops of reason "erased", as the workers count what they drop after the mark.
    unsealed = purge_employee(r, employee, reason=ERASED)
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


def finish_erasure(r: redis.Redis, datasets, secret: str, employee: str, receipt_id: str) -> dict:
    """Rewrite every sealed shard without `employee`; complete and return the receipt.

    Idempotent: a finished receipt is returned as it is.
    """
    index, receipt = _find_receipt(r, employee, receipt_id)
    if receipt["status"] == COMPLETED:
        return receipt
    at = from_iso(receipt["at"])
    contributor = pseudonym(secret, employee)
    shards = []
    storage = open_storage(datasets)
    with datasets_lock(r) as lock:
        deleted = deleted_lines(storage)  # under the lock every shard writer holds
        for entry in batches_with(r, contributor):
            removed = erase_from_shard(r, storage, entry, contributor, at, deleted)
            if removed:
                shards.append({"batch_id": entry["batch_id"], "removed": removed})
            lock.reacquire()  # a hundred shards must not outlive the lock's timeout
        if shards:
            refresh_readme(r, storage)
    # A drain that read its rules before the mark may have staged a few events since the purge;
    # sealing would drop them, but an export must not show them either.
    unsealed = receipt["removed_unsealed"] + purge_employee(r, employee, reason=ERASED)
    # Their words no longer count toward any other record's rarity gate (backend/core/rarity.py).
    words = rarity.uncount_contributor(r, secret, contributor)
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
        "erasure %s: %d sealed record(s) from %d shard(s), %d unsealed event(s), uncounted "
        "from %d rare word(s)",
        receipt_id,
        sealed,
        len(shards),
        unsealed,
        words,
    )
    return receipt


def refresh_readme(r: redis.Redis, storage: Storage) -> None:
    """Regenerate the dataset card after shards changed (its key id is kept from before)."""
    write_readme(storage, read_totals(r), get_policy(r), readme_key_id(storage))


def readme_key_id(storage: Storage) -> str | None:
    """Return the pseudonymisation key id of the newest card (None without cards)."""
    cards = storage.glob("cards/*/*.card.json")
    return read_card(cards[-1], storage)["pseudonymisation"]["key_id"] if cards else None


def erase_employee(r: redis.Redis, datasets, secret: str, employee: str) -> dict:
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
