"""The audit log: hash-chained, never trimmed, paged, verified by `overt audit verify`."""

import hashlib
import itertools
import json
import threading

import pytest
from click.testing import CliRunner

from backend.cli import main
from backend.core import audit as audit_log
from backend.core import keys
from backend.core.db import connect


def fill(r, n: int) -> None:
    for i in range(n):
        audit_log.audit(r, "ops", "pause", pause_id=f"p_{i}", scope={"team": "sales"})


def run_cli(*args):
    return CliRunner().invoke(main, list(args))


def verify_cli():
    return run_cli("audit", "verify")


def test_entries_are_chained(redis_conn):
    """Each entry names the previous hash and hashes its own canonical JSON with it."""
    fill(redis_conn, 3)
    raw = [json.loads(x) for x in redis_conn.lrange(keys.KEY_AUDIT_LOG, 0, -1)]
    assert [e["seq"] for e in raw] == [1, 2, 3]
    assert raw[0]["prev_hash"] == audit_log.GENESIS
    for before, entry in itertools.pairwise(raw):
        assert entry["prev_hash"] == before["hash"]

    body = {k: v for k, v in raw[1].items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    assert raw[1]["hash"] == hashlib.sha256((raw[0]["hash"] + canonical).encode()).hexdigest()
    assert raw[2]["actor"] == "ops" and raw[2]["scope"] == {"team": "sales"}


def test_editing_any_entry_fails_verification_at_that_entry(redis_conn, settings):
    """Changing one field of any stored entry makes `overt audit verify` exit 1 naming it."""
    fill(redis_conn, 6)
    result = verify_cli()
    assert result.exit_code == 0 and "intact: 6 entries" in result.output
    for position in range(6):
        original = redis_conn.lindex(keys.KEY_AUDIT_LOG, position)
        edited = json.loads(original)
        edited["actor"] = "someone-else"
        redis_conn.lset(keys.KEY_AUDIT_LOG, position, json.dumps(edited))
        result = verify_cli()
        assert result.exit_code == 1
        assert f"broken at entry {position + 1}:" in result.output
        redis_conn.lset(keys.KEY_AUDIT_LOG, position, original)
    assert verify_cli().exit_code == 0


def test_recomputing_a_hash_is_caught_by_the_next_link_or_the_head(redis_conn, settings):
    """An editor who also recomputes the entry's hash breaks the next link (or the head)."""
    fill(redis_conn, 4)
    original = redis_conn.lindex(keys.KEY_AUDIT_LOG, 1)
    entry = json.loads(original)
    entry["reason"] = "rewritten"
    entry["hash"] = audit_log.entry_hash(entry)
    redis_conn.lset(keys.KEY_AUDIT_LOG, 1, json.dumps(entry))
    assert audit_log.verify(redis_conn).broken_at == 3
    redis_conn.lset(keys.KEY_AUDIT_LOG, 1, original)
    last = json.loads(redis_conn.lindex(keys.KEY_AUDIT_LOG, -1))
    last["action"] = "resume"
    last["hash"] = audit_log.entry_hash(last)
    redis_conn.lset(keys.KEY_AUDIT_LOG, -1, json.dumps(last))
    verdict = audit_log.verify(redis_conn)
    assert verdict.broken_at == 4 and "head" in verdict.problem


def test_deleting_entries_is_caught(redis_conn, settings):
    """Removing an entry in the middle or at the end breaks the chain."""
    fill(redis_conn, 5)
    last = redis_conn.rpop(keys.KEY_AUDIT_LOG)
    verdict = audit_log.verify(redis_conn)
    assert verdict.broken_at == 5 and "missing" in verdict.problem
    redis_conn.rpush(keys.KEY_AUDIT_LOG, last)
    middle = redis_conn.lindex(keys.KEY_AUDIT_LOG, 2)
    redis_conn.lrem(keys.KEY_AUDIT_LOG, 1, middle)
    assert audit_log.verify(redis_conn).broken_at == 4
    result = verify_cli()
    assert result.exit_code == 1 and "broken at entry 4" in result.output


def test_appends_from_many_connections_keep_one_chain(redis_url, redis_conn):
    """Concurrent appenders on separate connections never fork or skip the chain."""

    def writer(n):
        r = connect(redis_url)
        for i in range(40):
            audit_log.audit(r, f"w{n}", "enroll", employee=f"e{n}-{i}")
        r.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    verdict = audit_log.verify(redis_conn)
    assert verdict.ok and verdict.checked == 160


def test_never_trimmed_and_paged_newest_first(redis_conn, admin):
    """Past the old 10,000 limit nothing is lost; the API pages through every entry."""
    pipe = redis_conn.pipeline()
    prev = audit_log.GENESIS
    for seq in range(1, 10_051):  # written directly: 10k HTTP calls would only slow the test
        entry = {"seq": seq, "at": seq, "actor": "ops", "action": "enroll", "prev_hash": prev}
        entry["hash"] = prev = audit_log.entry_hash(entry)
        pipe.rpush(keys.KEY_AUDIT_LOG, json.dumps(entry))
    pipe.hset(keys.KEY_AUDIT_HEAD, mapping={"seq": 10_050, "hash": prev})
    pipe.execute()
    admin.enroll("alice", "sales")  # through the API: appended as 10,051
    assert audit_log.verify(redis_conn).checked == 10_051

    seen, cursor = [], None
    while True:
        query = "?limit=500" + (f"&before={cursor}" if cursor else "")
        page = admin.call("GET", "/admin/api/audit" + query)
        seen.extend(e["seq"] for e in page["entries"])
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == list(range(10_051, 0, -1))
    assert admin.call("GET", "/admin/api/audit?limit=1")["entries"][0]["action"] == "enroll"


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "before=-1", "before=0"])
def test_bad_paging_is_a_typed_400(admin, query):
    """A bad cursor or limit is refused in the one error shape."""
    body = admin.call("GET", f"/admin/api/audit?{query}", expect=(400,))
    assert body["code"] in ("bad_limit", "bad_before") and body["status"] == 400


