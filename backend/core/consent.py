"""Per-employee, per-category, opt-in consent derived from an append-only ledger."""

from __future__ import annotations

import json

import redis

from . import keys
from .clock import now_ms
from .vocabulary import CATEGORIES


class ConsentError(ValueError):
    """A consent change cannot be made as asked; `code` is the typed reason."""

    def __init__(self, code: str, message: str, errors: dict | None = None):
        super().__init__(message)
        self.code = code
        self.errors = errors or {}


def current_grants(r: redis.Redis, employee: str) -> dict[str, int]:
    """Return category -> ms since which it has been granted, for granted categories only."""
    raw = r.hgetall(keys.key(keys.KEY_CONSENT, employee=employee))
    return {k.decode(): int(v) for k, v in raw.items()}


def privacy_signals(r: redis.Redis, device: str) -> dict[str, bool]:
    """Return the privacy signals (GPC, DNT) the device sent in its latest hello."""
    raw = r.hget(keys.KEY_SIGNALS, device)
    return json.loads(raw) if raw else {"gpc": False, "dnt": False}


def get_consent(r: redis.Redis, employee: str) -> dict[str, bool]:
    """Return every category with whether the employee has granted it."""
    grants = current_grants(r, employee)
    return {c: c in grants for c in CATEGORIES}


def set_consent(
    r: redis.Redis,
    employee: str,
    changes: dict[str, bool],
    policy: dict,
    device: str,
    signals: dict | None = None,
    confirm: bool = False,
) -> tuple[dict[str, bool], set[str]]:
    """Apply `changes`, append them to the ledger; return the consent and withdrawn categories."""
    signals = signals or {}
    enabling = {c for c, on in changes.items() if on}
    not_asked = enabling - set(policy["categories"])
    if not_asked:
        raise ConsentError(
            "not_asked",
            "the policy does not ask for these categories",
            {c: ["not asked by the policy"] for c in sorted(not_asked)},
        )
    if enabling and (signals.get("gpc") or signals.get("dnt")) and not confirm:
        raise ConsentError(
            "confirmation_required",
            "your browser sends a privacy signal (GPC or DNT): confirm to enable capture",
            {"confirm": ["required while a privacy signal is on"]},
        )
    key = keys.key(keys.KEY_CONSENT, employee=employee)
    before = set(current_grants(r, employee))
    granted = enabling - before
    withdrawn = {c for c, on in changes.items() if not on} & before
    at = now_ms()
    pipe = r.pipeline(transaction=True)
    if granted:
        pipe.hset(key, mapping={c: at for c in granted})
    if withdrawn:
        pipe.hdel(key, *withdrawn)
    if granted or withdrawn:
        entry = {
            "at": at,
            "by": employee,
            "device": device,
            "policy_version": policy["version"],
            "granted": sorted(granted),
            "withdrawn": sorted(withdrawn),
            "signals": {k: bool(signals.get(k)) for k in ("gpc", "dnt")},
            "confirmed": bool(confirm),
        }
        pipe.rpush(keys.key(keys.KEY_LEDGER, employee=employee), json.dumps(entry))
    pipe.execute()
    return get_consent(r, employee), withdrawn


def lapse(r: redis.Redis, categories: set[str], policy_version: str) -> dict[str, set[str]]:
    """Withdraw `categories` from every employee after a policy change; return who lost what."""
    lost: dict[str, set[str]] = {}
    for raw_key in r.scan_iter(match=keys.key(keys.KEY_CONSENT, employee="*")):
        employee = keys.part_of(keys.KEY_CONSENT, raw_key)
        held = set(current_grants(r, employee)) & categories
        if not held:
            continue
        entry = {
            "at": now_ms(),
            "by": "policy",
            "device": None,
            "policy_version": policy_version,
            "granted": [],
            "withdrawn": sorted(held),
            "reason": "policy_changed",
        }
        pipe = r.pipeline(transaction=True)
        pipe.hdel(raw_key, *held)
        pipe.rpush(keys.key(keys.KEY_LEDGER, employee=employee), json.dumps(entry))
        pipe.execute()
        lost[employee] = held
    return lost


def ledger(r: redis.Redis, employee: str) -> list[dict]:
    """Return the employee's consent ledger, oldest first."""
    return [json.loads(x) for x in r.lrange(keys.key(keys.KEY_LEDGER, employee=employee), 0, -1)]
