"""Revoking one device (the console's per-device button); employees.py revokes all of a person's."""

from __future__ import annotations

import json

import redis

from . import keys


def revoke_device(r: redis.Redis, device: str) -> str | None:
    """Revoke the token of `device`; return its employee, or None for an unknown device."""
    for digest, raw in r.hscan_iter(keys.KEY_TOKENS):
        record = json.loads(raw)
        if record["device"] == device:
            r.hdel(keys.KEY_TOKENS, digest)
            return record["employee"]
    return None
