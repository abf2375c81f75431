"""The rarity gate for real: counted at staging in Redis, masked at sealing by a real worker."""

import json
import secrets

import pytest

from backend.cli_support import default_actor
from backend.core import datasets, keys, rarity
from backend.core.audit import read_audit
from backend.core.employees import authenticate
from backend.core.intake import Intake
from backend.core.pseudonym import pseudonym
from tests.conftest import WORK_ORIGIN
from tests.helpers import make_event
from tests.integration.processes import overt_env, run
from workers import batches, stage

PEOPLE = ("alice", "bob", "carol")
MiB = 1024 * 1024
TITLE = "Tickets \N{EN DASH} Acme CRM"  # page titles often use an en dash


@pytest.fixture
def people(admin) -> dict[str, str]:
    """alice, bob and carol, each consented to clicks and navigation."""
    admin.set_policy()
    tokens = {}
    for name in PEOPLE:
        tokens[name] = admin.enroll(name, "sales")
        admin.set_consent(tokens[name], {"clicks": True, "navigation": True})
    return tokens


@pytest.fixture
def send(redis_conn):
    """Queue events for a token through the real intake (what /ws calls)."""
    intake = Intake(redis_conn, lambda: None)

    def send_(token, events):
        return intake.accept(authenticate(redis_conn, token), 1, events, [WORK_ORIGIN])

    return send_


def click(label: str, url: str = "https://app.example.com/tickets", **extra) -> dict:
    """Return a click on a button labelled `label`."""
    target = {"selector": "main > button", "tag": "button", "label": label}  # no id: no words
    return make_event("click", url=url, target=target, **extra)


def by_id(records: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in records}


def card_of(settings) -> dict:
    (card,) = (settings.data_dir / "datasets").glob("cards/*/*.card.json")
    return json.loads(card.read_text())


def test_word_from_two_contributors_is_masked_from_three_kept(people, send, run_workers, settings):
    """k=3: "Save" (three people) survives, "Archive" (two) and a to-do item (one) do not."""
    events = {}
    for name in PEOPLE:
        events[name, "save"] = click("Save", title=TITLE)
    for name in ("alice", "bob"):
        events[name, "archive"] = click("Archive", title=TITLE)
    events["alice", "todo"] = click(
        "Call Dr Jekyll re biopsy", url="https://app.example.com/tickets/jekyll-biopsy"
    )
    for (name, _), event in events.items():
        send(people[name], [event])
    records = by_id(run_workers())
    labels = {what: records[e["id"]]["target"]["label"] for (_, what), e in events.items()}
    assert labels == {"save": "Save", "archive": "[rare]", "todo": "[rare]"}
    todo = records[events["alice", "todo"]["id"]]
    assert todo["url"] == "https://app.example.com/tickets/[rare]-[rare]"
    assert records[events["alice", "save"]["id"]]["title"] == TITLE
    card = card_of(settings)
    assert card["min_contributors"] == 3
    # "Archive" twice, "Call Dr Jekyll re biopsy" and "jekyll-biopsy" in alice's to-do click.
    assert card["rare_words_masked"] == 2 + 5 + 2


def test_words_that_become_common_before_sealing_survive(
    people, send, run_workers, redis_conn, settings
):
    """alice's "Export" is staged first, and kept because bob and carol use it before sealing."""
    first = click("Export", url="https://app.example.com/reports/q3")
    send(people["alice"], [first])
    stage.stage_once(redis_conn, settings.secret)
    assert redis_conn.llen(keys.KEY_STAGING) == 1
    for name in ("bob", "carol"):
        send(people[name], [click("Export", url="https://app.example.com/reports/q3")])
        stage.stage_once(redis_conn, settings.secret)
    records = by_id(run_workers())
    assert records[first["id"]]["target"]["label"] == "Export"
    assert records[first["id"]]["url"] == "https://app.example.com/reports/q3"
    assert card_of(settings)["rare_words_masked"] == 0


