"""Workers for real: consent filtering, dedupe, batching by size and age, cards, crash safety."""

import hashlib
import json
import time

import pytest
from rq import SimpleWorker

from backend.core import keys
from backend.core.datasets import atomic_write, encode_shard, read_shard, shard_paths
from backend.core.employees import authenticate
from backend.core.filters import load_rules
from backend.core.intake import Intake
from backend.core.pseudonym import pseudonym
from backend.core.records import Entry
from tests.conftest import WORK_ORIGIN, sealed_records
from tests.helpers import WSClient, make_event
from workers import batches, stage
from workers.queue import get_queue


@pytest.fixture
def alice(employee):
    """alice, consented to clicks and navigation."""
    return employee("alice", "sales", ("clicks", "navigation"))


@pytest.fixture
def send(redis_conn):
    """Queue events for a token through the real intake (what /ws calls)."""
    intake = Intake(redis_conn, lambda: None)

    def send_(token, events):
        return intake.accept(authenticate(redis_conn, token), 1, events, [WORK_ORIGIN])

    return send_


def test_shard_holds_pseudonyms_and_the_card_describes_it(alice, send, run_workers, settings):
    """A sealed shard has no employee name; its card counts, hashes and versions it."""
    events = [make_event("click"), make_event("page_view"), make_event("click")]
    send(alice, events)
    records = run_workers()
    assert sorted(r["id"] for r in records) == sorted(e["id"] for e in events)
    assert {r["contributor"] for r in records} == {pseudonym(settings.secret, "alice")}
    (shard,) = (settings.data_dir / "datasets" / "data").glob("*/*.parquet")
    raw = shard.read_bytes()
    text = json.dumps(read_shard(shard))
    assert "alice" not in text and "sales" not in text and b"alice" not in raw
    card = json.loads(next((settings.data_dir / "datasets" / "cards").glob("*/*")).read_text())
    assert card["sha256"] == hashlib.sha256(raw).hexdigest()
    assert card["events"] == 3 and card["contributors"] == 1
    assert card["counts_by_type"] == {"click": 2, "page_view": 1}
    assert card["counts_by_category"] == {"clicks": 2, "navigation": 1}
    assert card["schema_version"] == "3" and len(card["policy"]["version"]) == 12
    assert card["policy_versions"] == {card["policy"]["version"]: 3}
    assert card["time_window"]["start"] <= card["time_window"]["end"]
    assert shard.parent.name == time.strftime("%Y-%m-%d", time.gmtime())


def test_a_default_port_is_not_kept_in_records(alice, send, run_workers):
    """`https://app.example.com:443/x` is the page `https://app.example.com/x`: the sealed
    records of both are identical, referrers and `from` URLs too (before, the port stayed)."""
    other = {"url": "https://app.example.com:8443/x"}  # not a default port: kept, and refused
    events = [
        make_event("page_view", url=f"{WORK_ORIGIN}:443/x", referrer=f"{WORK_ORIGIN}:443/a"),
        make_event("page_view", url=f"{WORK_ORIGIN}/x", referrer=f"{WORK_ORIGIN}/a"),
        make_event("route_change", url=f"{WORK_ORIGIN}:443/x", **{"from": f"{WORK_ORIGIN}:/b"}),
        make_event("route_change", url=f"{WORK_ORIGIN}/x", **{"from": f"{WORK_ORIGIN}/b"}),
        make_event("page_view", **other),
    ]
    ack = send(alice, events)
    assert ack["accepted"] == 4 and ack["rejected"][0]["code"] == "origin_not_allowed"
    records = {r["id"]: r for r in run_workers()}
    same = ("url", "referrer", "from", "type")
    sealed = [{k: records[e["id"]].get(k) for k in same} for e in events[:4]]
    assert sealed[0] == sealed[1] and sealed[2] == sealed[3], sealed
    urls = [r[k] for r in sealed for k in ("url", "referrer", "from") if r[k] is not None]
    assert len(urls) == 8 and all(u.startswith(f"{WORK_ORIGIN}/") for u in urls), urls


