"""Delete queued, unsealed events of a scope, an employee or some categories.

What a drain or seal job holds in flight at that moment is dropped by the same rules when it
stages or seals (filters.py), so a purge never races a worker into a dataset.
"""

from __future__ import annotations

import redis

from . import keys
from .records import CATEGORY, EMPLOYEE, EVENT, RECORD, TEAM

# Rewrites each list without the matching entries, atomically, and counts them as drops (the
# last key) by the minute of each event's time and reason (backend/core/drops.py). ARGV: the field
# to match (or '*'), its value, the reason, the names of the category, event and record fields,
# then the categories to purge (none: all). Field names come from records.py.
PURGE_LUA = """
local field, value, reason, catfield = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local evfield, recfield = ARGV[5], ARGV[6]
local cats, anycat = {}, #ARGV < 7
for i = 7, #ARGV do cats[ARGV[i]] = true end
local removed, counts = 0, {}
for k = 1, #KEYS - 1 do
  local key = KEYS[k]
  local items = redis.call('LRANGE', key, 0, -1)
  local keep = {}
  for _, item in ipairs(items) do
    local ok, doc = pcall(cjson.decode, item)
    local hit = ok and (field == '*' or doc[field] == value) and (anycat or cats[doc[catfield]])
    if hit then
      removed = removed + 1
      local ev = doc[evfield] or doc[recfield] or {}
      -- a dead letter (workers/quarantine.py) has no event: counted when it was set aside
      local minute = math.floor((tonumber(ev['ts']) or tonumber(doc['at']) or 0) / 60000)
      counts[minute] = (counts[minute] or 0) + 1
    else
      keep[#keep + 1] = item
    end
  end
  if #keep < #items then
    redis.call('DEL', key)
    for i = 1, #keep, 1000 do
      redis.call('RPUSH', key, unpack(keep, i, math.min(i + 999, #keep)))
    end
  end
end
for minute, n in pairs(counts) do
  redis.call('HINCRBY', KEYS[#KEYS], string.format('%d|%s', minute, reason), n)
end
return removed
"""

# Dead letters hold events too (workers/quarantine.py): a purge or an erasure removes them.
QUEUED_LISTS = (keys.KEY_INCOMING, keys.KEY_STAGING, keys.KEY_DEAD_LETTER)


def _purge(r: redis.Redis, reason: str, field: str, value: str, categories=()) -> int:
    script = r.register_script(PURGE_LUA)
    args = [field, value, reason, CATEGORY, EVENT, RECORD, *sorted(categories)]
    return int(script(keys=[*QUEUED_LISTS, keys.KEY_DROPS], args=args))


def purge_scope(r: redis.Redis, scope: dict) -> int:
    """Delete the queued events of a pause scope; return how many."""
    if scope.get("all"):
        return _purge(r, "purged", "*", "")
    ((kind, value),) = scope.items()
    return _purge(r, "purged", TEAM if kind == "team" else EMPLOYEE, value)


def purge_employee(
    r: redis.Redis, employee: str, categories=(), reason: str = "consent_withdrawn"
) -> int:
    """Delete an employee's queued events (of `categories`, or all); return how many."""
    return _purge(r, reason, EMPLOYEE, employee, categories)
