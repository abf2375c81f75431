"""The organisation's capture policy: asked categories, purpose, retention, work origins."""

from __future__ import annotations

import hashlib
import json

import redis

from . import keys
from .origins import normal_origin
from .vocabulary import CATEGORIES

DEFAULT_MIN_CONTRIBUTORS = 3

DEFAULT_POLICY = {
    "categories": list(CATEGORIES),
    "purpose": (
        "Train assistants that help with our internal web apps, from how people navigate "
        "and use them. Never what anyone types."
    ),
    "retention_days": 90,
    # None means none: nothing is captured until an admin names the work apps.
    "allowed_origins": [],
    "mask_selectors": [],
    # A word of a label, title or URL path is sealed once this many people have produced it.
    "min_contributors": DEFAULT_MIN_CONTRIBUTORS,
}


def policy_version(policy: dict) -> str:
    """Return the version of a policy: a hash of what consent is given for (not the gate's k)."""
    body = {k: policy[k] for k in ("categories", "purpose", "retention_days", "allowed_origins")}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]


def get_policy(r: redis.Redis) -> dict:
    """Return the current policy, with its version."""
    return policy_of(r.get(keys.KEY_POLICY))


def policy_of(raw: bytes | str | None) -> dict:
    """Return the policy stored as `raw` (the policy key's value, None when unset), with its
    version."""
    policy = {**DEFAULT_POLICY, **json.loads(raw)} if raw else dict(DEFAULT_POLICY)
    policy["version"] = policy_version(policy)
    return policy


def lapsed_categories(old: dict, new: dict) -> set[str]:
    """Return the categories whose consent lapses when `old` becomes `new`."""
    if old["purpose"] != new["purpose"]:
        return set(CATEGORIES)  # a new purpose changes what every consent was given for
    return set(old["categories"]) - set(new["categories"])


def put_policy(r: redis.Redis, new: dict) -> tuple[dict, set[str]]:
    """Store `new` as the policy; return it (with version) and the lapsed categories."""
    old = get_policy(r)
    body = {
        "categories": sorted(set(new["categories"]), key=CATEGORIES.index),
        "purpose": new["purpose"],
        "retention_days": new["retention_days"],
        "allowed_origins": sorted({normal_origin(o.rstrip("/")) for o in new["allowed_origins"]}),
        "min_contributors": new.get("min_contributors", old["min_contributors"]),
        "mask_selectors": list(dict.fromkeys(new.get("mask_selectors", old["mask_selectors"]))),
    }
    r.set(keys.KEY_POLICY, json.dumps(body))
    body["version"] = policy_version(body)
    return body, lapsed_categories(old, body)