def test_nothing_without_consent_reaches_a_dataset(admin, alice, send, run_workers, settings):
    """Withdrawn after queuing: dropped at staging and counted by reason, never stored."""
    send(alice, [make_event("click"), make_event("page_view")])
    admin.set_consent(alice, {"clicks": False})
    records = run_workers()
    assert [r["type"] for r in records] == ["page_view"]
    card = json.loads(next(iter(_cards_in(settings))).read_text())
    assert card["drops_by_reason"] == {"consent_withdrawn": 1}


def test_consent_checked_again_at_sealing(admin, alice, send, redis_conn, settings, run_workers):
    """A withdrawal after staging but before sealing keeps the event out."""
    send(alice, [make_event("click")])
    stage.stage_once(redis_conn, settings.secret)
    assert redis_conn.llen(keys.KEY_STAGING) == 1
    redis_conn.hdel(keys.key(keys.KEY_CONSENT, employee="alice"), "clicks")  # bypass purge
    assert run_workers() == []


def test_event_before_consent_is_dropped(alice, send, run_workers, redis_conn):
    """An event timestamped before the grant took effect is not consented."""
    granted = int(redis_conn.hget(keys.key(keys.KEY_CONSENT, employee="alice"), "clicks"))
    send(alice, [make_event(ts=granted - 60_000)])
    assert run_workers() == []


def test_resent_events_are_sealed_once(alice, send, run_workers):
    """Duplicates (a resend after a lost ack) are deduplicated by event id."""
    events = [make_event() for _ in range(4)]
    send(alice, events)
    run_workers()
    send(alice, [*events, make_event()])
    records = run_workers()
    assert len(records) == 5 and len({r["id"] for r in records}) == 5


def test_batches_seal_by_size(alice, send, redis_conn, settings, monkeypatch):
    """With OVERT_BATCH_SIZE=10, 25 events make two full shards; the rest waits for age."""
    monkeypatch.setenv("OVERT_BATCH_SIZE", "10")
    send(alice, [make_event() for _ in range(25)])
    _burst(redis_conn, force=False)
    sizes = sorted(json.loads(c.read_text())["events"] for c in _cards_in(settings))
    assert sizes == [10, 10]
    assert redis_conn.llen(keys.KEY_STAGING) == 5


def test_batches_seal_by_age(alice, send, redis_conn, settings, monkeypatch):
    """A partial batch is sealed once its oldest record is older than OVERT_BATCH_MAX_AGE."""
    monkeypatch.setenv("OVERT_BATCH_MAX_AGE", "0.2")
    send(alice, [make_event() for _ in range(3)])
    stage.stage_once(redis_conn, settings.secret)
    assert not batches.is_due(redis_conn, 1000, 0.2)
    time.sleep(0.25)
    _burst(redis_conn, force=False)
    assert len(sealed_records(settings.data_dir)) == 3


def test_taking_a_batch_says_whether_another_is_due(alice, send, redis_conn, settings):
    """The take's own round trip tells the sealer what is left and whether it is due (is_due)."""
    send(alice, [make_event() for _ in range(25)])
    stage.stage_once(redis_conn, settings.secret)
    first = batches.take_next(redis_conn, 10, 60.0)
    assert first[0] and first[1:] == (15, True)
    second = batches.take_next(redis_conn, 10, 60.0)
    assert second[0] and second[1:] == (5, False) == (5, batches.is_due(redis_conn, 10, 60.0))
    assert batches.take_next(redis_conn, 10, 0.0)[1:] == (0, False)
    assert batches.take_next(redis_conn, 10, 0.0) == (None, 0, False)


