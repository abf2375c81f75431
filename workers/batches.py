"""Seal staged records into batches: `<date>/<batch_id>.jsonl.gz` plus a dataset card.

A batch is first moved (atomically) from staging into its own sealing list and recorded in the
sealing index; the files are written with temp + fsync + rename from that list, and only then is
the list deleted and the batch indexed. A sealer killed anywhere leaves a sealing list that the
next sealer writes again, byte for byte the same, so nothing is lost or duplicated.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import redis

from backend.core import keys, rarity
from backend.core.clock import from_iso, iso, now_ms
from backend.core.config import load_settings
from backend.core.datasets import (
    atomic_write,
    datasets_lock,
    encode_shard,
    sha256,
    shard_paths,
    write_card,
)
from backend.core.filters import load_rules
from backend.core.frames import find_bad_string
from backend.core.policy import get_policy
from backend.core.records import Entry
from backend.core.vocabulary import SCHEMA_VERSION

from .quarantine import DROP_REASON as QUARANTINED
from .quarantine import dead_letter, log_quarantined

log = logging.getLogger(__name__)

# Move the oldest `size` staged records into a sealing list, with the drops counted so far.
TAKE_BATCH_LUA = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if #items == 0 then return 0 end
redis.call('LTRIM', KEYS[1], #items, -1)
for i = 1, #items, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 999, #items)))
end
local drops = redis.call('HGETALL', KEYS[4])
redis.call('DEL', KEYS[4])
local meta = cjson.decode(ARGV[3])
local d = {}
for i = 1, #drops, 2 do d[drops[i]] = tonumber(drops[i + 1]) end
meta['drops'] = d
redis.call('HSET', KEYS[3], ARGV[1], cjson.encode(meta))
return #items
"""


def is_due(r: redis.Redis, batch_size: int, max_age: float) -> bool:
    """Return whether staging holds a full batch or records older than `max_age` seconds."""
    pipe = r.pipeline(transaction=False)
    pipe.llen(keys.KEY_STAGING)
    pipe.lindex(keys.KEY_STAGING, 0)
    length, oldest = pipe.execute()
    if length >= batch_size:
        return True
    if not oldest:
        return False
    # Age counts from when the backend accepted the event, not from when it was staged.
    return now_ms() - Entry.decode(oldest).received >= max_age * 1000


def take_batch(r: redis.Redis, batch_size: int) -> str | None:
    """Move up to `batch_size` staged records into a new sealing list; return its batch id."""
    now = now_ms()
    batch_id = datetime.fromtimestamp(now / 1000, UTC).strftime(
        "b%Y%m%dT%H%M%S-"
    ) + secrets.token_hex(4)
    meta = {"date": batch_id[1:5] + "-" + batch_id[5:7] + "-" + batch_id[7:9], "taken_at": now}
    n = r.register_script(TAKE_BATCH_LUA)(
        keys=[
            keys.KEY_STAGING,
            keys.key(keys.KEY_SEALING, batch=batch_id),
            keys.KEY_SEALING_INDEX,
            keys.KEY_DROPS,
        ],
        args=[batch_id, batch_size, json.dumps(meta)],
    )
    return batch_id if n else None


def write_batch(
    r: redis.Redis, datasets: Path, batch_id: str, secret: str | None = None
) -> dict | None:
    """Write the shard and card of a taken batch, then index it; return its summary."""
    meta = json.loads(r.hget(keys.KEY_SEALING_INDEX, batch_id))
    sealing = keys.key(keys.KEY_SEALING, batch=batch_id)
    staged, dead = sealable_items(r.lrange(sealing, 0, -1))
    rules = load_rules(r, {s.employee for s in staged})
    drops = Counter(meta.get("drops") or {})
    if dead:
        drops[QUARANTINED] += len(dead)
        log_quarantined("batch", batch_id, dead)
    kept = []
    for item in staged:
        reason = rules.drop_reason(item)  # consent must still hold at sealing time
        if reason:
            drops[reason] += 1
        else:
            kept.append(item)
    summary = None
    if kept:
        records = sorted((s.record for s in kept), key=lambda rec: (rec["ts"], rec["id"]))
        records, rare = mask_rare_words(r, batch_id, meta, records, secret)
        data = encode_shard(records)
        shard, card_path = shard_paths(datasets, meta["date"], batch_id)
        card = build_card(
            batch_id, records, drops, sha256(data), get_policy(r)["version"], meta["taken_at"]
        )
        card["min_contributors"] = meta["rarity"]["k"]
        card["rare_words_masked"] = rare
        atomic_write(shard, data)
        write_card(card_path, card)
        summary = index_entry(card, meta["date"], records)
    pipe = r.pipeline(transaction=True)
    if dead:
        pipe.rpush(keys.KEY_DEAD_LETTER, *dead)
    if summary:
        pipe.hset(keys.KEY_BATCHES, batch_id, json.dumps(summary))
        for reason, n in drops.items():  # lifetime totals for /metrics (backend/metrics.py)
            pipe.hincrby(keys.KEY_DROPS_TOTAL, reason, n)
    elif drops:
        for reason, n in drops.items():  # nothing left to seal: carry the drops to the next card
            pipe.hincrby(keys.KEY_DROPS, reason, n)
    pipe.delete(sealing)
    pipe.hdel(keys.KEY_SEALING_INDEX, batch_id)
    pipe.execute()
    if summary:
        log.info("sealed %s: %d events, %d dropped", batch_id, len(kept), sum(drops.values()))
    return summary


