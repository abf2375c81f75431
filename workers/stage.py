"""Drain: take queued events, keep what may enter a dataset, pseudonymise, stage exactly once.

Crash safety: events are moved (not copied) into a per-take processing list, and the commit that
stages them also deletes that list, atomically. A take whose worker died is put back in the queue
by `recover_orphans`; the per-day "seen" sets make a second staging of an event impossible.

How it is fast: a take's items are parsed to dicts, never to queued `Entry` objects; each entry
is staged in one pass (workers/stager.py: rules, record, words, staged bytes and row, with the
take's repeats looked up in dicts), and only what that pass does not take on goes through
`_stage_entry` as before. The commit stages rows in runs of one "seen" key (a few Redis calls
per run, not three per row), and the garbage collector is kept off what the worker holds
(workers/gc_pacing.py).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from dataclasses import dataclass

import redis

from backend.core import keys, rarity
from backend.core.clock import now_ms
from backend.core.drops import field as drop_field
from backend.core.filters import Rules, load_rules
from backend.core.frames import find_bad_string
from backend.core.policy import get_policy
from backend.core.pseudonym import pseudonym
from backend.core.records import (
    CATEGORY,
    EMPLOYEE,
    EVENT,
    RECEIVED,
    RECORD,
    TEAM,
    Entry,
    dataset_record,
    parse,
)
from backend.core.redact import Memo
from backend.core.words import record_words

from .gc_pacing import PACER
from .quarantine import DROP_REASON as QUARANTINED
from .quarantine import dead_letter, drop_time, log_quarantined
from .staged_memory import STAGED
from .stager import DAY_MS, SURROGATE_ESCAPE, Stager, seen_key

log = logging.getLogger(__name__)

TAKE_SIZE = 1000
SEEN_TTL = 8 * 24 * 3600  # events older than 7 days are refused at intake
# A take is a few milliseconds of work; one older than this belongs to a dead worker. Recovering
# a take that was only slow is safe too: its events are staged once, whichever commit comes first
# (the seen sets turn the second into "duplicate" drops).
ORPHAN_AFTER_MS = 10_000


TAKE_LUA = """
local items = redis.call('RPOP', KEYS[1], ARGV[2])
if not items then return {} end
redis.call('RPUSH', KEYS[2], unpack(items))
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return items
"""

# ARGV: take id, seen ttl, number of drop pairs, (drops field, count)..., number of dead letters,
# dead letters..., then runs of rows sharing a "seen" key and a duplicate drops field: (seen key,
# drops field, n, then n (member, staged entry) pairs). Per run: one SMISMEMBER, one SADD, one
# EXPIRE and one RPUSH, whatever n (at most RUN rows: `unpack` has a limit); a member already
# seen, or seen earlier in the run, is a duplicate.
COMMIT_LUA = """
local ndrops = tonumber(ARGV[3])
local dup = 0
local i = 4
for _ = 1, ndrops do
  redis.call('HINCRBY', KEYS[4], ARGV[i], ARGV[i + 1])
  i = i + 2
end
local ndead = tonumber(ARGV[i])
i = i + 1
for _ = 1, ndead do
  redis.call('RPUSH', KEYS[5], ARGV[i])
  i = i + 1