def test_a_batch_taken_ahead_of_a_failed_one_is_sealed_by_the_next_run(
    alice, send, redis_conn, settings, monkeypatch
):
    """Sealing takes and reads the next batch while it writes one; when writing fails, the next
    run finishes both: nothing lost, nothing sealed twice."""
    events = [make_event() for _ in range(30)]
    send(alice, events)
    stage.stage_once(redis_conn, settings.secret)
    write_batch, calls = batches.write_batch, []

    def failing_once(*args, **kwargs):
        calls.append(args[2])
        if len(calls) == 1:
            raise OSError("disk full")
        return write_batch(*args, **kwargs)

    monkeypatch.setattr(batches, "write_batch", failing_once)
    with pytest.raises(OSError):
        batches.seal_due(redis_conn, settings.datasets_location, 10, 60.0)
    assert redis_conn.hlen(keys.KEY_SEALING_INDEX) == 2  # the failed one and the one taken ahead
    batches.seal_due(redis_conn, settings.datasets_location, 10, 60.0)
    assert calls[0] in calls[1:3]  # finished with the batch taken ahead, before a new one
    records = sealed_records(settings.data_dir)
    assert sorted(r["id"] for r in records) == sorted(e["id"] for e in events)
    assert redis_conn.hlen(keys.KEY_SEALING_INDEX) == 0 and len(calls) == 4


def test_a_long_backlog_keeps_the_datasets_lock(alice, send, redis_conn, settings, monkeypatch):
    """Sealing renews the lock's lease between batches: a run longer than the lease keeps it."""
    from backend.core import datasets

    monkeypatch.setattr(datasets, "LOCK_LEASE", 1)
    monkeypatch.setattr(batches, "RENEW_AFTER", 0.2)
    write_batch, held = batches.write_batch, []

    def slow_write_batch(*args, **kwargs):
        time.sleep(0.35)
        held.append(redis_conn.pttl(keys.KEY_DATASETS_LOCK))
        return write_batch(*args, **kwargs)

    monkeypatch.setattr(batches, "write_batch", slow_write_batch)
    send(alice, [make_event() for _ in range(60)])
    stage.stage_once(redis_conn, settings.secret)
    sealed = batches.seal_due(redis_conn, settings.datasets_location, 10, 60.0)
    assert len(sealed) == 6 and len(held) == 6
    assert all(ttl > 0 for ttl in held), held  # 2.1 s of sealing under a 1 s lease


def test_one_job_handles_many_events(alice, send, redis_conn):
    """Batch work: 1,200 events are staged by one drain job, not one job per event."""
    for _ in range(12):
        send(alice, [make_event() for _ in range(100)])
    queue = get_queue(redis_conn)
    job = queue.enqueue("workers.jobs.drain")
    SimpleWorker([queue], connection=redis_conn, serializer=queue.serializer).work(burst=True)
    result = job.return_value()
    assert result["taken"] == 1200 and len(result["sealed"]) == 1, "a full batch is sealed at once"
    assert redis_conn.llen(keys.KEY_STAGING) == 200


def test_backend_enqueues_one_drain_per_burst(alice, live_server, redis_conn):
    """Frames arriving while a drain is pending do not enqueue more jobs."""
    c = WSClient(live_server.ws_url)
    c.hello(alice)
    for seq in range(5):
        c.send_events(seq, [make_event()])
    assert get_queue(redis_conn).count == 1
    c.close()


def test_worker_killed_after_taking_loses_nothing(alice, send, redis_conn, settings, run_workers):
    """A take whose worker died is queued again and sealed exactly once."""
    events = [make_event() for _ in range(7)]
    send(alice, events)
    _take_id, items = stage.take(redis_conn)
    assert len(items) == 7 and redis_conn.llen(keys.KEY_INCOMING) == 0
    # The worker dies here. Another one recovers the orphan (normally after 10 s).
    assert stage.recover_orphans(redis_conn, older_than_ms=-1) == 7
    records = run_workers()
    assert sorted(r["id"] for r in records) == sorted(e["id"] for e in events)


def test_worker_killed_after_staging_commit_duplicates_nothing(
    alice, send, redis_conn, settings, run_workers
):
    """A take that committed is gone from the orphan index; nothing is staged twice."""
    send(alice, [make_event() for _ in range(3)])
    stage.stage_once(redis_conn, settings.secret)
    assert stage.recover_orphans(redis_conn, older_than_ms=-1) == 0
    assert len(run_workers()) == 3


