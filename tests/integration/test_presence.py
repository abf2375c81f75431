"""Presence of connected devices in Redis (the console's live view, `overt status`, the devices a
pause waits for): what a backend process that dies leaves there, and a team move racing a close.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from backend.connections import PRESENCE_TTL, Connection, Registry
from backend.core import keys
from backend.core.employees import Identity
from tests.helpers import WSClient
from tests.integration.processes import start_server

pytestmark = pytest.mark.slow


def presence(r) -> dict[str, dict]:
    """Return every connection's info row, by connection id, whether it is stale or not."""
    return {k.decode(): json.loads(v) for k, v in r.hgetall(keys.KEY_CONNECTION_INFO).items()}


def test_a_killed_backend_leaves_nothing_behind_once_stale(
    spawn, settings, employee, redis_conn, connect
):
    """A backend worker SIGKILLed (out of memory, say) never removes its connections; once they
    miss the heartbeat window, any live backend's heartbeat removes them from the presence zset
    and from the info hash (before: the info rows stayed in Redis forever)."""
    pid, port = start_server(spawn, settings, "serve")
    doomed = WSClient(f"ws://127.0.0.1:{port}/ws")
    assert doomed.hello(employee("alice", "sales"))["type"] == "welcome"
    live = connect(employee("bob", "sales"))  # on this test's own backend, which lives on
    assert live.welcome["type"] == "welcome"
    rows = presence(redis_conn)
    dead = [c for c, info in rows.items() if info["employee"] == "alice"]
    kept = [c for c, info in rows.items() if info["employee"] == "bob"]
    assert len(dead) == 1 and len(kept) == 1, rows

    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    assert dead[0] in presence(redis_conn)  # nothing removed it
    # As PRESENCE_TTL seconds without a heartbeat leave it (the dead process refreshes nothing).
    redis_conn.zadd(keys.KEY_CONNECTIONS, {dead[0]: time.time() - PRESENCE_TTL - 1})

    Registry(redis_conn, "p_test").heartbeat()  # any backend's, here a bare one

    assert redis_conn.zscore(keys.KEY_CONNECTIONS, dead[0]) is None
    assert dead[0] not in presence(redis_conn)
    assert redis_conn.zscore(keys.KEY_CONNECTIONS, kept[0]) is not None
    assert presence(redis_conn)[kept[0]]["employee"] == "bob"
    doomed.ws.sock.close()


def test_a_team_move_never_brings_back_a_closed_connection(redis_conn):
    """The presence of moved connections is read, then written in one script that skips any
    connection removed in between: a device that closed meanwhile is not listed again."""
    registry = Registry(redis_conn, "p_test")
    staying = Connection(ws=None, ident=Identity("carol", "sales", "dev_1"))
    closing = Connection(ws=None, ident=Identity("carol", "sales", "dev_2"))
    registry.add(staying)
    registry.add(closing)
    for conn in (staying, closing):
        conn.ident = Identity("carol", "marketing", conn.ident.device)
    # The read of record_teams, then the close, then its write: the close wins.
    found = redis_conn.hmget
    redis_conn.hmget = lambda *a: (found(*a), registry.remove(closing))[0]
    try:
        registry.record_teams([staying, closing])
    finally:
        del redis_conn.hmget
    rows = presence(redis_conn)
    assert closing.id not in rows
    assert rows[staying.id]["team"] == "marketing"
    registry.remove(staying)
    assert staying.id not in presence(redis_conn)
