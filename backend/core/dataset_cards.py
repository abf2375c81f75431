"""Dataset cards: one datasheet per shard, and the dataset-level `README.md` (Hugging Face format).

A shard's card says what it holds (counts, time window, contributors, the policy versions its
records were captured under, drops in its window), under which terms (purpose, categories asked,
allowed origins, retention and delete-by date, terms of use), how it was made safe (redaction
rules version, pseudonymisation method and key id: a hash of the key, never the key) and what
each column means. Erasures add revisions; the card never says whose records went.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import itemgetter

from . import redact
from .clock import iso
from .dataset_schema import DATASET_SCHEMA_VERSION, descriptions

LICENSE = "other"
# A card's license `other` needs an id and a link (the Hugging Face dataset card metadata):
# the terms are the card's own "Terms of use" section (dataset_readme.py, steps_card.py).
LICENSE_NAME = "overt-internal-terms"
LICENSE_LINK = "README.md#terms-of-use"
TERMS_OF_USE = (
    "Internal use only, for the purpose stated on this card. Do not try to re-identify "
    "contributors or join this data with other data about employees. Delete every copy by the "
    "delete-by date, and apply every later line of manifest.jsonl (rewritten and deleted "
    "shards carry erasures) to any copy you keep."
)
PSEUDONYM_METHOD = "HMAC-SHA256(OVERT_SECRET, 'employee:' + employee id), first 24 hex, 'p_' prefix"


def key_id(secret: str) -> str:
    """Return an identifier of the pseudonymisation key that does not reveal it."""
    return "k_" + hmac.new(secret.encode(), b"overt-key-id", hashlib.sha256).hexdigest()[:16]


def redaction_rules_version() -> str:
    """Return a version of the worker's redaction rules: a hash of the rules themselves."""
    rules = [
        redact.EMAIL.pattern,
        redact.CARD.pattern,
        redact.DIGITS.pattern,
        redact.EMAIL_MASK,
        redact.CARD_MASK,
        redact.DIGITS_MASK,
        *redact.TEXT_FIELDS,
        *redact.URL_FIELDS,
    ]
    return hashlib.sha256(json.dumps(rules).encode()).hexdigest()[:12]


def window(records: list[dict]) -> dict:
    """Return the time window of `records` (a shard is ordered by tab step, not by time)."""
    times = list(map(itemgetter("ts"), records))
    return {"start": iso(min(times)), "end": iso(max(times))}


def describe(records: list[dict]) -> dict:
    """Return the parts of a card that follow from its records alone (each count made by
    Counter over `map`, in C)."""
    versions = Counter()
    for version, n in Counter(map(dict.get, records, repeat("policy_version"))).items():
        versions[version or "unknown"] += n
    return {
        "events": len(records),
        "time_window": window(records),
        "counts_by_type": dict(sorted(Counter(map(itemgetter("type"), records)).items())),
        "counts_by_category": dict(sorted(Counter(map(itemgetter("category"), records)).items())),
        "contributors": len(set(map(itemgetter("contributor"), records))),
        "policy_versions": dict(sorted(versions.items())),
    }


def terms(policy: dict, sealed_ms: int) -> dict:
    """Return the terms a shard was sealed under, from the policy in force at sealing."""
    delete_by = datetime.fromtimestamp(sealed_ms / 1000, UTC) + timedelta(
        days=policy["retention_days"]
    )
    return {
        "policy": {
            "version": policy["version"],
            "purpose": policy["purpose"],
            "categories_asked": list(policy["categories"]),
            "allowed_origins": list(policy["allowed_origins"]),
            "retention_days": policy["retention_days"],
        },
        "delete_by": delete_by.isoformat(timespec="milliseconds"),
        "terms_of_use": TERMS_OF_USE,
        "license": LICENSE,
    }


def build_card(
    batch_id: str,
    shard: str,
    records: list[dict],
    drops: dict,
    digest: str,
    policy: dict,
    sealed_ms: int,
    secret_key_id: str | None,
) -> dict:
    """Return the card of a newly sealed shard (revision 1)."""
    sealed_at = iso(sealed_ms)
    return {
        "batch_id": batch_id,
        "schema_version": DATASET_SCHEMA_VERSION,
        "shard": shard,
        "sha256": digest,
        "revision": 1,
        "revisions": [{"revision": 1, "at": sealed_at, "reason": "sealed", "sha256": digest}],
        "sealed_at": sealed_at,
        **describe(records),
        # Drops of events whose time falls in this shard's window (minute resolution).
        "drops_by_reason": dict(sorted(drops.items())),
        **terms(policy, sealed_ms),
        "redaction": {
            "rules_version": redaction_rules_version(),
            "where": "in the browser, and again by the worker before sealing",
        },
        "pseudonymisation": {"method": PSEUDONYM_METHOD, "key_id": secret_key_id},
        "fields": descriptions(),
        "erasures": [],
    }


def revise_card(card: dict, records: list[dict], digest: str, removed: int, at: int) -> dict:
    """Return `card` describing its shard rewritten without `removed` records (never whose)."""
    revision = card.get("revision", 1) + 1
    return {
        **card,
        **describe(records),
        "sha256": digest,
        "revision": revision,
        "revisions": [
            *card.get("revisions", []),
            {"revision": revision, "at": iso(at), "reason": "erasure", "sha256": digest},
        ],
        "erasures": [*card.get("erasures", []), {"at": iso(at), "removed": removed}],
    }
