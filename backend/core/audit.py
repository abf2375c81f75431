"""The audit log: who changed what, as ids and counts, never payloads."""

from __future__ import annotations

import json

import redis

from . import keys
from .clock import now_ms

AUDIT_MAX = 10000


def audit(r: redis.Redis, actor: str, action: str, **details) -> None:
    """Append an admin action to the audit log (ids and counts only, never payloads)."""
    entry = {"at": now_ms(), "actor": actor, "action": action, **details}
    r.lpush(keys.KEY_AUDIT, json.dumps(entry))
    r.ltrim(keys.KEY_AUDIT, 0, AUDIT_MAX - 1)


def read_audit(r: redis.Redis, limit: int = 200) -> list[dict]:
    """Return the newest audit entries first."""
    return [json.loads(x) for x in r.lrange(keys.KEY_AUDIT, 0, limit - 1)]
