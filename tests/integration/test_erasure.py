"""Erasure reaches sealed training data: shards, cards, index, receipts; safe against sealing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from backend.core import keys
from backend.core.consent import set_consent
from backend.core.dataset_manifest import read_manifest
from backend.core.datasets import card_path_of, datasets_lock
from backend.core.drops import pending_by_reason
from backend.core.erase import erase_employee
from backend.core.policy import get_policy
from backend.core.purge import purge_employee
from tests.integration.me_helpers import (
    assert_card_matches,
    card_of,
    clicks,
    contributor,
    index,
    queue_raw,
    seal,
    shards,
    stage_all,
)
from tests.integration.storage import all_records, records, store
from workers import batches
from workers.queue import enqueue_drain, get_queue

pytestmark = pytest.mark.both_storages


def grant(r, *employees, categories=("clicks", "scroll")):
    """Grant `categories` to each employee directly in Redis (the default policy asks all)."""
    for employee in employees:
        set_consent(r, employee, dict.fromkeys(categories, True), get_policy(r), "dev_test")


def sealed_mix(r, settings, per_shard=(3, 7), batches=4) -> None:
    """Seal `batches` shards, each with alice's and bob's clicks mixed."""
    grant(r, "alice", "bob")
    alice_n, bob_n = per_shard
    for _ in range(batches):
        queue_raw(r, "alice", clicks(alice_n))
        queue_raw(r, "bob", clicks(bob_n))
    seal(r, settings, batch_size=alice_n + bob_n)


def erase(admin, work_jobs, token: str, path: str = "/me/api/data", body=None) -> dict:
    """Ask for an erasure (202, a pending receipt), run the job, return the completed receipt."""
    by_admin = path.startswith("/admin")
    if by_admin and body is None:
        body = {"reason": "test erasure"}
    pending = admin.call("DELETE", path, body, token=None if by_admin else token, expect=(202,))
    receipt_url = f"/me/api/receipts/{pending['receipt_id']}"
    assert admin.call("GET", receipt_url, token=token)["status"] == "pending"
    assert pending["completed_at"] is None
    work_jobs()
    done = admin.call("GET", receipt_url, token=token)
    assert done["status"] == "completed" and done["completed_at"] >= done["at"]
    return done


def test_erase_removes_every_record_from_every_shard(redis_conn, settings, admin, work_jobs):
    """DELETE /me/api/data answers 202; its job rewrites every shard without the employee."""
    admin.set_policy()
    alice = admin.enroll("alice")
    admin.enroll("bob")
    sealed_mix(redis_conn, settings)
    before = {p: len(records(settings, p)) for p in shards(settings)}
    assert len(before) == 4 and sum(before.values()) == 40

    receipt = erase(admin, work_jobs, alice)

    assert receipt["removed_total"] == 12 and receipt["removed_sealed"] == 12
    assert sorted(s["removed"] for s in receipt["shards"]) == [3, 3, 3, 3]
    assert receipt["receipt_id"].startswith("er_") and receipt["at"]
    for shard in shards(settings):
        kept = records(settings, shard)
        assert {x["contributor"] for x in kept} == {contributor("bob")}
        assert len(kept) == before[shard] - 3
        card = assert_card_matches(settings, shard)
        assert card["erasures"] == [{"at": card["erasures"][0]["at"], "removed": 3}]
        assert card["revision"] == 2 and [r["reason"] for r in card["revisions"]] == [
            "sealed",
            "erasure",
        ]
        assert "alice" not in json.dumps(card) and contributor("alice") not in json.dumps(card)
    for entry in index(redis_conn).values():
        assert entry["contributors"] == [contributor("bob")] and entry["events"] == 7
        assert entry["sha256"] == card_of(settings, entry["path"])["sha256"]
    stored = admin.call("GET", "/me/api/receipts", token=alice)["receipts"]
    assert stored == [receipt]


def test_second_erase_is_a_no_op(redis_conn, settings, admin, work_jobs):
    """Erasing again removes nothing and leaves every shard and card byte for byte the same."""
    admin.set_policy()
    alice = admin.enroll("alice")
    sealed_mix(redis_conn, settings, batches=2)
    erase(admin, work_jobs, alice)
    files = {p: store(settings).read(p) for p in shards(settings)}
    cards = {p: card_of(settings, p) for p in files}
    manifest = store(settings).read("manifest.jsonl")

    again = erase(admin, work_jobs, alice)

    assert again["removed_total"] == 0 and again["shards"] == []
    assert {p: store(settings).read(p) for p in shards(settings)} == files
    assert {p: card_of(settings, p) for p in files} == cards
    assert store(settings).read("manifest.jsonl") == manifest
    assert len(admin.call("GET", "/me/api/receipts", token=alice)["receipts"]) == 2


def test_erase_purges_queued_and_staged_events(redis_conn, settings, admin):
    """Unsealed events of the employee leave the queue and staging at once; others' stay."""
    admin.set_policy()
    alice = admin.enroll("alice")
    grant(redis_conn, "alice", "bob")
    queue_raw(redis_conn, "alice", clicks(4))
    queue_raw(redis_conn, "bob", clicks(2))
    stage_all(redis_conn)
    queue_raw(redis_conn, "alice", clicks(5))

    receipt = admin.call("DELETE", "/me/api/data", token=alice, expect=(202,))

    assert receipt["status"] == "pending"  # no worker has run: the purge happened in the request
    assert receipt["removed_unsealed"] == 9 and receipt["removed_total"] == 9
    staged = [json.loads(x)["e"] for x in redis_conn.lrange(keys.KEY_STAGING, 0, -1)]
    assert staged == ["bob", "bob"] and redis_conn.llen(keys.KEY_INCOMING) == 0