end
while i <= #ARGV do
  local seen, field, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  i = i + 3
  local members = {}
  for j = 1, n do members[j] = ARGV[i + 2 * j - 2] end
  local known = redis.call('SMISMEMBER', seen, unpack(members))
  local fresh, entries, taken, dups = {}, {}, {}, 0
  for j = 1, n do
    local member = members[j]
    if known[j] == 1 or taken[member] then
      dups = dups + 1
    else
      taken[member] = true
      fresh[#fresh + 1] = member
      entries[#entries + 1] = ARGV[i + 2 * j - 1]
    end
  end
  if #fresh > 0 then
    redis.call('SADD', seen, unpack(fresh))
    redis.call('EXPIRE', seen, ARGV[2])
    redis.call('RPUSH', KEYS[3], unpack(entries))
  end
  if dups > 0 then
    redis.call('HINCRBY', KEYS[4], field, dups)
    dup = dup + dups
  end
  i = i + 2 * n
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return dup
"""
RUN = 1000

RESTORE_LUA = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
if #items > 0 then
  for i = 1, #items, 1000 do
    redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 999, #items)))
  end
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return #items
"""


def take(r: redis.Redis, count: int = TAKE_SIZE) -> tuple[str, list[bytes]]:
    """Move up to `count` of the oldest queued events into a new processing list."""
    take_id = "t_" + secrets.token_hex(8)
    processing = keys.key(keys.KEY_PROCESSING, job=take_id)
    items = r.register_script(TAKE_LUA)(
        keys=[keys.KEY_INCOMING, processing, keys.KEY_PROCESSING_INDEX],
        args=[take_id, count, now_ms()],
    )
    return take_id, items


def parse_entries(items: list[bytes]) -> tuple[list[dict], list[str]]:
    """Return the queued entries of a take, parsed, and dead letters for items that are not entries.

    An entry is its JSON object as parsed (`records.parse`; `records.Entry.decode` makes an
    `Entry` of it): staging reads a few of its fields and never needs the `Entry` itself.
    """
    entries, dead = [], []
    append = entries.append
    for raw in items:
        try:
            doc = parse(raw)
        except ValueError:
            doc = None
        if (
            doc.__class__ is dict
            and doc.get(EMPLOYEE).__class__ is str
            and doc.get(EVENT).__class__ is dict
            and TEAM in doc
            and CATEGORY in doc
            and RECEIVED in doc
        ):
            append(doc)
            continue
        try:  # not an entry: the reason, exactly as decoding it says
            entry = Entry.decode(raw)
            if not isinstance(entry.employee, str) or not isinstance(entry.event, dict):
                raise ValueError("not a queued entry")
        except (ValueError, KeyError, TypeError) as err:
            dead.append(dead_letter("stage", raw, err))
            continue
        append(queued_doc(entry))  # pragma: no cover (every entry Entry.decode reads is above)
    return entries, dead


def queued_doc(entry: Entry) -> dict:
    """Return the parsed JSON form of a queued entry (what `parse_entries` returns)."""
    doc = entry._head()
    doc[EVENT] = entry.event
    if entry.record is not None:
        doc[RECORD] = entry.record
    return doc


def filter_entries(
    entries: list[Entry],
    rules,
    secret: str,
    allowed_origins=None,
    policy_version: str | None = None,
) -> tuple[list[Entry], Counter, list[str]]:
    """Filter, redact and pseudonymise `entries`; return the staged entries, drops, dead letters.

    An entry whose processing raises is a dead letter (workers/quarantine.py), counted as a drop;
    the others are staged as usual. `allowed_origins` are the policy's (referrers elsewhere keep
    their origin at most); `policy_version` stands in for entries queued without theirs. Drops
    are counted by the minute of the event's time (backend/core/drops.py).
    """
    docs = [queued_doc(e) for e in entries]
    staged, *_, drops, dead = stage_entries(docs, rules, secret, allowed_origins, policy_version)
    return staged, drops, dead


def stage_entries(
    entries: list[dict],
    rules,
    secret: str,
    allowed_origins=None,
    policy_version: str | None = None,
) -> tuple[list[Entry], list[tuple], list[set[str]], Counter, list[str]]:
    """Do what `filter_entries` does to parsed entries (`parse_entries`); also return each staged
    entry's `staged_row` and its record's gated words (backend/core/words.py `record_words`)."""
    staged, rows, found, drops, dead = [], [], [], Counter(), []
    memo = Memo()  # one per take: repeated labels, titles and URLs are redacted once
    stage = Stager(rules, secret, allowed_origins, policy_version, memo).stage
    for doc in entries:
        try:
            item = stage(doc)
        except Exception:  # the slow path says why, exactly
            item = None
        if item is None:
            entry = Entry.from_doc(doc)
            try:
                item = _stage_entry(entry, rules, secret, allowed_origins, policy_version, memo)
                if not isinstance(item, str):
                    item = item[0], item[1], record_words(item[0].record)
            except Exception as err:  # a poison event: set aside, the rest of the take goes on
                letter = dead_letter("stage", entry.encode(), err, entry)
                dead.append(letter)
                drops[drop_field(drop_time(letter), QUARANTINED)] += 1
                continue
        if item.__class__ is str:
            drops[drop_field(doc[EVENT]["ts"], item)] += 1
        else:
            staged.append(item[0])
            rows.append(item[1])
            found.append(item[2])
    return staged, rows, found, drops, dead


def _stage_entry(
    entry: Entry, rules, secret: str, allowed_origins, policy_version, memo: Memo
) -> tuple[Entry, tuple] | str:
    """Return one entry staged and its row, or the reason it is dropped; raise if it cannot be."""
    reason = rules.drop_reason(entry)
    if reason:
        return reason
    contributor = pseudonym(secret, entry.employee)
    record = dataset_record(entry, contributor, allowed_origins, policy_version, memo)
    staged = entry.staged(record)
    row = staged_row(staged)  # a timestamp beyond any date fails here, not in the commit
    # A lone surrogate can only be there \u-escaped: look for it when the staged JSON has such
    # an escape at all.
    if SURROGATE_ESCAPE in row[2]:
        bad = find_bad_string(record)
        if bad:  # intake refuses these; one queued by an older backend must not reach a shard
            raise ValueError(f"a string at {bad} is not valid Unicode")
    return staged, row


def staged_row(staged: Entry) -> tuple[str, str, str, str]:
    """Return the (seen key, member, staged JSON bytes, duplicate drops field) row of a staged
    entry."""
    record = staged.record
    seen = seen_key(record["ts"] // DAY_MS)
    member = f"{staged.employee}:{record['id']}"
    return seen, member, staged.encode().encode(), drop_field(record["ts"], "duplicate")


def build_staged(
    entries: list[Entry],
    rules,
    secret: str,
    allowed_origins=None,
    policy_version: str | None = None,
) -> tuple[list[tuple], Counter, list[str]]:
    """Filter, redact and pseudonymise `entries`; return rows, drops and dead letters."""
    docs = [queued_doc(e) for e in entries]
    _, rows, _, drops, dead = stage_entries(docs, rules, secret, allowed_origins, policy_version)
    return rows, drops, dead


def commit(r: redis.Redis, take_id: str, rows, drops: Counter, dead: list[str] = ()) -> int:
    """Stage `rows`, count `drops` and keep `dead` letters, deleting the take, atomically.

    Return how many rows were duplicates.
    """
    args: list = [take_id, SEEN_TTL, len(drops)]
    for reason, n in sorted(drops.items()):
        args += [reason, n]
    args += [len(dead), *dead]
    args += commit_runs(rows)
    return int(
        r.register_script(COMMIT_LUA)(
            keys=[
                keys.key(keys.KEY_PROCESSING, job=take_id),
                keys.KEY_PROCESSING_INDEX,
                keys.KEY_STAGING,
                keys.KEY_DROPS,
                keys.KEY_DEAD_LETTER,
            ],
            args=args,
        )
    )


def commit_runs(rows) -> list:
    """Return the COMMIT_LUA arguments of `rows`: runs of rows of one seen key and drops field."""
    args: list = []
    run: tuple | None = None
    count_at = n = 0
    for seen, member, entry, field in rows:
        if run != (seen, field) or n == RUN:
            if n:
                args[count_at] = n
            run, n = (seen, field), 0
            args += (seen, field, 0)
            count_at = len(args) - 1
        args += (member, entry)
        n += 1
    if n:
        args[count_at] = n
    return args


@dataclass
class Take:
    """A take filtered and ready to commit (`prepare_take`)."""

    take_id: str
    size: int  # events taken
    staged: list[Entry]
    rows: list[tuple]
    drops: Counter
    dead: list[str]
    min_contributors: int
    words: list[set[str]]  # each staged record's gated words (backend/core/words.py)


def stage_once(r: redis.Redis, secret: str, count: int = TAKE_SIZE) -> int:
    """Take, filter and stage one slice of the queue; return how many events were taken."""
    prepared = prepare_take(r, secret, count)
    if prepared is None:
        return 0
    commit_take(r, secret, prepared)
    return prepared.size


@dataclass
class Fetched:
    """A take parsed, with the rules and the policy that apply to it (`fetch`)."""

    take_id: str
    items: list[bytes]
    entries: list[dict]  # parsed (`parse_entries`)
    dead: list[str]
    rules: Rules | None
    policy: dict | None


def prepare_take(r: redis.Redis, secret: str, count: int = TAKE_SIZE) -> Take | None:
    """Take a slice of the queue and filter, redact and pseudonymise it (None: queue empty)."""
    fetched = fetch(r, count)
    return prepare(secret, fetched) if fetched.items else None


def fetch(r: redis.Redis, count: int = TAKE_SIZE, pause: float = 0.0) -> Fetched:
    """Take a slice of the queue (after `pause` seconds), parse it, read its rules and policy."""
    if pause:
        time.sleep(pause)
    take_id, items = take(r, count)
    if not items:
        return Fetched(take_id, [], [], [], None, None)
    entries, dead = parse_entries(items)
    rules = load_rules(r, {e[EMPLOYEE] for e in entries})
    return Fetched(take_id, items, entries, dead, rules, get_policy(r))


def prepare(secret: str, fetched: Fetched) -> Take:
    """Filter, redact and pseudonymise the events of a take."""
    policy, dead = fetched.policy, fetched.dead
    staged, rows, words, drops, more_dead = stage_entries(
        fetched.entries,
        fetched.rules,
        secret,
        frozenset(policy["allowed_origins"]),
        policy["version"],
    )
    for letter in dead:  # not entries at all: counted when they were set aside
        drops[drop_field(drop_time(letter), QUARANTINED)] += 1
    dead += more_dead
    log_quarantined("take", fetched.take_id, dead)
    size = len(fetched.items)
    k = policy["min_contributors"]
    return Take(fetched.take_id, size, staged, rows, drops, dead, k, words)


def commit_take(r: redis.Redis, secret: str, prepared: Take) -> int:
    """Count a prepared take's words, then stage it and delete the take; return duplicates."""
    staged, rows, words = prepared.staged, prepared.rows, prepared.words
    # Counted before the commit, so a staged record's words are always counted when it seals;
    # counting a take twice (after a crash) changes nothing: contributors are counted distinct.
    records = [s.record for s in staged]
    rarity.count_records(r, secret, records, prepared.min_contributors, words)
    dup = commit(r, prepared.take_id, rows, prepared.drops, prepared.dead)
    STAGED.add([row[2] for row in rows], staged, words)  # sealing reads them back
    PACER.after_take()  # what STAGED holds is out of the garbage collector's sight
    log.info(
        "take %s: %d taken, %d staged, %d dropped, %d duplicate",
        prepared.take_id,
        prepared.size,
        len(rows) - dup,
        sum(prepared.drops.values()),
        dup,
    )
    return dup


def recover_orphans(r: redis.Redis, older_than_ms: int = ORPHAN_AFTER_MS) -> int:
    """Put the events of takes whose worker died back at the head of the queue."""
    cutoff = now_ms() - older_than_ms
    restored = 0
    script = r.register_script(RESTORE_LUA)
    for raw in r.zrangebyscore(keys.KEY_PROCESSING_INDEX, 0, cutoff):
        take_id = raw.decode()
        processing = keys.key(keys.KEY_PROCESSING, job=take_id)
        n = int(
            script(keys=[processing, keys.KEY_INCOMING, keys.KEY_PROCESSING_INDEX], args=[take_id])
        )
        if n:
            log.warning("take %s was orphaned: %d event(s) queued again", take_id, n)
        restored += n
    return restored
