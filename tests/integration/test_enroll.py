"""Enrollment (`POST /admin/api/employees`, `overt enroll`): names, teams, devices."""

from __future__ import annotations

import json
import time

import pytest

from backend.core import keys
from tests.helpers import commands_during


@pytest.mark.parametrize("field", ["employee", "team"])
def test_a_name_too_long_says_the_limit(admin, field):
    """A 129-character name is refused with a message that says names have at most 128."""
    body = {"employee": "carol", "team": "sales", field: "a" * 129}
    err = admin.call("POST", "/admin/api/employees", body, expect=(422,))
    assert err["code"] == "invalid_request" and "1-128 characters" in err["errors"][field][0]
    assert admin.call("POST", "/admin/api/employees", {**body, field: "a" * 128}, expect=(201,))


def test_enrolling_in_another_team_moves_every_device(admin, live_server, connect, redis_conn):
    """carol enrolled in sales, then in marketing: one team everywhere from then on. Her first
    device's welcome says marketing, a marketing pause covers it and a sales pause does not."""
    first = admin.call("POST", "/admin/api/employees", {"employee": "carol", "team": "sales"})
    moved = admin.call("POST", "/admin/api/employees", {"employee": "carol", "team": "marketing"})
    assert moved["team"] == "marketing"
    for token in (first["token"], moved["token"]):
        assert connect(token).welcome["team"] == "marketing"
        assert admin.call("GET", "/me/api/overview", token=token)["team"] == "marketing"
        assert admin.call("GET", "/me/api/data", token=token)["team"] == "marketing"
    sales = admin.pause({"team": "sales"}, reason="sales only")
    assert admin.call("GET", "/admin/api/live")["pauses"][0]["expected"] == 0
    admin.resume(sales)
    admin.pause({"team": "marketing"}, reason="marketing")
    assert connect(first["token"]).welcome["pause"]["scope"] == {"team": "marketing"}
    entries = admin.call("GET", "/admin/api/audit")["entries"]  # newest first
    entries = [e for e in entries if e["action"] in ("enroll", "team_change")]
    assert [e["action"] for e in entries] == ["enroll", "team_change", "enroll"]
    change = entries[1]
    assert (change["old"], change["new"], change["devices"]) == ("sales", "marketing", 1)


def test_a_connected_device_follows_its_employee_to_the_new_team(admin, connect):
    """A socket open during the move is told the pause of its new team at once, and no longer
    held by its old team's pause."""
    token = admin.enroll("carol", "sales")
    admin.pause({"team": "marketing"}, reason="marketing close")
    sales = admin.pause({"team": "sales"}, reason="sales close")
    client = connect(token)
    assert client.welcome["pause"]["pause_id"] == sales
    admin.call("POST", "/admin/api/employees", {"employee": "carol", "team": "marketing"})
    told = client.recv_type("pause")
    assert told["scope"] == {"team": "marketing"}
    admin.resume(sales)  # her old team's pause no longer concerns her
    with pytest.raises(TimeoutError):
        client.recv_type("resume", timeout=0.5)


def test_a_move_does_no_redis_io_per_socket(admin, connect, redis_conn):
    """Four of carol's devices are connected when she moves: each is told her new team's pause
    and listed in it, for one read of the pauses and one read and one scripted write of presence
    (before: a read of pauses and a read and a write of presence per socket, inside the fan-out
    loop)."""
    tokens = [admin.enroll("carol", "sales") for _ in range(4)]
    marketing = admin.pause({"team": "marketing"}, reason="marketing close")
    clients = [connect(token) for token in tokens]

    def move() -> None:
        admin.call("POST", "/admin/api/employees", {"employee": "carol", "team": "marketing"})
        for client in clients:
            assert client.recv_type("pause")["pause_id"] == marketing
        deadline = time.monotonic() + 5
        while {json.loads(v)["team"] for v in redis_conn.hvals(keys.KEY_CONNECTION_INFO)} != {
            "marketing"
        }:
            assert time.monotonic() < deadline, "the presence never showed the new team"
            time.sleep(0.02)

    sent = commands_during(redis_conn, move)
    presence = sorted(  # HVALS: this test's own polling
        c[0] for c in sent if c[1:2] == [keys.KEY_CONNECTION_INFO] and c[0] != "HVALS"
    )
    assert presence == ["HMGET"], presence  # then one script writes the rows still there
    scripts = [c for c in sent if c[0] == "EVALSHA" and keys.KEY_CONNECTION_INFO in c]
    # One call; two the first time (Redis answers NOSCRIPT, redis-py loads it and calls again).
    assert len(scripts) in (1, 2) and len({tuple(c) for c in scripts}) == 1, scripts
    active = [c[0] for c in sent if c[1:2] == [keys.KEY_PAUSES_ACTIVE]]
    assert active == ["HVALS"], active
    devices = admin.call("GET", "/admin/api/live")["devices"]
    assert list(devices) == ["marketing"] and len(devices["marketing"]) == 4


def test_enrolling_again_without_a_team_keeps_the_team(admin, runner):
    """Another device without --team (or "team" in the body) stays in the employee's team."""
    from backend.cli import main

    admin.enroll("carol", "sales")
    again = admin.call("POST", "/admin/api/employees", {"employee": "carol"})
    assert again["team"] == "sales"
    result = runner.invoke(main, ["enroll", "carol"])
    assert result.exit_code == 0 and "of team sales" in result.stderr, result.output
    new = admin.call("POST", "/admin/api/employees", {"employee": "dave"})
    assert new["team"] == "default"
    actions = [e["action"] for e in admin.call("GET", "/admin/api/audit")["entries"]]
    assert "team_change" not in actions