def test_unsealed_events_an_erasure_deletes_count_as_erased(redis_conn, settings, admin, work_jobs):
    """The queued and staged events an erasure deletes are drops of reason `erased` (on the
    card, the manifest and `overt status`), not `consent_withdrawn`: consent was never changed."""
    admin.set_policy()
    alice = admin.enroll("alice")
    grant(redis_conn, "alice")
    queue_raw(redis_conn, "alice", clicks(4))
    stage_all(redis_conn)
    queue_raw(redis_conn, "alice", clicks(5))

    erase(admin, work_jobs, alice)

    assert pending_by_reason(redis_conn) == {"erased": 9}


def test_events_sent_before_the_erasure_never_seal_later(redis_conn, settings, admin):
    """An event queued before the erasure but staged after it (a drain in flight) is dropped."""
    admin.set_policy()
    admin.enroll("alice")
    grant(redis_conn, "alice")
    old = clicks(3)
    erase_employee(redis_conn, settings.datasets_location, settings.secret, "alice")
    # As if a drain had taken these before the purge and put them back after it.
    queue_raw(redis_conn, "alice", old)
    assert seal(redis_conn, settings) == []
    assert shards(settings) == []
    assert pending_by_reason(redis_conn) == {"erased": 3}


def test_erasing_one_hundred_shards_takes_under_a_minute(redis_conn, settings):
    """100 sealed shards holding the employee are rewritten well within a minute."""
    grant(redis_conn, "alice", "bob")
    for _ in range(100):
        queue_raw(redis_conn, "alice", clicks(20))
        queue_raw(redis_conn, "bob", clicks(30))
    assert len(seal(redis_conn, settings, batch_size=50)) == 100
    assert all(contributor("alice") in e["contributors"] for e in index(redis_conn).values())

    started = time.monotonic()
    receipt = erase_employee(redis_conn, settings.datasets_location, settings.secret, "alice")
    elapsed = time.monotonic() - started

    assert elapsed < 60, elapsed
    assert len(receipt["shards"]) == 100 and receipt["removed_total"] == 2000
    remaining = all_records(settings)
    assert len(remaining) == 3000
    assert {x["contributor"] for x in remaining} == {contributor("bob")}


class Feeder(threading.Thread):
    """Queues alice's and bob's clicks in slices, as backends would, until stopped."""

    def __init__(self, r, pause: float = 0.01):
        super().__init__(daemon=True)
        self.pause = pause
        self.r, self.sent = r, {"alice": [], "bob": []}
        self.alice_on, self.stop, self.lock = threading.Event(), threading.Event(), threading.Lock()
        self.alice_on.set()

    def run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                for employee in ("alice", "bob") if self.alice_on.is_set() else ("bob",):
                    batch = clicks(20)
                    queue_raw(self.r, employee, batch)
                    self.sent[employee] += [e["id"] for e in batch]
                enqueue_drain(self.r)
            time.sleep(self.pause)

    def stop_alice(self) -> None:
        """Stop sending alice's events; return once no slice of hers is half pushed."""
        with self.lock:
            self.alice_on.clear()


