"""Everything held about one employee: queued, staged and sealed, for /me and its export.

Flask-free so a script (or a worker) can produce the same export. Sealed records are found
through the batch index, which lists each batch's pseudonymous contributors, so only the
employee's own shards are opened.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, tzinfo

import redis

from . import keys
from .clock import day, iso, now_ms
from .consent import get_consent, ledger, privacy_signals
from .datasets import (
    DatasetsUnavailableError,
    batches_with,
    open_storage,
    read_shard,
    shard_paths,
)
from .employees import devices_of, team_of
from .erase import deleted_in_manifest, receipts
from .policy import get_policy
from .pseudonym import pseudonym
from .records import Entry, dataset_record, employee_needle


def _mine(raw_items, employee: str) -> list[Entry]:
    # The substring test skips parsing other people's entries.
    needle = employee_needle(employee)
    out = []
    for raw in raw_items:
        if needle in raw:
            entry = Entry.decode(raw)
            if entry.employee == employee:
                out.append(entry)
    return out


def queued_entries(r: redis.Redis, employee: str) -> list[Entry]:
    """Return the employee's accepted events not yet staged (queued or in a take), oldest first."""
    incoming = list(reversed(r.lrange(keys.KEY_INCOMING, 0, -1)))  # LPUSHed: newest at the head
    in_flight = []
    for take_id in r.zrange(keys.KEY_PROCESSING_INDEX, 0, -1):
        processing = keys.key(keys.KEY_PROCESSING, job=take_id.decode())
        in_flight += r.lrange(processing, 0, -1)
    return _mine(in_flight, employee) + _mine(incoming, employee)


def staged_entries(r: redis.Redis, employee: str) -> list[Entry]:
    """Return the employee's filtered, pseudonymised records waiting to be sealed, oldest first."""
    return _mine(r.lrange(keys.KEY_STAGING, 0, -1), employee)


def sealed_batches(r: redis.Redis, datasets, contributor: str) -> list[dict]:
    """Return, per sealed batch holding `contributor`, its summary and their records in it.

    A batch deleted since the index was read (erasure, retention) is left out; one still
    indexed whose shard is not there (datasets moved, a backend given another
    OVERT_DATASETS_URL than the workers) raises DatasetsUnavailableError: the answer listed
    the batch with no records, an export short of everything in it that said nothing.
    """
    out = []
    storage = open_storage(datasets)
    for entry in batches_with(r, contributor):
        shard, _ = shard_paths(entry["date"], entry["batch_id"])
        if not storage.exists(shard):
            gone = deleted_in_manifest(storage, entry["batch_id"]) is not None
            if r.hexists(keys.KEY_BATCHES, entry["batch_id"]) and not gone:
                raise DatasetsUnavailableError(
                    f"sealed batch {entry['batch_id']} is not in the datasets at {storage.url}"
                )
            continue
        records = read_shard(shard, storage)
        mine = [x for x in records if x.get("contributor") == contributor]
        out.append(
            {
                "batch_id": entry["batch_id"],
                "date": entry["date"],
                "sealed_at": entry.get("sealed_at"),
                "records": mine,
            }
        )
    return out


def export(r: redis.Redis, datasets, secret: str, employee: str) -> dict:
    """Return everything held about `employee` as one JSON document."""
    contributor = pseudonym(secret, employee)
    return {
        "exported_at": iso(now_ms()),
        "employee": employee,
        "team": team_of(r, employee),
        "pseudonym": contributor,
        "policy": get_policy(r),
        "consent": {"categories": get_consent(r, employee)},
        "ledger": ledger(r, employee),
        "devices": devices(r, employee),
        "queued": [
            {"received": e.received, "device": e.device, "category": e.category, "event": e.event}
            for e in queued_entries(r, employee)
        ],
        "staged": [s.record for s in staged_entries(r, employee)],
        "sealed": sealed_batches(r, datasets, contributor),
        "receipts": receipts(r, employee),
    }


def devices(r: redis.Redis, employee: str) -> list[dict]:
    """My enrolled devices: id, team, when issued, and the privacy signals (GPC, DNT) each sent
    in its latest hello."""
    return [
        {**d, "issued_at": iso(d["issued_at"]) if d["issued_at"] else None}
        | {"signals": privacy_signals(r, d["device"])}
        for d in devices_of(r, employee)
    ]


def collected(r: redis.Redis, datasets, secret: str, employee: str, zone: tzinfo = UTC) -> dict:
    """Return counts by category and day (in `zone`), the latest records, and my batches."""
    contributor = pseudonym(secret, employee)
    batches = sealed_batches(r, datasets, contributor)
    origins = frozenset(get_policy(r)["allowed_origins"])
    rows = [
        ("queued", dataset_record(e, contributor, origins)) for e in queued_entries(r, employee)
    ]
    rows += [("staged", s.record) for s in staged_entries(r, employee)]
    rows += [("sealed", rec) for b in batches for rec in b["records"]]
    by_category, by_stage = Counter(), Counter()
    by_day: dict[str, Counter] = defaultdict(Counter)
    for stage, rec in rows:
        by_category[rec["category"]] += 1
        by_stage[stage] += 1
        by_day[day(rec["ts"], zone)][rec["category"]] += 1
    latest = sorted(rows, key=lambda row: (row[1]["ts"], row[1]["id"]), reverse=True)[:20]
    return {
        "counts": {
            "total": len(rows),
            "by_category": dict(sorted(by_category.items())),
            "by_stage": {s: by_stage[s] for s in ("queued", "staged", "sealed")},
            "by_day": {date: dict(sorted(c.items())) for date, c in sorted(by_day.items())},
        },
        "recent": [{"stage": stage, "record": rec} for stage, rec in latest],
        "batches": [
            {
                "batch_id": b["batch_id"],
                "date": b["date"],
                "sealed_at": b["sealed_at"],
                "events": len(b["records"]),
            }
            for b in batches
        ],
    }
