"""Enrollment and device tokens; a token is shown once and stored only as its hash."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

import redis

from . import keys
from .clock import now_ms

TOKEN_PREFIX = "ovt_"


@dataclass(frozen=True)
class Identity:
    """Who a device token names: the only source of identity for events."""

    employee: str
    team: str
    device: str


def token_hash(token: str) -> str:
    """Return the stored form of a device token."""
    return hashlib.sha256(token.encode()).hexdigest()


def enroll(r: redis.Redis, employee: str, team: str) -> tuple[str, Identity]:
    """Issue a new device token for `employee` in `team`; return it with its identity."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = "dev_" + secrets.token_hex(6)
    ident = Identity(employee, team, device)
    record = {"employee": employee, "team": team, "device": device, "issued_at": now_ms()}
    pipe = r.pipeline()
    pipe.hset(keys.KEY_TOKENS, token_hash(token), json.dumps(record))
    pipe.hset(keys.KEY_EMPLOYEES, employee, json.dumps({"team": team, "enrolled_at": now_ms()}))
    pipe.execute()
    return token, ident


# Rewrites the team of every token record of one employee, atomically. KEYS: the tokens hash.
# ARGV: the records' employee and team field names, the employee, the new team.
MOVE_LUA = """
local efield, tfield, employee, team = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local flat, moved = redis.call('HGETALL', KEYS[1]), 0
for i = 1, #flat, 2 do
  local rec = cjson.decode(flat[i + 1])
  if rec[efield] == employee and rec[tfield] ~= team then
    rec[tfield] = team
    redis.call('HSET', KEYS[1], flat[i], cjson.encode(rec))
    moved = moved + 1
  end
end
return moved
"""


def move_tokens(r: redis.Redis, employee: str, team: str) -> int:
    """Put every device token of `employee` in `team`; return how many were in another."""
    script = r.register_script(MOVE_LUA)
    return int(script(keys=[keys.KEY_TOKENS], args=["employee", "team", employee, team]))


def authenticate(r: redis.Redis, token: str) -> Identity | None:
    """Return the identity a token names, or None for an unknown or revoked token."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    raw = r.hget(keys.KEY_TOKENS, token_hash(token))
    if raw is None:
        return None
    rec = json.loads(raw)
    return Identity(rec["employee"], rec["team"], rec["device"])


def revoke(r: redis.Redis, employee: str) -> int:
    """Revoke every device token of `employee`; return how many were revoked."""
    doomed = [
        h for h, raw in r.hscan_iter(keys.KEY_TOKENS) if json.loads(raw)["employee"] == employee
    ]
    if doomed:
        r.hdel(keys.KEY_TOKENS, *doomed)
    return len(doomed)


def devices_of(r: redis.Redis, employee: str) -> list[dict]:
    """Return `employee`'s enrolled devices: id, team, issued_at (ms), oldest first; never a
    token (only its hash is stored)."""
    records = (json.loads(raw) for _, raw in r.hscan_iter(keys.KEY_TOKENS))
    mine = [rec for rec in records if rec["employee"] == employee]
    return sorted(
        ({k: rec.get(k) for k in ("device", "team", "issued_at")} for rec in mine),
        key=lambda d: (d["issued_at"] or 0, d["device"]),
    )


def team_of(r: redis.Redis, employee: str) -> str | None:
    """Return the team of an enrolled employee, or None."""
    raw = r.hget(keys.KEY_EMPLOYEES, employee)
    return json.loads(raw)["team"] if raw else None


def list_employees(r: redis.Redis) -> dict[str, dict]:
    """Return every enrolled employee with team and enrollment time."""
    return {k.decode(): json.loads(v) for k, v in r.hgetall(keys.KEY_EMPLOYEES).items()}
