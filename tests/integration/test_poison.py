"""Poison events: one bad event never holds back its take; it lands in the dead-letter list."""

import json

from backend.core import keys
from backend.core.dataset_manifest import read_manifest
from backend.core.drops import pending_by_reason
from backend.core.employees import enroll
from backend.core.intake import Intake
from tests.conftest import WORK_ORIGIN
from tests.helpers import make_event
from tests.integration.storage import card_of, shards, store
from workers import batches


def queue_raw(redis_conn, ident, event: dict) -> None:
    """Queue an entry as an older or buggy backend would have, bypassing intake validation."""
    entry = {
        "e": ident.employee,
        "t": ident.team,
        "d": ident.device,
        "c": "clicks",
        "r": event["ts"],
        "ev": event,
    }
    redis_conn.lpush(keys.KEY_INCOMING, json.dumps(entry))


def test_bad_events_mixed_into_a_take(redis_conn, settings, run_workers, admin):
    """Every good event is sealed; every bad one is in the dead-letter list with its reason."""
    admin.set_policy()
    _, alice = enroll(redis_conn, "alice", "sales")
    _, bob = enroll(redis_conn, "bob", "sales")
    for name in ("alice", "bob"):
        redis_conn.hset(keys.key(keys.KEY_CONSENT, employee=name), "clicks", 0)
    intake = Intake(redis_conn, lambda: None)
    good, bad = [], []
    for i in range(100):
        event = make_event()
        assert intake.accept(bob, i, [event], [WORK_ORIGIN])["accepted"] == 1
        good.append(event["id"])
        if i % 25 == 0:  # poison from another employee, interleaved
            poison = [
                make_event(url="https://app.example.com/p\ud800q"),
                make_event(ts=10**30),
                make_event(ts="soon"),
                make_event(elements=[3, {"label": "Save"}]),  # an element that is not an object
            ]
            for p in poison:
                queue_raw(redis_conn, alice, p)
            bad += [p["id"] for p in poison]
    redis_conn.lpush(keys.KEY_INCOMING, b"{not json", b'["a list"]')

    records = run_workers()

    assert sorted(r["id"] for r in records) == sorted(good)
    dead = [json.loads(d) for d in redis_conn.lrange(keys.KEY_DEAD_LETTER, 0, -1)]
    assert sorted(d["event"] for d in dead if d["event"]) == sorted(bad)
    assert len(dead) == len(bad) + 2
    assert all(d["reason"] and d["stage"] == "stage" for d in dead)
    assert (
        redis_conn.zcard(keys.KEY_PROCESSING_INDEX) == 0 and redis_conn.llen(keys.KEY_INCOMING) == 0
    )
    # Each drop is reported once, in a window holding its minute (backend/core/drops.py): on the
    # card, in a `dropped` manifest line, or still pending for the shard that will cover it.
    (shard,) = shards(settings)
    reported = card_of(settings, shard)["drops_by_reason"].get("quarantined", 0)
    lines = read_manifest(store(settings))
    reported += sum(x.get("drops_by_reason", {}).get("quarantined", 0) for x in lines)
    reported += pending_by_reason(redis_conn).get("quarantined", 0)
    assert reported == len(dead)
    assert admin.status()["dead_letter"] == len(dead)


def test_poison_in_a_sealing_batch(redis_conn, settings, run_workers):
    """A staged record that cannot be written is set aside; the rest of its batch is sealed."""
    _, alice = enroll(redis_conn, "alice", "sales")
    redis_conn.hset(keys.key(keys.KEY_CONSENT, employee="alice"), "clicks", 0)
    intake = Intake(redis_conn, lambda: None)
    events = [make_event() for _ in range(20)]
    assert intake.accept(alice, 1, events, [WORK_ORIGIN])["accepted"] == 20
    from workers.stage import stage_once

    stage_once(redis_conn, settings.secret)
    staged = redis_conn.lrange(keys.KEY_STAGING, 0, -1)
    item = json.loads(staged[3])
    item["rec"]["ts"] = 10**30  # beyond any date: the card's time window cannot be written
    redis_conn.lset(keys.KEY_STAGING, 3, json.dumps(item))
    redis_conn.rpush(keys.KEY_STAGING, b"garbage")

    sealed = batches.seal_due(redis_conn, settings.datasets_location, 1000, 0, force=True)

    assert len(sealed) == 1
    from tests.conftest import sealed_records

    ids = sorted(r["id"] for r in sealed_records(settings))
    assert ids == sorted(e["id"] for i, e in enumerate(events) if e["id"] != item["rec"]["id"])
    dead = [json.loads(d) for d in redis_conn.lrange(keys.KEY_DEAD_LETTER, 0, -1)]
    assert [d["stage"] for d in dead] == ["seal", "seal"]
    assert dead[0]["event"] == item["rec"]["id"] and "Error" in dead[0]["reason"]
    assert redis_conn.hlen(keys.KEY_SEALING_INDEX) == 0


def test_purging_an_employee_removes_their_dead_letters(redis_conn, settings, run_workers):
    """Dead letters hold events: purges and erasure remove them like queued events."""
    from backend.core.purge import purge_employee

    _, alice = enroll(redis_conn, "alice", "sales")
    redis_conn.hset(keys.key(keys.KEY_CONSENT, employee="alice"), "clicks", 0)
    queue_raw(redis_conn, alice, make_event(url="https://app.example.com/\udfff"))
    redis_conn.lpush(keys.KEY_INCOMING, b"{not json")
    run_workers()
    assert redis_conn.llen(keys.KEY_DEAD_LETTER) == 2
    assert purge_employee(redis_conn, "alice") == 1
    (left,) = redis_conn.lrange(keys.KEY_DEAD_LETTER, 0, -1)
    assert json.loads(left)["e"] is None
