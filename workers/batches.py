"""Seal staged records into shards: `data/<date>/<batch_id>.parquet`, a card, a manifest line.

A batch is first moved (atomically) from staging into its own sealing list and recorded in the
sealing index; the files are written with temp + fsync + rename from that list, and only then is
the list deleted and the batch indexed. A sealer killed anywhere leaves a sealing list that the
next sealer writes again, byte for byte the same, so nothing is lost or duplicated.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter

import redis

from backend.core import drops as drop_windows
from backend.core import keys, rarity
from backend.core.clock import from_iso, iso, now_ms
from backend.core.config import load_settings
from backend.core.dataset_cards import build_card, key_id
from backend.core.dataset_manifest import append, mentions, read_raw_lines
from backend.core.dataset_readme import write_readme
from backend.core.dataset_totals import put_entry, read_totals
from backend.core.datasets import (
    Storage,
    datasets_lock,
    encode_card,
    encode_shard,
    manifest_entry,
    open_storage,
    sha256,
    shard_paths,
)
from backend.core.filters import Rules, load_rules, queue_rules, rules_of
from backend.core.frames import find_bad_string
from backend.core.policy import get_policy, policy_of
from backend.core.records import Entry

from .quarantine import DROP_REASON as QUARANTINED
from .quarantine import dead_letter, drop_time, log_quarantined
from .staged_memory import STAGED, StagedMemory

log = logging.getLogger(__name__)

# Move the oldest `size` staged records into a sealing list. Returns {taken, staged left, the
# oldest staged record left or false}: whether another batch is due needs no round trip of its own.
TAKE_BATCH_LUA = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if #items == 0 then return {0, 0, false} end
redis.call('LTRIM', KEYS[1], #items, -1)
for i = 1, #items, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 999, #items)))
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
return {#items, redis.call('LLEN', KEYS[1]), redis.call('LINDEX', KEYS[1], 0)}
"""
# The datasets lock's lease is renewed between batches once this many seconds have passed since
# it was last renewed (a renewal is a round trip; a batch takes a small part of a second).
RENEW_AFTER = 1.0


def is_due(r: redis.Redis, batch_size: int, max_age: float) -> bool:
    """Return whether staging holds a full batch or records older than `max_age` seconds."""
    pipe = r.pipeline(transaction=False)
    pipe.llen(keys.KEY_STAGING)
    pipe.lindex(keys.KEY_STAGING, 0)
    return due(*pipe.execute(), batch_size, max_age)


def due(length: int, oldest: bytes | None, batch_size: int, max_age: float) -> bool:
    """Return whether `length` staged records, the oldest being `oldest`, make a batch due."""
    if length >= batch_size:
        return True
    if not oldest:
        return False
    # Age counts from when the backend accepted the event, not from when it was staged.
    return now_ms() - Entry.decode(oldest).received >= max_age * 1000


def take_batch(r: redis.Redis, batch_size: int) -> str | None:
    """Move up to `batch_size` staged records into a new sealing list; return its batch id."""
    return take_next(r, batch_size)[0]


def take_next(
    r: redis.Redis, batch_size: int, max_age: float = float("inf")
) -> tuple[str | None, int, bool]:
    """Do what `take_batch` does; also return how many records are left staged and whether they
    make another batch due (`is_due`), from the same round trip."""
    now = now_ms()
    batch_id = datetime.fromtimestamp(now / 1000, UTC).strftime(
        "b%Y%m%dT%H%M%S-"
    ) + secrets.token_hex(4)
    meta = {"date": batch_id[1:5] + "-" + batch_id[5:7] + "-" + batch_id[7:9], "taken_at": now}
    n, left, oldest = r.register_script(TAKE_BATCH_LUA)(
        keys=[
            keys.KEY_STAGING,
            keys.key(keys.KEY_SEALING, batch=batch_id),
            keys.KEY_SEALING_INDEX,
        ],
        args=[batch_id, batch_size, json.dumps(meta)],
    )
    return (batch_id if n else None), left, due(left, oldest, batch_size, max_age)


