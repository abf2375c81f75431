"""Pause state: durable records in Redis (announced by actions.py on the control channel)."""

from __future__ import annotations

import json
import secrets

import redis

from . import keys
from .clock import iso, now_ms


class PauseNotFoundError(LookupError):
    """No active pause matches the given id or scope."""


def matches(scope: dict, employee: str, team: str) -> bool:
    """Return whether `scope` covers `employee` of `team`."""
    return keys.pause_field(scope) in keys.pause_fields(employee, team)


def pause(r: redis.Redis, scope: dict, reason: str, purge: bool, by: str) -> tuple[dict, bool]:
    """Pause `scope`; return the pause record and whether it is new (else already paused)."""
    field = keys.pause_field(scope)
    at = now_ms()
    record = {
        "pause_id": "p_" + secrets.token_hex(8),
        "scope": scope,
        "reason": reason,
        "since": iso(at),
        "since_ms": at,
        "until_ms": None,
        "purge": purge,
        "by": by,
    }
    _store_new(r, record)
    if not r.hsetnx(keys.KEY_PAUSES_ACTIVE, field, record["pause_id"]):
        _forget(r, record["pause_id"])
        existing = r.hget(keys.KEY_PAUSES_ACTIVE, field)
        return get_pause(r, existing.decode()), False
    return record, True


def resume(r: redis.Redis, pause_id: str | None = None, scope: dict | None = None) -> dict:
    """End the active pause named by id or by scope; return its record."""
    if pause_id is None:
        raw = r.hget(keys.KEY_PAUSES_ACTIVE, keys.pause_field(scope or {"all": True}))
        if raw is None:
            raise PauseNotFoundError("no active pause for that scope")
        pause_id = raw.decode()

    def end(pipe) -> dict:
        record = get_pause(pipe, pause_id)
        if record is None or record["until_ms"] is not None:
            raise PauseNotFoundError(f"no active pause {pause_id}")
        record["until_ms"] = now_ms()
        pipe.multi()
        pipe.hset(keys.KEY_PAUSES, pause_id, json.dumps(record))
        pipe.hdel(keys.KEY_PAUSES_ACTIVE, keys.pause_field(record["scope"]))
        return record

    # WATCH: a purge marked on the record meanwhile (mark_purged) is not overwritten.
    return r.transaction(end, keys.KEY_PAUSES, value_from_callable=True)


def mark_purged(r: redis.Redis, pause_id: str) -> dict:
    """Record that the pause's scope is purged as of now; return the updated record.

    For a purge asked of a scope already paused: workers then drop that scope's events received
    up to `purged_ms` (filters.py), as they drop those received before a purge pause began.
    """

    def mark(pipe) -> dict:
        record = get_pause(pipe, pause_id)
        if record is None:
            raise PauseNotFoundError(f"no pause {pause_id}")
        record.update(purge=True, purged_ms=now_ms())
        pipe.multi()
        pipe.hset(keys.KEY_PAUSES, pause_id, json.dumps(record))
        return record

    return r.transaction(mark, keys.KEY_PAUSES, value_from_callable=True)


def get_pause(r: redis.Redis, pause_id: str) -> dict | None:
    """Return a pause record by id, or None."""
    raw = r.hget(keys.KEY_PAUSES, pause_id)
    return json.loads(raw) if raw else None


def active_for(r: redis.Redis, employee: str, team: str) -> dict | None:
    """Return the active pause covering this employee (the broadest first), or None."""
    for pid in r.hmget(keys.KEY_PAUSES_ACTIVE, keys.pause_fields(employee, team)):
        if pid:
            return get_pause(r, pid.decode())
    return None


def active_pauses(r: redis.Redis) -> list[dict]:
    """Return every active pause, broadest scope first (the order `active_for` prefers)."""
    ids = [v.decode() for v in r.hvals(keys.KEY_PAUSES_ACTIVE)]
    found = [p for p in (get_pause(r, i) for i in ids) if p]
    rank = {"all": 0, "team": 1, "employee": 2}
    return sorted(found, key=lambda p: rank[next(iter(p["scope"]))])


def covering(active: list[dict], employee: str, team: str) -> dict | None:
    """Return the pause of `active` (as `active_pauses` gives them) covering this employee of
    `team`, the broadest first: what `active_for` reads from Redis, from pauses read already."""
    return next((p for p in active if matches(p["scope"], employee, team)), None)


def all_pauses(r: redis.Redis) -> list[dict]:
    """Return every pause ever made, active or ended (workers use them as windows)."""
    return [json.loads(v) for v in r.hvals(keys.KEY_PAUSES)]


# The time index KEY_PAUSES_BY_TIME holds exactly the ids of KEY_PAUSES: both are written in one
# MULTI, so the newest pauses are read without reading every record.
def _store_new(r: redis.Redis, record: dict) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.hset(keys.KEY_PAUSES, record["pause_id"], json.dumps(record))
    pipe.zadd(keys.KEY_PAUSES_BY_TIME, {record["pause_id"]: record["since_ms"]})
    pipe.execute()


def _forget(r: redis.Redis, pause_id: str) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.hdel(keys.KEY_PAUSES, pause_id)
    pipe.zrem(keys.KEY_PAUSES_BY_TIME, pause_id)
    pipe.execute()


# Rebuild the time index from the records, atomically: for pauses stored before it existed.
REINDEX_LUA = """
local flat = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[2])
for i = 1, #flat, 2 do
  redis.call('ZADD', KEYS[2], cjson.decode(flat[i + 1])['since_ms'], flat[i])
end
return #flat / 2
"""