def test_every_admin_action_is_audited(admin, redis_conn, work_jobs):
    """Pause, resume, purge, policy, enrolment, revocation, erasure and an employee's receipt."""
    admin.set_policy()
    token = admin.enroll("alice", "sales")
    pause_id = admin.pause({"team": "sales"}, reason="close", purge=True)
    admin.resume(pause_id)
    admin.call(
        "DELETE", "/admin/api/employees/alice/data", {"reason": "left the company"}, expect=(202,)
    )
    work_jobs()  # an erasure is audited by its job, with what it removed
    bob = admin.enroll("bob", "sales")
    admin.call("DELETE", "/me/api/data", token=bob, expect=(202,))
    work_jobs()
    admin.call("POST", "/admin/api/employees/alice/revoke")
    entries = list(reversed(admin.call("GET", "/admin/api/audit")["entries"]))
    actions = [(e["actor"], e["action"]) for e in entries]
    assert actions == [
        ("bootstrap", "policy"),
        ("bootstrap", "enroll"),
        ("bootstrap", "pause"),
        ("bootstrap", "resume"),
        ("bootstrap", "erase"),
        ("bootstrap", "enroll"),
        ("employee", "erase_receipt"),
        ("bootstrap", "revoke"),
    ]
    assert entries[2]["purged"] == 0 and entries[2]["reason"] == "close"
    assert entries[4]["reason"] == "left the company"
    assert entries[6]["employee"] == "bob" and entries[6]["receipt_id"]
    assert token not in json.dumps(entries) and bob not in json.dumps(entries)
    assert admin.call("GET", "/admin/api/audit/verify") == {
        "ok": True,
        "checked": 8,
        "broken_at": None,
        "problem": "",
    }


def test_archived_entries_stay_in_the_chain(redis_conn, settings, admin):
    """Old entries moved to the append-only file are still paged and verified."""
    fill(redis_conn, 30)
    path = audit_log.archive_path(settings.data_dir)
    # A run that died after writing the first entries to the file, before trimming Redis:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"".join(x + b"\n" for x in redis_conn.lrange(keys.KEY_AUDIT_LOG, 0, 4)))
    result = run_cli("audit", "archive", "--keep", "10")
    assert result.exit_code == 0 and "archived 20" in result.output
    lines = path.read_bytes().splitlines()
    assert [json.loads(x)["seq"] for x in lines] == list(range(1, 21))
    assert redis_conn.llen(keys.KEY_AUDIT_LOG) == 10
    admin.enroll("alice", "sales")  # the chain goes on from the newest entry
    assert verify_cli().exit_code == 0
    assert admin.call("GET", "/admin/api/audit/verify")["checked"] == 31

    seen, cursor = [], None
    while True:
        query = "?limit=7" + (f"&before={cursor}" if cursor else "")
        page = admin.call("GET", "/admin/api/audit" + query)
        seen.extend(e["seq"] for e in page["entries"])
        if (cursor := page["next"]) is None:
            break
    assert seen == list(range(31, 0, -1))

    edited = json.loads(lines[11])
    edited["actor"] = "someone-else"
    lines[11] = json.dumps(edited).encode()
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = verify_cli()
    assert result.exit_code == 1 and "broken at entry 12:" in result.output