def test_one_person_repeating_a_word_is_one_contributor(people, send, run_workers):
    """Distinct contributors, not events: alice clicking "Jekyll" five times keeps it rare."""
    events = [click("Jekyll") for _ in range(5)]
    send(people["alice"], events)
    assert {r["target"]["label"] for r in run_workers()} == {"[rare]"}


def test_k_changes_by_policy_take_effect_and_are_audited(admin, people, send, run_workers):
    """k=2 keeps a word two people used; the change is in the audit log with old and new k."""
    body = {**admin.call("GET", "/admin/api/policy"), "min_contributors": 2}
    body.pop("version")
    assert admin.call("PUT", "/admin/api/policy", body)["min_contributors"] == 2
    assert admin.call("GET", "/admin/api/policy")["min_contributors"] == 2
    (entry,) = [
        e
        for e in admin.call("GET", "/admin/api/audit")["entries"]
        if e["action"] == "min_contributors"
    ]
    assert entry["old"] == 3 and entry["new"] == 2 and entry["actor"]
    both = [click("Archive") for _ in range(2)]
    send(people["alice"], [both[0]])
    send(people["bob"], [both[1]])
    assert {r["target"]["label"] for r in run_workers()} == {"Archive"}

    # A PUT without the field keeps k; an out-of-range k is refused in the one error shape.
    body.pop("min_contributors")
    assert admin.call("PUT", "/admin/api/policy", body)["min_contributors"] == 2
    bad = admin.call("PUT", "/admin/api/policy", {**body, "min_contributors": 0}, expect=(422,))
    assert bad["code"] and bad["status"] == 422 and "min_contributors" in bad["errors"]
    audited = [e for e in admin.call("GET", "/admin/api/audit")["entries"]]
    assert sum(e["action"] == "min_contributors" for e in audited) == 1


def test_an_erased_contributor_no_longer_counts_toward_k(
    admin, people, send, run_workers, work_jobs, redis_conn, settings
):
    """k=2: alice's "Quillfeather" is counted, then alice erases her data. bob's "Quillfeather"
    is his alone now, so it is sealed as [rare] (it was kept: alice still counted); a word that
    was already common before the erasure ("Archive") stays common."""
    body = {**admin.call("GET", "/admin/api/policy"), "min_contributors": 2}
    body.pop("version")
    admin.call("PUT", "/admin/api/policy", body)
    send(people["alice"], [click("Quillfeather"), click("Archive")])
    send(people["carol"], [click("Archive")])
    run_workers()
    assert rarity.contributors_seen(redis_conn) == 2
    pending = admin.call("DELETE", "/me/api/data", token=people["alice"], expect=(202,))
    work_jobs()
    receipt = admin.call("GET", f"/me/api/receipts/{pending['receipt_id']}", token=people["alice"])
    assert receipt["status"] == "completed"
    assert rarity.contributors_seen(redis_conn) == 1
    later = [click("Quillfeather"), click("Archive")]
    send(people["bob"], later)
    records = by_id(run_workers())
    assert records[later[0]["id"]]["target"]["label"] == "[rare]"
    assert records[later[1]["id"]]["target"]["label"] == "Archive"
    alice = pseudonym(settings.secret, "alice")
    assert not [r for r in records.values() if r["contributor"] == alice]


