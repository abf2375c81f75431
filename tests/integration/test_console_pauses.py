"""The console's live view reads the newest pauses through their time index, not every record."""

from __future__ import annotations

import json

from backend.console import RECENT_PAUSES, live_view
from backend.core import actions, keys, pauses
from tests.helpers import commands_during


def many_pauses(r, n: int) -> list[dict]:
    """Pause and resume team t0..t(n-1) one after the other; return the records."""
    made = []
    for i in range(n):
        record, created, _ = actions.pause(r, "ops", {"team": f"t{i}"}, f"close {i}")
        assert created
        made.append(actions.resume(r, "ops", record["pause_id"]))
    return made


def test_live_view_reads_only_the_newest_pause_records(redis_conn):
    """With 40 pauses, a poll reads the newest few records, never the whole pauses hash."""
    many_pauses(redis_conn, 40)
    view: dict = {}
    sent = commands_during(redis_conn, lambda: view.update(live_view(redis_conn)))
    whole = [c for c in sent if c[0] in ("HVALS", "HGETALL", "HKEYS") and c[1] == keys.KEY_PAUSES]
    assert whole == [], whole
    fetched = [c for c in sent if c[0] in ("HMGET", "HGET") and c[1] == keys.KEY_PAUSES]
    assert sum(len(c) - 2 for c in fetched) == RECENT_PAUSES
    assert len(view["pauses"]) == RECENT_PAUSES and view["pauses_total"] == 40


def test_newest_first_and_an_old_active_pause_is_still_shown(redis_conn):
    """The newest few pauses, plus an older one still active, with its acknowledgement numbers."""
    old, _, _ = actions.pause(redis_conn, "ops", {"all": True}, "freeze")
    applied = [(old["pause_id"], "dev_a", "ann", "sales")]
    assert pauses.record_acks(redis_conn, applied) == [pauses.ACK_RECORDED]
    ended = many_pauses(redis_conn, 12)
    view = live_view(redis_conn)
    rows = view["pauses"]
    assert len(rows) == RECENT_PAUSES + 1 and view["pauses_total"] == 13
    since = [row["since_ms"] for row in rows]
    assert since == sorted(since, reverse=True)
    shown = {row["pause_id"] for row in rows}
    left_out = [p for p in ended if p["pause_id"] not in shown]
    assert len(left_out) == 12 - RECENT_PAUSES
    assert max(p["since_ms"] for p in left_out) <= min(since[:RECENT_PAUSES])
    (freeze,) = [row for row in rows if row["active"]]
    assert freeze["pause_id"] == old["pause_id"] and freeze["acknowledged"] == 1
    assert [p["pause_id"] for p in view["active_pauses"]] == [old["pause_id"]]


def test_pauses_stored_before_the_index_are_indexed_once(redis_conn):
    """Records written without the index (an older version) are indexed on the first read."""
    records = many_pauses(redis_conn, 3)
    redis_conn.delete(keys.KEY_PAUSES_BY_TIME)
    legacy = {**records[0], "pause_id": "p_legacy", "since_ms": records[-1]["since_ms"] + 5}
    redis_conn.hset(keys.KEY_PAUSES, "p_legacy", json.dumps(legacy))
    newest = pauses.newest_pauses(redis_conn, 2)
    assert [p["pause_id"] for p in newest] == ["p_legacy", records[-1]["pause_id"]]
    assert redis_conn.zcard(keys.KEY_PAUSES_BY_TIME) == 4


def test_a_refused_duplicate_pause_leaves_no_index_entry(redis_conn):
    """Pausing a scope already paused returns the existing pause and indexes nothing new."""
    first, created, _ = actions.pause(redis_conn, "ops", {"team": "sales"}, "one")
    again, created_again, _ = actions.pause(redis_conn, "ops", {"team": "sales"}, "two")
    assert created and not created_again and again["pause_id"] == first["pause_id"]
    assert redis_conn.zrange(keys.KEY_PAUSES_BY_TIME, 0, -1) == [first["pause_id"].encode()]
    assert redis_conn.hlen(keys.KEY_PAUSES) == 1