def mask_rare_words(r, batch_id, meta, records, secret) -> tuple[list[dict], int]:
    """Mask the rare words of a batch; the first attempt's decision is kept for any rewrite."""
    secret = secret if secret is not None else load_settings().secret
    k = get_policy(r)["min_contributors"]
    records, masked, decision = rarity.gate(r, secret, records, k, meta.get("rarity"))
    if "rarity" not in meta:
        meta["rarity"] = decision
        r.hset(keys.KEY_SEALING_INDEX, batch_id, json.dumps(meta))
    return records, masked


def sealable_items(raw_items: list[bytes]) -> tuple[list[Entry], list[str]]:
    """Return the staged items that can be written to a shard, and dead letters for the rest."""
    items, dead = [], []
    for raw in raw_items:
        item = None
        try:
            item = Entry.decode(raw)
            check_sealable(item)
        except Exception as err:  # a poison record: set aside, the rest of the batch is sealed
            dead.append(dead_letter("seal", raw, err, item))
            continue
        items.append(item)
    return items, dead


def check_sealable(item: Entry) -> None:
    """Raise unless a staged item has what sealing reads, all of it encodable."""
    rec = item.record
    fields = (item.employee, item.team, item.category)
    if not all(isinstance(f, str) for f in fields) or not isinstance(item.received, int):
        raise ValueError("a staged item lacks its employee, team, category or receipt time")
    if not all(isinstance(rec[k], str) for k in ("id", "type", "category", "contributor")):
        raise ValueError("a record lacks its id, type, category or contributor")
    iso(rec["ts"])
    bad = find_bad_string(rec)
    if bad:
        raise ValueError(f"a string at {bad} is not valid Unicode")


def build_card(batch_id, records, drops, digest, policy_version, sealed_ms) -> dict:
    """Return the dataset card of a shard."""
    return {
        "batch_id": batch_id,
        "schema_version": SCHEMA_VERSION,
        "consent_policy_version": policy_version,
        "sealed_at": iso(sealed_ms),
        "time_window": {"start": iso(records[0]["ts"]), "end": iso(records[-1]["ts"])},
        "events": len(records),
        "counts_by_type": dict(sorted(Counter(r["type"] for r in records).items())),
        "counts_by_category": dict(sorted(Counter(r["category"] for r in records).items())),
        "drops_by_reason": dict(sorted(drops.items())),
        "contributors": len({r["contributor"] for r in records}),
        "shard": f"{batch_id}.jsonl.gz",
        "sha256": digest,
        "erasures": [],
    }


def index_entry(card: dict, date: str, records: list[dict]) -> dict:
    """Return what the batch index keeps of a card (pseudonyms only, to find shards to erase)."""
    return {
        "batch_id": card["batch_id"],
        "date": date,
        "path": f"{date}/{card['shard']}",
        "events": card["events"],
        "sealed_at": card["sealed_at"],
        "sealed_ms": from_iso(card["sealed_at"]),
        "contributors": sorted({r["contributor"] for r in records}),
        "sha256": card["sha256"],
    }


def seal_due(
    r: redis.Redis,
    datasets: Path,
    batch_size: int,
    max_age: float,
    force: bool = False,
    secret: str | None = None,
) -> list[str]:
    """Finish interrupted batches, then seal batches while due; return the sealed batch ids."""
    sealed = []
    with datasets_lock(r) as lock:
        for raw in r.hkeys(keys.KEY_SEALING_INDEX):
            log.warning("finishing interrupted batch %s", raw.decode())
            if write_batch(r, datasets, raw.decode(), secret):
                sealed.append(raw.decode())
        while (force and r.llen(keys.KEY_STAGING)) or is_due(r, batch_size, max_age):
            batch_id = take_batch(r, batch_size)
            if batch_id is None:
                break
            if write_batch(r, datasets, batch_id, secret):
                sealed.append(batch_id)
            lock.reacquire()  # a long backlog must not outlive the lock's timeout
    return sealed