@pytest.mark.parametrize("crash_point", ["after_take_batch", "after_shard_written"])
def test_sealer_killed_midway_is_finished_idempotently(
    alice, send, redis_conn, settings, run_workers, crash_point
):
    """An interrupted batch is written again byte for byte, indexed once, never duplicated."""
    send(alice, [make_event() for _ in range(4)])
    stage.stage_once(redis_conn, settings.secret)
    batch_id = batches.take_batch(redis_conn, 1000)
    first_bytes = None
    if crash_point == "after_shard_written":
        # Write the files as the dying sealer would have, but never finalise.
        meta = json.loads(redis_conn.hget(keys.KEY_SEALING_INDEX, batch_id))
        staged = [
            json.loads(x)
            for x in redis_conn.lrange(keys.key(keys.KEY_SEALING, batch=batch_id), 0, -1)
        ]
        records = sorted((s["rec"] for s in staged), key=batches.record_order)
        records, _ = batches.mask_rare_words(redis_conn, batch_id, meta, records, settings.secret)
        shard, _ = shard_paths(meta["date"], batch_id)
        atomic_write(settings.datasets_dir / shard, encode_shard(records))
        first_bytes = (settings.datasets_dir / shard).read_bytes()
    records = run_workers()
    assert len(records) == 4 and len({r["id"] for r in records}) == 4
    assert redis_conn.hlen(keys.KEY_BATCHES) == 1 and redis_conn.hlen(keys.KEY_SEALING_INDEX) == 0
    if first_bytes is not None:
        (shard,) = settings.datasets_dir.glob(f"data/*/{batch_id}.parquet")
        assert shard.read_bytes() == first_bytes


def test_no_temporary_files_are_left(alice, send, run_workers, settings):
    """Only finished shards and cards are in the datasets folder."""
    send(alice, [make_event()])
    run_workers()
    names = sorted(p.name for p in settings.datasets_dir.rglob("*") if p.is_file())
    assert len(names) == 4 and {"README.md", "manifest.jsonl"} <= set(names)
    assert sum(n.endswith((".card.json", ".parquet")) for n in names) == 2


def test_server_side_redaction_applies_again(alice, send, run_workers):
    """Even if a client sent raw text, e-mails, digits and queries never reach a shard."""
    event = make_event(
        url="https://app.example.com/u/12345678?token=abc#x",
        title="Mail to ann@corp.example.com",
        target={"selector": "#b", "tag": "button", "label": "Card 4111111111111111"},
    )
    send(alice, [event])
    (record,) = run_workers()
    blob = json.dumps(record)
    for secret in ("12345678", "token=abc", "ann@corp", "4111111111111111"):
        assert secret not in blob


def _burst(r, force):
    queue = get_queue(r)
    queue.enqueue("workers.jobs.tick", force=force)
    SimpleWorker([queue], connection=r, serializer=queue.serializer).work(burst=True)


def _cards_in(settings):
    return list((settings.data_dir / "datasets").glob("cards/*/*.card.json"))


def test_recovering_a_slow_take_too_early_still_stages_once(
    alice, send, redis_conn, settings, run_workers
):
    """If a live take is recovered by mistake, its late commit and the re-take stage once."""
    events = [make_event() for _ in range(5)]
    send(alice, events)
    take_id, items = stage.take(redis_conn)
    stage.recover_orphans(redis_conn, older_than_ms=-1)  # the slow take looks dead
    entries = [Entry.decode(x) for x in items]
    rows, drops, _ = stage.build_staged(entries, load_rules(redis_conn, {"alice"}), settings.secret)
    stage.commit(redis_conn, take_id, rows, drops)  # the slow worker finishes after all
    records = run_workers()
    assert sorted(r["id"] for r in records) == sorted(e["id"] for e in events)