@dataclass
class Taken:
    """What sealing reads of a taken batch before it writes anything (`read_batch`)."""

    batch_id: str
    meta: dict
    policy: dict
    epoch: bytes | None  # the rarity counter's (rarity.KnownCommon)
    staged: list[Entry]
    dead: list[str]
    words: list[set[str] | None]
    rules: Rules
    # Whether the batch may have been written before, up to its manifest lines: its rarity
    # decision was kept (that is written before any file; masking adds it to `meta` later).
    resumed: bool


def read_batch(r: redis.Redis, batch_id: str) -> Taken:
    """Read a taken batch, the policy and the rules that apply to its records (two round trips)."""
    reads = r.pipeline(transaction=False)
    reads.hget(keys.KEY_SEALING_INDEX, batch_id)
    reads.lrange(keys.key(keys.KEY_SEALING, batch=batch_id), 0, -1)
    reads.get(keys.KEY_POLICY)
    reads.get(keys.KEY_RARITY_EPOCH)
    raw_meta, raw_items, raw_policy, epoch = reads.execute()
    staged, dead, words = sealable(raw_items, STAGED)
    rules = load_rules(r, {s.employee for s in staged})
    meta, policy = json.loads(raw_meta), policy_of(raw_policy)
    return Taken(batch_id, meta, policy, epoch, staged, dead, words, rules, "rarity" in meta)