def test_uncounting_leaves_other_contributors_and_common_words(redis_conn):
    """Taking one fingerprint out keeps the others of each word, deletes a word counted only
    for it, and leaves a word marked common as it is."""
    secret, k = "s", 3
    rarity.count_pairs(
        redis_conn,
        [(b"word-one", b"AAAA"), (b"word-one", b"BBBB"), (b"word-two", b"AAAA")]
        + [(b"word-333", fp) for fp in (b"AAAA", b"CCCC", b"DDDD")],
        k,
    )
    key = rarity.hash_key(secret)
    fp = rarity.fingerprint(key, "c_alice")
    rarity.count_pairs(redis_conn, [(b"word-4xx", fp), (b"word-4xx", b"EEEE")], k)

    def value(digest: bytes):
        bucket, field = rarity.slot(digest)
        return redis_conn.hget(bucket, field)

    before = {d: value(d) for d in (b"word-one", b"word-two", b"word-333", b"word-4xx")}
    assert before[b"word-333"] == b"=\x00\x03"  # common at k 3: the marker
    assert rarity.uncount_contributor(redis_conn, secret, "c_alice") == 1
    assert value(b"word-4xx") == b"EEEE"
    for digest in (b"word-one", b"word-two", b"word-333"):  # other fingerprints: untouched
        assert value(digest) == before[digest]
    assert rarity.uncount_contributor(redis_conn, secret, "c_bob") == 0
    rarity.count_pairs(redis_conn, [(b"word-5xx", fp)], k)
    assert rarity.uncount_contributor(redis_conn, secret, "c_alice") == 1
    assert value(b"word-5xx") is None  # counted for her alone: gone


def test_k_changes_from_the_cli_too(settings, redis_conn):
    """`overt policy set --min-contributors` goes the same way: checked, stored, audited."""
    env = overt_env(settings)
    assert run(["policy", "set", "--min-contributors", "5"], env).returncode == 0
    assert json.loads(run(["policy", "show"], env).stdout)["min_contributors"] == 5
    (entry,) = [e for e in read_audit(redis_conn) if e["action"] == "min_contributors"]
    assert (entry["old"], entry["new"], entry["actor"]) == (3, 5, default_actor())
    bad = run(["policy", "set", "--min-contributors", "0"], env)
    assert bad.returncode != 0 and "--min-contributors" in bad.stderr


def test_status_says_plainly_when_there_are_fewer_than_k_contributors(
    admin, people, send, run_workers, settings, redis_conn
):
    """With one contributor the admin API and `overt status` warn; with three they do not."""
    send(people["alice"], [click("Save")])
    run_workers()
    status = admin.status()
    assert status["rarity"] == {"min_contributors": 3, "contributors": 1, "employees_enrolled": 3}
    (warning,) = [w for w in status["warnings"] if "min_contributors" in w]
    assert "fewer than min_contributors (k=3)" in warning and "[rare]" in warning
    out = run(["status"], overt_env(settings))
    assert "rare words:  k=3, 1 contributor(s) counted" in out.stdout
    assert "warning: Only 1 distinct contributor(s) so far" in out.stderr

    send(people["bob"], [click("Save")])
    send(people["carol"], [click("Save")])
    run_workers()
    assert not [w for w in admin.status()["warnings"] if "min_contributors" in w]
    assert "contributor(s) so far" not in run(["status"], overt_env(settings)).stderr


def test_status_names_too_few_enrolled_employees(admin, redis_conn):
    """With fewer enrolled employees than k the warning says what to do."""
    admin.enroll("alice")
    warnings = admin.status()["warnings"]
    assert any(
        "Only 1 employee(s) are enrolled: enroll at least 3, or lower k." in w for w in warnings
    )


def test_a_rewritten_batch_masks_exactly_as_first_decided(
    people, send, redis_conn, settings, run_workers
):
    """A sealer that dies after deciding: the rewrite keeps that decision although "Merge" is
    common by then, so the shard is byte for byte the one first written."""
    first = click("Merge")
    send(people["alice"], [first])
    stage.stage_once(redis_conn, settings.secret)
    batch_id = batches.take_batch(redis_conn, 1000)
    meta = json.loads(redis_conn.hget(keys.KEY_SEALING_INDEX, batch_id))
    staged = [
        json.loads(x) for x in redis_conn.lrange(keys.key(keys.KEY_SEALING, batch=batch_id), 0, -1)
    ]
    records, masked = batches.mask_rare_words(
        redis_conn, batch_id, meta, [s["rec"] for s in staged], settings.secret
    )
    assert masked == 2 and records[0]["target"]["label"] == "[rare]"
    rel, _ = datasets.shard_paths(meta["date"], batch_id)
    shard = settings.datasets_dir / rel
    datasets.atomic_write(shard, datasets.encode_shard(records))  # then the sealer dies
    first_bytes = shard.read_bytes()
    for name in ("bob", "carol"):  # "Merge" and "tickets" become common before the rewrite
        send(people[name], [click("Merge")])
        stage.stage_once(redis_conn, settings.secret)
    sealed = by_id(run_workers())
    assert shard.read_bytes() == first_bytes
    assert sealed[first["id"]]["target"]["label"] == "[rare]"
    assert {sealed[i]["target"]["label"] for i in sealed if i != first["id"]} == {"Merge"}