def test_a_page_reaching_into_the_archive_is_full(redis_conn, settings, admin):
    """After `overt audit archive --keep 2`, `GET /admin/api/audit?limit=5` answered the 2
    entries still in Redis (and a cursor), and `overt audit show --limit 5` printed 2 lines,
    though 30 entries exist: a page stopped where Redis's part of the log did. It is filled from
    the archive; a page is short only at the log's start."""
    fill(redis_conn, 30)
    assert run_cli("audit", "archive", "--keep", "2").exit_code == 0
    page = admin.call("GET", "/admin/api/audit?limit=5")
    assert [e["seq"] for e in page["entries"]] == [30, 29, 28, 27, 26] and page["next"] == 26
    older = admin.call("GET", "/admin/api/audit?limit=5&before=26")
    assert [e["seq"] for e in older["entries"]] == [25, 24, 23, 22, 21]
    everything = admin.call("GET", "/admin/api/audit?limit=500")
    assert [e["seq"] for e in everything["entries"]] == list(range(30, 0, -1))
    assert everything["next"] is None
    shown = run_cli("audit", "show", "--limit", "5")
    assert shown.exit_code == 0, shown.output
    assert [json.loads(x)["seq"] for x in shown.output.splitlines()] == [30, 29, 28, 27, 26]


def test_an_archive_that_cannot_be_written_is_one_line(redis_conn, settings, tmp_path):
    """`overt audit archive` with a data dir that is a file (the secrets given in the
    environment) ended with a traceback (NotADirectoryError). It is one line, exit 2, and every
    entry stays in Redis, the chain intact."""
    fill(redis_conn, 5)
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("")
    result = CliRunner().invoke(
        main, ["audit", "archive", "--keep", "1"], env={"OVERT_DATA_DIR": str(a_file)}
    )
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert (
        line.startswith("overt: error: the audit archive cannot be used (") and "Not a dir" in line
    )
    assert redis_conn.llen(keys.KEY_AUDIT_LOG) == 5
    assert verify_cli().exit_code == 0


def test_a_damaged_archive_line_is_named_by_every_reader(redis_conn, settings, admin, client):
    """A line of the archive that is not an entry made `GET /admin/api/audit` a 500
    `internal_error` (a JSON error) and `overt audit show` (which reads the archive too) a
    traceback. The API answers `audit_archive_damaged` naming the line, the CLI one line, and
    `overt audit archive` refuses to append after it; `verify` names the entry, as before."""
    fill(redis_conn, 10)
    assert run_cli("audit", "archive", "--keep", "2").exit_code == 0
    path = audit_log.archive_path(settings.data_dir)
    with path.open("ab") as fh:
        fh.write(b"{bad\n")
    response = client.get(
        "/admin/api/audit?limit=5", headers={"Authorization": f"Bearer {admin.admin_token}"}
    )
    assert response.status_code == 500
    body = response.get_json()
    assert body["code"] == "audit_archive_damaged" and "line 9 is not a readable" in body["message"]
    for args in (("audit", "show", "--limit", "5"), ("audit", "archive", "--keep", "0")):
        result = run_cli(*args)
        assert result.exit_code == 2, (args, result.output)
        (line,) = result.stderr.strip().splitlines()
        assert line.endswith("line 9 is not a readable audit entry; run overt audit verify"), line
    assert redis_conn.llen(keys.KEY_AUDIT_LOG) == 2  # nothing archived after the damage
    assert verify_cli().exit_code == 1


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_an_entry_with_a_non_finite_number_is_refused(redis_conn, admin, value):
    """json.dumps writes NaN and Infinity, which are not JSON: one such entry made every page of
    GET /admin/api/audit holding it unparseable by a browser (JSON.parse), for good, since the
    log is never trimmed. Refused before anything is written."""
    audit_log.audit(redis_conn, "cli", "pause", pause_id="p_1")
    with pytest.raises(ValueError, match="NaN or Infinity"):
        audit_log.audit(redis_conn, "cli", "dataset_export", val=value)
    assert [e["action"] for e in audit_log.read_audit(redis_conn)] == ["pause"]
    assert audit_log.verify(redis_conn).ok
    body = admin.client.get(
        "/admin/api/audit", headers={"Authorization": f"Bearer {admin.admin_token}"}
    ).get_data(as_text=True)
    json.loads(body, parse_constant=lambda name: pytest.fail(f"{name} in the audit page"))


def test_an_archive_that_cannot_be_read_is_not_called_redis(redis_conn, settings, admin):
    """An audit archive that cannot be opened (here a folder where its file should be) made
    `GET /admin/api/audit` answer 503 `redis_unavailable`, sending the administrator to a data
    store that was fine. A file the server keeps is `storage_unavailable`, in the one error
    shape."""
    from backend.core.audit import archive_path

    fill(redis_conn, 3)
    archive_path(settings.data_dir).mkdir(parents=True)
    body = admin.call("GET", "/admin/api/audit?before=1", expect=(503,))
    assert body["code"] == "storage_unavailable" and body["status"] == 503, body
    assert set(body) == {"code", "status", "message", "errors"}