def pending_of(r, employee: str) -> int:
    """Count the employee's events not yet sealed: queued, being taken, staged or being sealed."""
    lists = [keys.KEY_INCOMING, keys.KEY_STAGING]
    lists += [
        keys.key(keys.KEY_PROCESSING, job=t.decode())
        for t in r.zrange(keys.KEY_PROCESSING_INDEX, 0, -1)
    ]
    lists += [keys.key(keys.KEY_SEALING, batch=b.decode()) for b in r.hkeys(keys.KEY_SEALING_INDEX)]
    needle = f'"e":"{employee}"'.encode()
    return sum(needle in item for name in lists for item in r.lrange(name, 0, -1))


def settle(r, timeout: float = 60) -> None:
    """Wait until nothing is queued, in flight, staged or being sealed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = r.llen(keys.KEY_INCOMING) + r.llen(keys.KEY_STAGING)
        busy += r.hlen(keys.KEY_SEALING_INDEX) + r.zcard(keys.KEY_PROCESSING_INDEX)
        if not busy:
            return
        time.sleep(0.1)
    raise AssertionError("the worker did not finish in time")


def test_erasure_racing_a_sealing_worker_leaks_nothing(
    redis_conn, settings, monkeypatch, tmp_path, datasets_backend
):
    """A real `overt worker` sealing small batches during the erasure seals none of alice."""
    grant(redis_conn, "alice", "bob")
    # Each seal costs a few requests to the S3 server: bigger batches, a slower feed.
    s3 = datasets_backend == "s3"
    monkeypatch.setenv("OVERT_BATCH_SIZE", "100" if s3 else "25")
    monkeypatch.setenv("OVERT_BATCH_MAX_AGE", "0.2")
    with open(tmp_path / "worker.log", "wb") as log:  # a file: a full pipe would block the worker
        command = [sys.executable, "-m", "backend.cli", "worker"]
        worker = subprocess.Popen(command, env=dict(os.environ), stdout=log, stderr=log)
    feeder = Feeder(redis_conn, pause=0.05 if s3 else 0.01)
    try:
        feeder.start()
        deadline = time.monotonic() + 30
        while len(index(redis_conn)) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(index(redis_conn)) >= 5, "the worker sealed nothing"
        feeder.stop_alice()
        in_flight = pending_of(redis_conn, "alice")

        receipt = erase_employee(redis_conn, settings.datasets_location, settings.secret, "alice")

        time.sleep(0.5)  # bob keeps coming while the worker keeps sealing
        feeder.stop.set()
        feeder.join()
        settle(redis_conn)
    finally:
        feeder.stop.set()
        worker.terminate()
        worker.wait(timeout=30)
    output = (tmp_path / "worker.log").read_text()
    assert "Traceback" not in output, output[-2000:]
    assert in_flight > 0, "alice had nothing in flight: the race did not happen"
    sealed = all_records(settings)
    assert contributor("alice") not in {x["contributor"] for x in sealed}
    assert sorted(x["id"] for x in sealed) == sorted(feeder.sent["bob"])  # all, exactly once
    # Each of alice's events was sealed and then removed from its shard by the erasure, or was
    # never sealed and is a drop of reason "erased" (deleted from the queue or staging by the
    # erasure, or dropped by a worker after the mark; still pending, on a card, or in a manifest
    # line for a window no shard covers).
    dropped = pending_by_reason(redis_conn).get("erased", 0)
    dropped += sum(
        card_of(settings, p)["drops_by_reason"].get("erased", 0) for p in shards(settings)
    )
    dropped += sum(
        line.get("drops_by_reason", {}).get("erased", 0) for line in read_manifest(store(settings))
    )
    assert receipt["removed_sealed"] > 0
    assert receipt["removed_sealed"] + dropped == len(feeder.sent["alice"])
    assert receipt["removed_unsealed"] <= dropped
    for shard in shards(settings):
        assert_card_matches(settings, shard)


def _erase_in_thread(r, settings, monkeypatch) -> tuple[threading.Thread, dict]:
    """Start an erasure of alice; return once it has purged and asks for the datasets lock."""
    from backend.core import erase

    asking = threading.Event()

    def lock_asked_for(client):
        asking.set()  # the erasure has done everything it does before taking the lock
        return datasets_lock(client)

    monkeypatch.setattr(erase, "datasets_lock", lock_asked_for)
    out: dict = {}
    thread = threading.Thread(
        target=lambda: out.update(
            erase_employee(r, settings.datasets_location, settings.secret, "alice")
        )
    )
    thread.start()
    assert asking.wait(30), "the erasure never asked for the datasets lock"
    assert r.hget(keys.KEY_ERASED, "alice") is not None
    assert thread.is_alive(), "the erasure did not wait for the sealer's lock"
    return thread, out


@pytest.mark.parametrize("stale_rules", [False, True], ids=["fresh-rules", "stale-rules"])
def test_batch_sealed_during_the_erasure_holds_none_of_alice(
    redis_conn, settings, monkeypatch, stale_rules
):
    """A sealer holding the lock when the erasure starts cannot leave alice in a dataset.

    With fresh rules the sealer drops alice at sealing time (the mark is already set); with
    rules read just before the mark it seals her records, and the erasure, which waits for the
    same lock, rewrites that batch.
    """
    grant(redis_conn, "alice", "bob")
    queue_raw(redis_conn, "alice", clicks(5))
    queue_raw(redis_conn, "bob", clicks(5))
    stage_all(redis_conn)
    if stale_rules:  # read before the erasure's mark, and read again (just before writing) so too
        snapshot = batches.load_rules(redis_conn, {"alice", "bob"})
        monkeypatch.setattr(batches, "load_rules", lambda r, employees: snapshot)
        monkeypatch.setattr(batches, "rules_of", lambda ordered, replies: snapshot)
    lock = batches.datasets_lock(redis_conn)
    assert lock.acquire()
    batch_id = batches.take_batch(redis_conn, 1000)
    thread, receipt = _erase_in_thread(redis_conn, settings, monkeypatch)
    batches.write_batch(redis_conn, settings.datasets_location, batch_id)
    lock.release()
    thread.join(30)

    sealed = all_records(settings)
    assert {x["contributor"] for x in sealed} == {contributor("bob")} and len(sealed) == 5
    assert receipt["removed_sealed"] == (5 if stale_rules else 0)
    assert_card_matches(settings, shards(settings)[0])


def test_consent_withdrawn_after_a_batch_was_read_keeps_its_events_out(redis_conn, settings):
    """A batch is read (its rules with it) before it is written, and a batch read ahead waits
    for the one before it: alice withdraws in between, and none of her events is sealed. The
    rules are read again just before anything is written."""
    grant(redis_conn, "alice", "bob")
    queue_raw(redis_conn, "alice", clicks(5))
    queue_raw(redis_conn, "bob", clicks(5))
    stage_all(redis_conn)
    batch_id = batches.take_batch(redis_conn, 1000)
    taken = batches.read_batch(redis_conn, batch_id)
    # What a withdrawal does: the grant goes, and what is queued or staged of it is purged (a
    # batch being sealed is neither).
    set_consent(redis_conn, "alice", {"clicks": False}, get_policy(redis_conn), "dev_test")
    purge_employee(redis_conn, "alice", {"clicks"})

    batches.write_batch(redis_conn, settings.datasets_location, batch_id, settings.secret, taken)

    sealed = all_records(settings)
    assert {x["contributor"] for x in sealed} == {contributor("bob")} and len(sealed) == 5
    (shard,) = shards(settings)
    assert_card_matches(settings, shard)
    assert card_of(settings, shard)["drops_by_reason"] == {"no_consent": 5}


def test_admin_erase_is_audited(redis_conn, settings, admin, work_jobs):
    """The admin erases an employee; the audit log keeps ids and counts, never events."""
    admin.set_policy()
    alice = admin.enroll("alice")
    sealed_mix(redis_conn, settings, batches=2)

    receipt = erase(admin, work_jobs, alice, "/admin/api/employees/alice/data", {"reason": "left"})

    assert receipt["removed_total"] == 6
    entry = admin.call("GET", "/admin/api/audit")["entries"][0]
    assert entry["action"] == "erase" and entry["employee"] == "alice"
    assert entry["receipt_id"] == receipt["receipt_id"]
    assert entry["removed"] == 6 and entry["shards"] == 2
    assert set(entry) - {"seq", "prev_hash", "hash"} == {
        *("at", "actor", "action", "employee", "reason", "receipt_id", "shards", "removed")
    }
    assert admin.call("GET", "/me/api/receipts", token=alice)["receipts"][0]["removed_total"] == 6
    admin.call("DELETE", "/admin/api/employees/nobody/data", {"reason": "x"}, expect=(404,))
    admin.call("DELETE", "/admin/api/employees/alice/data", token=alice, expect=(403,))


def test_admin_erase_without_a_body_names_the_missing_reason(redis_conn, admin, client):
    """An admin erasure sent with no body (a DELETE usually has none) is a 422 naming `reason`,
    as `{}` is, not a 400 `bad_json`; nothing is erased or audited."""
    admin.set_policy()
    admin.enroll("alice")
    headers = {"Authorization": f"Bearer {admin.admin_token}"}
    before = admin.call("GET", "/admin/api/audit")["entries"]
    for body in (None, b"", b" \n"):
        response = client.delete("/admin/api/employees/alice/data", data=body, headers=headers)
        assert response.status_code == 422, response.get_json()
        assert response.get_json() == {
            "code": "invalid_request",
            "status": 422,
            "message": "the request body is not valid",
            "errors": {"reason": ["Missing data for required field."]},
        }
    bad = client.delete("/admin/api/employees/alice/data", data=b"{", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["code"] == "bad_json"
    assert admin.call("GET", "/admin/api/audit")["entries"] == before
    assert admin.call("GET", "/me/api/receipts", token=admin.enroll("alice"))["receipts"] == []


def test_an_erasure_by_a_worker_that_cannot_see_the_shards_is_not_completed(
    redis_conn, settings, admin, tmp_path
):
    """A worker whose OVERT_DATASETS_URL holds none of the indexed shards (another location
    than the sealing workers', an unmounted share) completed the receipt with nothing removed
    and took the employee out of the batch index: the shards still held their records, and
    neither /me nor a later erasure would find them. The job fails (`overt worker --burst` exits
    1), the receipt stays pending and the index unchanged; requeued, the job completes it on a
    worker that sees the datasets."""
    from tests.integration.processes import overt_env, run

    admin.set_policy()
    alice = admin.enroll("alice")
    admin.enroll("bob")
    sealed_mix(redis_conn, settings, batches=2)
    before = index(redis_conn)
    pending = admin.call("DELETE", "/me/api/data", token=alice, expect=(202,))
    receipt_url = f"/me/api/receipts/{pending['receipt_id']}"

    elsewhere = tmp_path / "not-the-datasets"
    elsewhere.mkdir()
    env = overt_env(settings, OVERT_DATASETS_URL=str(elsewhere))
    blind = run(["worker", "--burst"], env, 120)
    assert blind.returncode == 1, blind.stderr[-2000:]
    assert admin.call("GET", receipt_url, token=alice)["status"] == "pending"
    assert index(redis_conn) == before
    assert sum(r["contributor"] == contributor("alice") for r in all_records(settings)) == 6

    # The operator fixes the worker's setting and requeues the failed job (rq-dashboard's
    # "Requeue" at /admin/rq/, as for any failed job).
    failed = get_queue(redis_conn).failed_job_registry
    (job_id,) = failed.get_job_ids()
    failed.requeue(job_id)
    where = {"OVERT_DATASETS_URL": settings.datasets_url} if settings.datasets_url else {}
    seeing = run(["worker", "--burst"], overt_env(settings, **where), 120)
    assert seeing.returncode == 0, seeing.stderr[-2000:]
    done = admin.call("GET", receipt_url, token=alice)
    assert done["status"] == "completed" and done["removed_sealed"] == 6, done
    assert not any(r["contributor"] == contributor("alice") for r in all_records(settings))


def test_erasure_interrupted_between_shard_and_card_is_finished_by_the_next(redis_conn, settings):
    """If an erasure dies after rewriting a shard but before its card, erasing again fixes it."""
    grant(redis_conn, "alice", "bob")
    queue_raw(redis_conn, "alice", clicks(2))
    queue_raw(redis_conn, "bob", clicks(3))
    seal(redis_conn, settings)
    (shard,) = shards(settings)
    stale_card = store(settings).read(card_path_of(shard))
    erase_employee(redis_conn, settings.datasets_location, settings.secret, "alice")
    # Put back the old card and index entry, as if the process had died right after the shard.
    store(settings).write(card_path_of(shard), stale_card)
    (batch_id,) = index(redis_conn)
    entry = {
        **index(redis_conn)[batch_id],
        "contributors": sorted([contributor("alice"), contributor("bob")]),
    }
    redis_conn.hset(keys.KEY_BATCHES, batch_id, json.dumps(entry))

    receipt = erase_employee(redis_conn, settings.datasets_location, settings.secret, "alice")

    assert receipt["removed_total"] == 0
    card = assert_card_matches(settings, shard)
    assert card["events"] == 3
    assert index(redis_conn)[batch_id]["contributors"] == [contributor("bob")]
    assert index(redis_conn)[batch_id]["sha256"] == card["sha256"]


def test_a_delete_cut_short_after_its_manifest_line_is_finished_by_the_next(
    redis_conn, settings, admin
):
    """An erasure that empties a shard says so in the manifest, then deletes the shard and its
    card, then its index entry. Cut short after the manifest line, the shard is gone but still
    indexed: the employee's export still answers (not 503 datasets_unavailable), and the next
    erasure finishes the delete (one `deleted` line, the index entry moved) and completes."""
    from backend.core.dataset_manifest import append

    admin.set_policy()
    alice = admin.enroll("alice")
    grant(redis_conn, "alice")
    queue_raw(redis_conn, "alice", clicks(2))
    seal(redis_conn, settings)
    (shard,) = shards(settings)
    (batch_id,) = index(redis_conn)
    storage = store(settings)
    # What delete_shard leaves when its process dies right after the manifest line and the shard.
    line = {"op": "deleted", "at": "2026-11-29T00:00:00Z", "reason": "erasure"}
    append(storage, [{**line, "batch_id": batch_id, "path": shard, "revision": 2, "events": 0}])
    storage.delete(shard)

    export = admin.call("GET", "/me/api/data", token=alice)
    assert all(not batch["records"] for batch in export["sealed"]), export["sealed"]

    receipt = erase_employee(redis_conn, settings.datasets_location, settings.secret, "alice")

    assert receipt["status"] == "completed"
    assert index(redis_conn) == {}
    assert redis_conn.hexists(keys.KEY_BATCHES_DELETED, batch_id)
    assert storage.read_or_none(card_path_of(shard)) is None
    ops = [e["op"] for e in read_manifest(storage) if e.get("batch_id") == batch_id]
    assert ops == ["sealed", "deleted"]


def test_a_shard_whose_delete_was_cut_short_is_not_brought_back_by_an_erasure(redis_conn, settings):
    """Retention says in the manifest that an expired shard is deleted, then deletes it; cut
    short between the two, the shard is still there and indexed. An erasure of one of its
    contributors rewrote it, a `rewritten` line after `deleted` that brought it back to every
    copy; it finishes the delete instead (its records of the employee counted as removed)."""
    from backend.core.dataset_manifest import append

    sealed_mix(redis_conn, settings, batches=1)
    (shard,) = shards(settings)
    (batch_id,) = index(redis_conn)
    storage = store(settings)
    line = {"op": "deleted", "at": "2026-11-29T00:00:00Z", "reason": "retention"}
    append(storage, [{**line, "batch_id": batch_id, "path": shard, "revision": 2, "events": 0}])

    receipt = erase_employee(redis_conn, settings.datasets_location, settings.secret, "alice")

    assert receipt["removed_sealed"] == 3, receipt
    ops = [e["op"] for e in read_manifest(storage) if e.get("batch_id") == batch_id]
    assert ops == ["sealed", "deleted"]
    assert storage.read_or_none(shard) is None
    assert storage.read_or_none(card_path_of(shard)) is None
    assert index(redis_conn) == {}
    assert json.loads(redis_conn.hget(keys.KEY_BATCHES_DELETED, batch_id))["reason"] == "retention"