def write_batch(
    r: redis.Redis, datasets, batch_id: str, secret: str | None = None, taken: Taken | None = None
) -> dict | None:
    """Write the shard, card and manifest line of a taken batch, index it; return its summary.

    `taken`: the batch as `read_batch` read it, when it was read ahead."""
    sealing = keys.key(keys.KEY_SEALING, batch=batch_id)
    taken = read_batch(r, batch_id) if taken is None else taken
    meta, policy, epoch, rules = taken.meta, taken.policy, taken.epoch, taken.rules
    staged, dead, words = taken.staged, taken.dead, taken.words
    late = Counter()  # dropped now, at sealing: consent must still hold
    for letter in dead:
        late[(drop_time(letter) // drop_windows.MINUTE_MS, QUARANTINED)] += 1
    log_quarantined("batch", batch_id, dead)
    kept = _still_sealable(rules, zip(staged, words, strict=True), late)
    pipe = r.pipeline(transaction=True)
    summary = None
    if kept:
        kept.sort(key=lambda pair: record_order(pair[0].record))
        records = [item.record for item, _ in kept]
        # One round trip: the rarity decision kept, the drops read, and the rules read again.
        before = r.pipeline(transaction=False)
        records, rare = mask_rare_words(
            r, batch_id, meta, records, secret, [found for _, found in kept], policy, epoch, before
        )
        before.hgetall(keys.KEY_DROPS)
        employees = queue_rules(before, {item.employee for item in staged})  # as `rules` were
        replies = before.execute()
        drops, fresh = replies[-len(employees) - 3], rules_of(employees, replies)
        if fresh != rules:
            # Consent, a pause or an erasure changed since the batch was read (a batch read
            # ahead waits for the one before it to be written): what no longer holds is dropped
            # now, just before anything is written, not sealed on rules a moment old.
            again = _still_sealable(fresh, kept, late)
            if len(again) < len(kept):
                kept = again
                records, rare = mask_rare_words(  # the same decision, on fewer records
                    r,
                    batch_id,
                    meta,
                    [i.record for i, _ in kept],
                    secret,
                    [f for _, f in kept],
                    policy,
                    epoch,
                )
    if kept:
        meta = {**meta, "rare_words_masked": rare}
        storage = open_storage(datasets)
        summary = seal_records(r, storage, taken, meta, records, late, secret, pipe, drops)
    else:
        for (minute, reason), n in late.items():  # reported by whichever shard covers them
            pipe.hincrby(keys.KEY_DROPS, f"{minute}|{reason}", n)
    if dead:
        pipe.rpush(keys.KEY_DEAD_LETTER, *dead)
    pipe.delete(sealing)
    pipe.hdel(keys.KEY_SEALING_INDEX, batch_id)
    pipe.execute()
    if summary:
        log.info("sealed %s: %d events, %d dropped late", batch_id, len(kept), sum(late.values()))
    return summary


def seal_records(r, storage: Storage, taken: Taken, meta, records, late, secret, pipe, drops):
    """Write a shard, its card and manifest lines; queue its index entry and claims on `pipe`.

    `taken`: the batch as read (`read_batch`); `meta`: its sealing meta with the rare words
    masked; `drops`: the pending drops hash, read after the rarity decision was kept."""
    batch_id, policy = taken.batch_id, taken.policy
    pending = Counter(drop_windows.parse(drops))
    times = list(map(itemgetter("ts"), records))
    first, last = min(times), max(times)
    inside, older, minutes = drop_windows.split(pending + late, first, last)
    data = encode_shard(records)
    digest = sha256(data)
    shard, card_path = shard_paths(meta["date"], batch_id)
    kid = key_id(secret) if secret else None
    card = build_card(batch_id, shard, records, inside, digest, policy, meta["taken_at"], kid)
    card["min_contributors"] = meta["rarity"]["k"]
    card["rare_words_masked"] = meta["rare_words_masked"]
    card_bytes = encode_card(card)
    storage.write(shard, data)
    storage.write(card_path, card_bytes)
    lines = read_raw_lines(storage) if taken.resumed else None
    if not (taken.resumed and mentions(lines, batch_id)):  # not twice when finishing a seal
        new = []
        if older:
            new.append(
                {
                    "op": "dropped",
                    "at": card["sealed_at"],
                    "window": drop_windows.window_of(minutes),
                    "drops_by_reason": dict(sorted(older.items())),
                }
            )
        new.append(manifest_entry("sealed", card, card_bytes, card["sealed_at"]))
        append(storage, new, lines)
    claims = drop_windows.claim_args(pending, last)
    if claims:
        # EVAL: a registered script would cost the pipeline a round trip asking if it is loaded.
        pipe.eval(drop_windows.CLAIM_LUA, 1, keys.KEY_DROPS, *claims)
    for (minute, reason), n in late.items():
        if minute > last // drop_windows.MINUTE_MS:
            pipe.hincrby(keys.KEY_DROPS, f"{minute}|{reason}", n)
    for reason, n in (inside + older).items():  # lifetime totals for /metrics (backend/metrics.py)
        pipe.hincrby(keys.KEY_DROPS_TOTAL, reason, n)
    entry = index_entry(card, meta["date"], records)
    put_entry(r, batch_id, entry, pipe)
    return entry


def _still_sealable(rules: Rules, pairs, late: Counter) -> list[tuple[Entry, set[str] | None]]:
    """Return the (staged item, words) of `pairs` that `rules` let in; count the rest in `late`."""
    kept = []
    for item, found in pairs:
        reason = rules.drop_reason(item)
        if reason:
            late[(item.record["ts"] // drop_windows.MINUTE_MS, reason)] += 1
        else:
            kept.append((item, found))
    return kept


def record_order(record: dict) -> tuple:
    """Sort key of a shard: each tab's events in step order; events without a step last."""
    if record.get("step") is not None:
        return (0, record["contributor"], record["session"], record["tab"], record["step"], 0, "")
    return (1, "", "", "", 0, record["ts"], record["id"])


def mask_rare_words(
    r, batch_id, meta, records, secret, words=None, policy=None, epoch=None, pipe=None
) -> tuple[list[dict], int]:
    """Mask the rare words of a batch; the first attempt's decision is kept for any rewrite.

    `words`: each record's gated words where known (rarity.gate). `policy` and `epoch` (the
    rarity counter's, rarity.KnownCommon) are read from Redis unless given. The decision is
    written to the sealing index at once, or on `pipe` when given (executed before any file is)."""
    secret = secret if secret is not None else load_settings().secret
    k = (get_policy(r) if policy is None else policy)["min_contributors"]
    records, masked, decision = rarity.gate(r, secret, records, k, meta.get("rarity"), words, epoch)
    if "rarity" not in meta:
        meta["rarity"] = decision
        (r if pipe is None else pipe).hset(keys.KEY_SEALING_INDEX, batch_id, json.dumps(meta))
    return records, masked


def sealable_items(raw_items: list[bytes]) -> tuple[list[Entry], list[str]]:
    """Return the staged items that can be written to a shard, and dead letters for the rest."""
    items, dead, _ = sealable(raw_items)
    return items, dead


def sealable(
    raw_items: list[bytes], memory: StagedMemory | None = None
) -> tuple[list[Entry], list[str], list[set[str] | None]]:
    """Do what `sealable_items` does; also return each item's gated words where known.

    An item found in `memory` (this worker staged it: workers/staged_memory.py) is not parsed
    again; its strings were checked when it was staged.
    """
    items, dead, words = [], [], []
    known_items = memory.pop_all(raw_items) if memory is not None else [None] * len(raw_items)
    for raw, known in zip(raw_items, known_items, strict=True):
        item = None
        try:
            if known is not None:  # staging checked its strings and its time (stage.staged_row)
                item, found = known
                check_sealable(item, strings=False, time=False)
            else:
                item, clean = Entry.decode_checked(raw)
                found = None
                check_sealable(item, strings=not clean)
        except Exception as err:  # a poison record: set aside, the rest of the batch is sealed
            dead.append(dead_letter("seal", raw, err, item))
            continue
        items.append(item)
        words.append(found)
    return items, dead, words


def check_sealable(item: Entry, strings: bool = True, time: bool = True) -> None:
    """Raise unless a staged item has what sealing reads, all of it encodable.

    `strings=False` skips looking for strings that are not valid Unicode (the caller knows that
    the item holds none: orjson read it); `time=False` skips checking that its time is a date
    (the caller knows: staging put it in the "seen" set of its day).
    """
    rec = item.record
    if not (
        isinstance(item.employee, str)
        and isinstance(item.team, str)
        and isinstance(item.category, str)
        and isinstance(item.received, int)
    ):
        raise ValueError("a staged item lacks its employee, team, category or receipt time")
    if not (
        isinstance(rec["id"], str)
        and isinstance(rec["type"], str)
        and isinstance(rec["category"], str)
        and isinstance(rec["contributor"], str)
    ):
        raise ValueError("a record lacks its id, type, category or contributor")
    if time:
        iso(rec["ts"])
    bad = find_bad_string(rec) if strings else None
    if bad:
        raise ValueError(f"a string at {bad} is not valid Unicode")


def index_entry(card: dict, date: str, records: list[dict]) -> dict:
    """Return what the batch index keeps of a card (pseudonyms only, to find shards to erase)."""
    return {
        "batch_id": card["batch_id"],
        "date": date,
        "path": card["shard"],
        "events": card["events"],
        "sealed_at": card["sealed_at"],
        "sealed_ms": from_iso(card["sealed_at"]),
        "contributors": sorted(set(map(itemgetter("contributor"), records))),
        "policy_versions": card["policy_versions"],
        "revision": card["revision"],
        "sha256": card["sha256"],
    }


def take_ahead(
    r: redis.Redis, batch_size: int, max_age: float
) -> tuple[str | None, int, bool, Taken | None]:
    """Take the next batch (`take_next`) and read it (`read_batch`)."""
    batch_id, left, more = take_next(r, batch_size, max_age)
    return batch_id, left, more, (read_batch(r, batch_id) if batch_id else None)


def seal_due(
    r: redis.Redis,
    datasets,
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
        renewed = time.monotonic()
        more = (force and r.llen(keys.KEY_STAGING)) or is_due(r, batch_size, max_age)
        # While a batch is written, the next one is taken and read on a thread of its own: its
        # round trips wait beside this batch's work, not after it. A batch taken ahead of one
        # whose writing fails is in the sealing index, so the next run finishes it.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="overt-seal-read") as reader:
            upcoming = reader.submit(take_ahead, r, batch_size, max_age) if more else None
            while upcoming is not None:
                batch_id, left, more, taken = upcoming.result()
                if batch_id is None:
                    break
                more = more or (force and left)
                upcoming = reader.submit(take_ahead, r, batch_size, max_age) if more else None
                if write_batch(r, datasets, batch_id, secret, taken):
                    sealed.append(batch_id)
                if time.monotonic() - renewed > RENEW_AFTER:  # a backlog must not outlive the lease
                    lock.reacquire()
                    renewed = time.monotonic()
        if sealed:  # once per run, not per batch
            kid = key_id(secret) if secret else None
            write_readme(open_storage(datasets), read_totals(r), get_policy(r), kid)
    return sealed