def newest_pauses(r: redis.Redis, n: int) -> list[dict]:
    """Return the `n` newest pauses, active or ended, newest first: n records read, not all."""
    pipe = r.pipeline(transaction=True)
    pipe.zcard(keys.KEY_PAUSES_BY_TIME)
    pipe.hlen(keys.KEY_PAUSES)
    pipe.zrevrange(keys.KEY_PAUSES_BY_TIME, 0, n - 1)
    indexed, stored, ids = pipe.execute()
    if indexed != stored:  # records older than the index: index them once
        r.register_script(REINDEX_LUA)(keys=[keys.KEY_PAUSES, keys.KEY_PAUSES_BY_TIME])
        ids = r.zrevrange(keys.KEY_PAUSES_BY_TIME, 0, n - 1)
    raw = r.hmget(keys.KEY_PAUSES, ids) if ids else []
    return [json.loads(v) for v in raw if v]


def pause_frame(record: dict) -> dict:
    """Return the `pause` frame sent to extensions for a pause record."""
    return {
        "type": "pause",
        "pause_id": record["pause_id"],
        "scope": record["scope"],
        "reason": record["reason"],
        "since": record["since"],
    }


# What became of one `pause_applied` (record_acks): recorded, or why not.
ACK_RECORDED = "recorded"
ACK_UNKNOWN = "unknown"  # no such pause
ACK_NOT_COVERED = "not_covered"  # its scope is not everyone, the device's team or its employee
ACK_ENDED = "ended"  # it covers the device but was resumed before the answer came

# Record many `pause_applied` at once (every client answers a pause together). KEYS: the pause
# records, the active pauses. ARGV: the acks key's text before and after the pause id, then per
# ack: pause id, device, ack json, n, and the n active-pause fields that cover the device. An ack
# is recorded only when one of those fields names its pause: active and covering the device, read
# in the same script that records it, so a resume cannot slip in between. A device's first ack
# of a pause is kept: a repeated one (a reconnect, a resync) does not move the time it applied.
# Returns, per ack, 1 when recorded (or already recorded), 0 for an unknown pause, 2 for a pause
# that is not in effect for the device.
RECORD_ACKS_LUA = """
local out, known = {}, {}
local i = 3
while i <= #ARGV do
  local id, device, ack, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local holders = redis.call('HMGET', KEYS[2], unpack(ARGV, i + 4, i + 3 + n))
  i = i + 4 + n
  if known[id] == nil then known[id] = redis.call('HEXISTS', KEYS[1], id) == 1 end
  local result = 0
  if known[id] then
    result = 2
    for _, holder in ipairs(holders) do
      if holder == id then result = 1 end
    end
  end
  if result == 1 then redis.call('HSETNX', ARGV[1] .. id .. ARGV[2], device, ack) end
  out[#out + 1] = result
end
return out
"""


def record_acks(r: redis.Redis, applied: list[tuple[str, str, str, str]]) -> list[str]:
    """Record (pause id, device, employee, team) acks in one round trip; return each outcome.

    An ack is recorded (ACK_RECORDED) only while its pause is in effect for the device: active,
    and its scope is everyone, the device's team or its employee. Otherwise ACK_UNKNOWN,
    ACK_NOT_COVERED or ACK_ENDED says why, and nothing is written. A device's repeated ack of
    the same pause is ACK_RECORDED too, but keeps the time of the first.
    """
    if not applied:
        return []
    at = now_ms()
    before, after = keys.KEY_PAUSE_ACKS.split("{pause_id}")
    args: list[str | int] = [before, after]
    for pause_id, device, employee, team in applied:
        fields = keys.pause_fields(employee, team)
        ack = json.dumps({"employee": employee, "device": device, "at": at})
        args += [pause_id, device, ack, len(fields), *fields]
    script = r.register_script(RECORD_ACKS_LUA)
    flags = script(keys=[keys.KEY_PAUSES, keys.KEY_PAUSES_ACTIVE], args=args)
    # Why one was refused: read those pauses only (rare: an extension answers the pauses it got).
    refused = sorted({a[0] for a, flag in zip(applied, flags, strict=True) if flag == 2})
    records = {pause_id: get_pause(r, pause_id) for pause_id in refused}
    return [
        _outcome(flag, records.get(a[0]), a[2], a[3])
        for a, flag in zip(applied, flags, strict=True)
    ]


def _outcome(flag: int, record: dict | None, employee: str, team: str) -> str:
    if flag == 1:
        return ACK_RECORDED
    if flag == 0 or record is None:
        return ACK_UNKNOWN
    return ACK_ENDED if matches(record["scope"], employee, team) else ACK_NOT_COVERED


def acks(r: redis.Redis, pause_id: str) -> list[dict]:
    """Return the acknowledgements recorded for a pause."""
    return acks_of(r, [pause_id])[0]


def acks_of(r: redis.Redis, pause_ids: list[str]) -> list[list[dict]]:
    """Return the acknowledgements of each pause, oldest first, in one round trip."""
    pipe = r.pipeline(transaction=False)
    for pause_id in pause_ids:
        pipe.hvals(keys.key(keys.KEY_PAUSE_ACKS, pause_id=pause_id))
    found = pipe.execute() if pause_ids else []
    return [sorted((json.loads(v) for v in raw), key=lambda a: a["at"]) for raw in found]