def test_raising_k_counts_again_and_lowering_it_keeps_counts(redis_conn):
    """A word common at k=2 is rare again at k=3 until counted anew; lowering k uses the counts."""
    word = rarity.word_hash(rarity.hash_key("s"), "merge")
    fps = [rarity.fingerprint(rarity.hash_key("s"), f"p_{i}") for i in range(4)]
    assert rarity.count_pairs(redis_conn, [(word, fps[0]), (word, fps[1])], 2) == {word}
    assert rarity.common_hashes(redis_conn, [word], 2) == {word}
    assert rarity.common_hashes(redis_conn, [word], 3) == set()
    # Counting restarts at one contributor.
    assert rarity.count_pairs(redis_conn, [(word, fps[2])], 3) == set()
    assert rarity.common_hashes(redis_conn, [word], 3) == set()
    rarity.count_pairs(redis_conn, [(word, fps[0]), (word, fps[1])], 3)
    assert rarity.common_hashes(redis_conn, [word], 3) == {word}
    other = rarity.word_hash(rarity.hash_key("s"), "jekyll")
    rarity.count_pairs(redis_conn, [(other, fps[0]), (other, fps[1])], 5)
    assert rarity.common_hashes(redis_conn, [other], 2) == {other}
    assert rarity.contributors_seen(redis_conn) == 3


def test_no_word_is_stored_in_redis(people, send, run_workers, redis_conn, settings):
    """The counter holds keyed hashes only: no word of a label, title or path is in Redis."""
    send(people["alice"], [click("Zanzibar", url="https://app.example.com/quixotic")])
    run_workers()
    dump = b"".join(
        k + b"".join(f + v for f, v in redis_conn.hgetall(k).items())
        for k in redis_conn.scan_iter(keys.PREFIX + "rare:[0-9a-f]*")
    )
    assert dump and b"zanzibar" not in dump.lower() and b"quixotic" not in dump.lower()
    assert pseudonym(settings.secret, "alice").encode() not in dump


def test_counter_memory_for_100k_words(redis_conn):
    """Memory of the counter for 100,000 distinct words (2 contributors each), printed."""
    key = rarity.hash_key("test-secret")
    fps = [rarity.fingerprint(key, f"p_{i}") for i in range(2)]
    redis_conn.flushdb()
    before = redis_conn.info("memory")["used_memory"]
    words = [secrets.token_bytes(8) for _ in range(100_000)]
    for i in range(0, len(words), 5_000):
        rarity.count_pairs(redis_conn, [(w, fp) for w in words[i : i + 5_000] for fp in fps], 3)
    used = redis_conn.info("memory")["used_memory"] - before
    buckets = list(redis_conn.scan_iter(keys.PREFIX + "rare:[0-9a-f]*", count=5000))
    encodings = {redis_conn.object("encoding", b).decode() for b in buckets[:100]}
    print(  # the figure belongs in the test log
        f"\nrarity counter: 100,000 words x 2 contributors = {used / MiB:.2f} MiB "
        f"({used / 100_000:.1f} B/word) in {len(buckets)} buckets ({', '.join(encodings)})"
    )
    assert used < 12 * MiB
    assert rarity.common_hashes(redis_conn, words[:1000], 3) == set()
    assert rarity.common_hashes(redis_conn, words[:1000], 2) == set(words[:1000])
