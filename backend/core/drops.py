"""Drops counted in the window they belong to: by the minute of the dropped event's own time.

`KEY_DROPS` holds `"<minute>|<reason>" -> count`, where minute is the event's timestamp // 60 s.
Sealing a shard claims the counts of the minutes its time window covers (its card reports them),
and counts of minutes older than that window which no shard covered are written to the manifest
as a `dropped` line with their own window. So every drop is reported once, in a window holding
its time, never on the card of an unrelated shard that happened to seal next.
"""

from __future__ import annotations

from collections import Counter

import redis

from . import keys
from .clock import iso

MINUTE_MS = 60_000

# Subtract claimed counts and delete fields that reach zero (new drops may have arrived meanwhile).
CLAIM_LUA = """
for i = 1, #ARGV, 2 do
  if redis.call('HINCRBY', KEYS[1], ARGV[i], -tonumber(ARGV[i + 1])) <= 0 then
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return 1
"""


def field(ts: int, reason: str) -> str:
    """Return the drops field of an event at `ts` dropped for `reason`."""
    return f"{int(ts) // MINUTE_MS}|{reason}"


def parse(raw: dict) -> dict[tuple[int, str], int]:
    """Return (minute, reason) -> count from the raw drops hash."""
    out = {}
    for name, count in raw.items():
        name = name.decode() if isinstance(name, bytes) else name
        minute, _, reason = name.partition("|")
        if minute.isdigit():
            out[(int(minute), reason)] = int(count)
    return out


def by_reason(raw: dict) -> dict[str, int]:
    """Return the raw drops hash summed by reason."""
    totals = Counter()
    for (_, reason), count in parse(raw).items():
        totals[reason] += count
    return dict(sorted(totals.items()))


def pending_by_reason(r: redis.Redis) -> dict[str, int]:
    """Return the drops not yet reported on a card or in the manifest, by reason."""
    return by_reason(r.hgetall(keys.KEY_DROPS))


def split(pending: dict, first_ms: int, last_ms: int) -> tuple[Counter, Counter, list[int]]:
    """Split pending drops into those in [first, last] by minute, and those older than first.

    Return (in window by reason, older by reason, the older minutes).
    """
    lo, hi = first_ms // MINUTE_MS, last_ms // MINUTE_MS
    inside, older, minutes = Counter(), Counter(), []
    for (minute, reason), count in pending.items():
        if lo <= minute <= hi:
            inside[reason] += count
        elif minute < lo:
            older[reason] += count
            minutes.append(minute)
    return inside, older, minutes


def claim_args(pending: dict, last_ms: int) -> list:
    """Return CLAIM_LUA arguments for every pending count up to the minute of `last_ms`."""
    args: list = []
    for (minute, reason), count in sorted(pending.items()):
        if minute <= last_ms // MINUTE_MS:
            args += [f"{minute}|{reason}", count]
    return args


def window_of(minutes: list[int]) -> dict:
    """Return the time window spanning whole `minutes`, as ISO-8601 UTC times."""
    return {"start": iso(min(minutes) * MINUTE_MS), "end": iso((max(minutes) + 1) * MINUTE_MS - 1)}
