"""Totals of the batch index kept beside it, so the dataset card never reads the whole index.

The dataset card (backend/core/dataset_readme.py) shows, over every shard indexed, the number of
shards, of events and of distinct contributors, and the events per policy version. It is written
after every seal; computing those from the whole index (`overt:batches`, one JSON entry per shard)
made each seal cost more as the dataset grew (bench/datasets.py, "with history"). Instead, every
change to the index goes through `put_entry` or `drop_entry`: one Lua script that updates the
entry and the totals at once, from the entry it replaces. The totals are a cache of the index:
`read_totals` rebuilds them from the index when they were never built (an index written by an
older Overt) or when their shard count disagrees with the index's size.
"""

from __future__ import annotations

import json
from collections import Counter

import redis

from . import keys

# KEYS: index, totals, contributors. ARGV[1]: batch id; ARGV[2]: the new entry (JSON), or '' to
# remove it. Totals: `shards`, `events`, `v:<policy version>` -> events; contributors: pseudonym
# -> the number of shards indexed that hold it (removed at 0).
PUT_LUA = """
-- cjson reads numbers as doubles and 0 * -1 is written "-0", which HINCRBY refuses.
local function int(x) return string.format('%d', x) end
local function apply(entry, sign)
  redis.call('HINCRBY', KEYS[2], 'shards', sign)
  redis.call('HINCRBY', KEYS[2], 'events', int(sign * (tonumber(entry['events']) or 0)))
  local versions = entry['policy_versions']
  if type(versions) == 'table' then
    for version, n in pairs(versions) do
      local field = 'v:' .. version
      if redis.call('HINCRBY', KEYS[2], field, int(sign * n)) == 0 then
        redis.call('HDEL', KEYS[2], field)
      end
    end
  end
  local contributors = entry['contributors']
  if type(contributors) == 'table' then
    for _, c in ipairs(contributors) do
      if redis.call('HINCRBY', KEYS[3], c, sign) <= 0 then redis.call('HDEL', KEYS[3], c) end
    end
  end
end
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then apply(cjson.decode(old), -1) end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  apply(cjson.decode(ARGV[2]), 1)
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
return 1
"""
BUILT = "built"


def _keys() -> list[str]:
    return [keys.KEY_BATCHES, keys.KEY_DATASET_TOTALS, keys.KEY_DATASET_CONTRIBUTORS]


def _put(r: redis.Redis, args: list[str], pipe) -> None:
    if pipe is None:
        r.register_script(PUT_LUA)(keys=_keys(), args=args)
    else:  # EVAL, not a registered script: a pipeline would ask whether it is loaded first
        pipe.eval(PUT_LUA, 3, *_keys(), *args)


def put_entry(r: redis.Redis, batch_id: str, entry: dict, pipe=None) -> None:
    """Index `entry` under `batch_id` (replacing any), totals updated; on `pipe` when given."""
    _put(r, [batch_id, json.dumps(entry)], pipe)


def drop_entry(r: redis.Redis, batch_id: str, pipe=None) -> None:
    """Remove `batch_id` from the index, totals updated; on `pipe` when given."""
    _put(r, [batch_id, ""], pipe)


def totals_of(index: list[dict]) -> dict:
    """Return the totals of index entries, computed from all of them."""
    versions = Counter()
    for entry in index:
        versions.update(entry.get("policy_versions") or {})
    return {
        "shards": len(index),
        "events": sum(e.get("events", 0) for e in index),
        "contributors": len({c for e in index for c in e.get("contributors", ())}),
        "policy_versions": {v: n for v, n in sorted(versions.items()) if n},
    }


def rebuild(r: redis.Redis) -> dict:
    """Compute the totals from the whole index and store them; return them."""
    index = [json.loads(v) for v in r.hvals(keys.KEY_BATCHES)]
    totals = totals_of(index)
    shards_of = Counter(c for e in index for c in set(e.get("contributors", ())))
    stored = {"shards": totals["shards"], "events": totals["events"], BUILT: 1}
    stored.update({f"v:{v}": n for v, n in totals["policy_versions"].items()})
    pipe = r.pipeline(transaction=True)
    pipe.delete(keys.KEY_DATASET_TOTALS, keys.KEY_DATASET_CONTRIBUTORS)
    pipe.hset(keys.KEY_DATASET_TOTALS, mapping=stored)
    if shards_of:
        pipe.hset(keys.KEY_DATASET_CONTRIBUTORS, mapping=dict(shards_of))
    pipe.execute()
    return totals


def read_totals(r: redis.Redis) -> dict:
    """Return the index's totals (`totals_of`), rebuilt first when they do not match it.

    Call it holding the datasets lock (backend/core/datasets.py), as every index writer does."""
    pipe = r.pipeline(transaction=True)
    pipe.hgetall(keys.KEY_DATASET_TOTALS)
    pipe.hlen(keys.KEY_DATASET_CONTRIBUTORS)
    pipe.hlen(keys.KEY_BATCHES)
    raw, contributors, shards = pipe.execute()
    stored = {k.decode(): int(v) for k, v in raw.items()}
    if not stored.get(BUILT) or stored.get("shards", 0) != shards:
        return rebuild(r)
    versions = {k[2:]: n for k, n in stored.items() if k.startswith("v:")}
    return {
        "shards": shards,
        "events": stored.get("events", 0),
        "contributors": contributors,
        "policy_versions": dict(sorted(versions.items())),
    }
