"""Pause: durable state plus a control message, fanned out to every matching socket."""

import time

import pytest

from backend.core import actions, filters, keys, pauses
from backend.core.employees import authenticate
from backend.core.intake import Intake
from tests.helpers import WSClient, make_event
from workers.stage import stage_once


@pytest.fixture
def enrolled(employee):
    """alice and bob in sales, carol in support; all consented to clicks."""
    teams = {"alice": "sales", "bob": "sales", "carol": "support"}
    return {name: employee(name, team, ("clicks",)) for name, team in teams.items()}


def assert_silent(client: WSClient, kind: str, window: float = 0.3):
    """Nothing of `kind` arrives within a short window."""
    with pytest.raises(TimeoutError):
        client.recv_type(kind, timeout=window)


def test_pause_all_reaches_every_client_and_is_acknowledged(admin, enrolled, connect):
    """A pause reaches each connected client; pause_applied acks are recorded per device."""
    clients = [connect(t) for t in enrolled.values()]
    pause_id = admin.pause("all", reason="Quarter close")
    for c in clients:
        frame = c.recv_type("pause")
        assert frame["pause_id"] == pause_id and frame["reason"] == "Quarter close"
        assert frame["scope"] == {"all": True} and frame["since"]
        c.send({"type": "pause_applied", "pause_id": pause_id})
    deadline = time.monotonic() + 5
    while len(admin.pause_acks(pause_id)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    acks = admin.pause_acks(pause_id)
    assert sorted(a["employee"] for a in acks) == ["alice", "bob", "carol"]


def test_team_and_employee_scopes(admin, enrolled, connect):
    """A team pause reaches only that team; an employee pause only that employee."""
    alice, bob, carol = (connect(enrolled[n]) for n in ("alice", "bob", "carol"))
    admin.pause({"team": "sales"}, reason="sales offsite")
    assert alice.recv_type("pause")["scope"] == {"team": "sales"}
    assert bob.recv_type("pause")["scope"] == {"team": "sales"}
    assert_silent(carol, "pause")
    admin.pause({"employee": "carol"}, reason="asked to")
    assert carol.recv_type("pause")["scope"] == {"employee": "carol"}


def test_paused_scope_events_are_rejected_never_queued(admin, enrolled, connect, queued_events):
    """While paused, events are rejected with code paused; other scopes still flow."""
    alice, carol = connect(enrolled["alice"]), connect(enrolled["carol"])
    pause_id = admin.pause({"team": "sales"}, reason="x")
    ack = alice.send_events(1, [make_event(), make_event()])
    assert ack["accepted"] == 0
    assert {r["code"] for r in ack["rejected"]} == {"paused"}
    assert ack["rejected"][0]["errors"]["pause_id"] == [pause_id]
    assert carol.send_events(1, [make_event()])["accepted"] == 1
    assert len(queued_events()) == 1


def test_client_connecting_later_gets_the_pause_in_welcome(admin, enrolled, connect):
    """The pause holds across reconnects: welcome carries it."""
    pause_id = admin.pause("all", reason="maintenance")
    c = connect(enrolled["bob"])
    assert c.welcome["pause"]["pause_id"] == pause_id
    assert c.welcome["pause"]["reason"] == "maintenance"


def test_resume_reaches_clients_and_capture_is_accepted_again(admin, enrolled, connect):
    """resume is pushed; events are accepted again."""
    c = connect(enrolled["alice"])
    pause_id = admin.pause("all", reason="x")
    c.recv_type("pause")
    admin.resume(pause_id)
    assert c.recv_type("resume") == {"type": "resume", "pause_id": pause_id}
    assert c.send_events(5, [make_event()])["accepted"] == 1


def test_overlapping_pauses(admin, enrolled, connect):
    """Resuming a narrower pause while a broader one holds keeps the client paused."""
    c = connect(enrolled["alice"])
    all_id = admin.pause("all", reason="all")
    c.recv_type("pause")
    team_id = admin.pause({"team": "sales"}, reason="team")
    assert c.recv_type("pause")["pause_id"] == team_id
    admin.resume(team_id)
    again = c.recv_type("pause")
    assert again["pause_id"] == all_id
    assert c.send_events(1, [make_event()])["rejected"][0]["code"] == "paused"
    admin.resume(all_id)
    assert c.recv_type("resume")["pause_id"] == all_id


def test_pausing_twice_returns_the_active_pause(admin, enrolled):
    """Pausing an already paused scope is idempotent."""
    first = admin.call("POST", "/admin/api/pause", {"scope": "all", "reason": "a"})
    second = admin.call("POST", "/admin/api/pause", {"scope": "all", "reason": "b"})
    assert second["pause_id"] == first["pause_id"] and second["created"] is False


def test_a_pause_that_names_nobody_enrolled_says_so(admin, enrolled, runner):
    """A pause of an unknown employee or team is kept (it holds once they enroll) and warned of;
    one that names someone enrolled carries no warning."""
    from backend.cli import main

    ghost = admin.call("POST", "/admin/api/pause", {"scope": {"employee": "ghost"}, "reason": "r"})
    assert ghost["created"] is True and ghost["warnings"] == [
        "no employee ghost is enrolled: the pause covers nobody until they are"
    ]
    team = admin.call("POST", "/admin/api/pause", {"scope": {"team": "nosuchteam"}, "reason": "r"})
    assert "no enrolled employee is in team nosuchteam" in team["warnings"][0]
    for scope in ("all", {"team": "sales"}, {"employee": "carol"}):
        answer = admin.call("POST", "/admin/api/pause", {"scope": scope, "reason": "r"})
        assert answer["warnings"] == [], scope

    result = runner.invoke(main, ["pause", "--team", "typo", "--reason", "r"])
    assert result.exit_code == 0 and result.stdout.startswith("paused: "), result.output
    assert "overt: warning: no enrolled employee is in team typo" in result.stderr
    result = runner.invoke(main, ["pause", "--employee", "alice", "--reason", "r"])
    assert result.exit_code == 0 and not result.stderr, result.output


def test_revoking_an_employee_never_enrolled_is_not_found(admin, enrolled):
    """As erasing their data is: a typo must not look like a revocation that took effect."""
    status, body = admin.request("POST", "/admin/api/employees/ghost/revoke")
    assert (status, body["code"]) == (404, "employee_not_found")
    assert admin.call("POST", "/admin/api/employees/alice/revoke")["revoked"] == 1
    assert admin.call("POST", "/admin/api/employees/alice/revoke")["revoked"] == 0  # enrolled


def test_purge_deletes_queued_unsealed_events_of_the_scope(
    admin, enrolled, connect, queued_events, run_workers
):
    """purge: true removes that scope's queued events; others stay and are sealed."""
    alice, carol = connect(enrolled["alice"]), connect(enrolled["carol"])
    alice.send_events(1, [make_event() for _ in range(5)])
    kept = make_event()
    carol.send_events(1, [kept])
    body = {"scope": {"team": "sales"}, "reason": "oops", "purge": True}
    result = admin.call("POST", "/admin/api/pause", body)
    assert result["purged"] == 5
    assert [e["id"] for e in queued_events()] == [kept["id"]]
    assert [r["id"] for r in run_workers()] == [kept["id"]]


@pytest.mark.parametrize("value", ["yes", 1, "false", 0])
def test_purge_must_be_a_json_boolean(admin, enrolled, value):
    """purge "yes", 1, "false" or 0 is a 422 naming purge, and no pause is made."""
    body = {"scope": "all", "reason": "r", "purge": value}
    err = admin.call("POST", "/admin/api/pause", body, expect=(422,))
    assert err["code"] == "invalid_request" and "purge" in err["errors"]
    assert admin.status()["paused"] == []


def test_purge_of_a_scope_already_paused_still_purges(
    admin, enrolled, connect, redis_conn, settings, queued_events, run_workers
):
    """purge: true on a paused scope deletes its queued and staged events, says how many, and
    is audited; the pause stays the one already active, now marked purged."""
    alice, carol = connect(enrolled["alice"]), connect(enrolled["carol"])
    alice.send_events(1, [make_event() for _ in range(2)])
    stage_once(redis_conn, settings.secret)  # staged: in no queue a purge pause would clear
    alice.send_events(2, [make_event() for _ in range(3)])
    kept = make_event()
    carol.send_events(1, [kept])
    first = admin.call("POST", "/admin/api/pause", {"scope": {"employee": "alice"}, "reason": "a"})
    body = {"scope": {"employee": "alice"}, "reason": "now purge", "purge": True}
    status, again = admin.request("POST", "/admin/api/pause", body)
    assert status == 200 and again["created"] is False and again["pause_id"] == first["pause_id"]
    assert again["purge"] is True and again["purged"] == 5
    assert again["purged_ms"] >= again["since_ms"]
    assert [e["id"] for e in queued_events()] == [kept["id"]]
    assert [r["id"] for r in run_workers()] == [kept["id"]]
    entry = admin.call("GET", "/admin/api/audit?limit=1")["entries"][0]
    assert entry["action"] == "pause" and entry["purged"] == 5 and entry["created"] is False


def test_a_later_purge_drops_what_a_worker_held_in_flight(redis_conn, enrolled):
    """Events received before the purge, though outside the pause window and in no queue at
    that moment (a worker's take), are dropped when staged or sealed after it."""
    time.sleep(0.05)  # the pause comes well after the consent the fixture granted
    record, _, _ = actions.pause(redis_conn, "admin", {"team": "sales"}, "a")
    received = record["since_ms"] - 10  # before the pause, timestamped before it too
    rules = filters.load_rules(redis_conn, {"alice"})
    assert rules.reason("alice", "sales", "clicks", received, received) is None
    actions.pause(redis_conn, "admin", {"team": "sales"}, "b", purge=True)
    rules = filters.load_rules(redis_conn, {"alice", "carol"})
    assert rules.reason("alice", "sales", "clicks", received, received) == "purged"
    assert rules.reason("carol", "support", "clicks", received, received) is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({"scope": {"team": "bad team"}, "reason": "r"}, "scope"),
        ({"scope": {"employee": "a" * 129}, "reason": "r"}, "scope"),
        ({"scope": {"employee": "erin\n"}, "reason": "r"}, "scope"),
        ({"scope": "all", "reason": "   "}, "reason"),
        ({"scope": "all", "reason": "r" * 501}, "reason"),
    ],
)
def test_pause_fields_follow_the_cli_rules(admin, body, field):
    """A team or employee enrollment refuses, a blank reason or one over 500 characters: 422,
    as `overt pause` refuses them (one set of rules, backend/schemas.py)."""
    err = admin.call("POST", "/admin/api/pause", body, expect=(422,))
    assert err["code"] == "invalid_request" and field in err["errors"], err
    assert admin.status()["paused"] == []


def test_a_pause_the_cli_can_resume(admin, runner):
    """A team name the API accepts is one `overt resume --team` accepts too."""
    from backend.cli import main

    admin.call("POST", "/admin/api/pause", {"scope": {"team": "ops.eu-1"}, "reason": "r"})
    result = runner.invoke(main, ["resume", "--team", "ops.eu-1"])
    assert result.exit_code == 0 and "resumed" in result.stdout, result.output


def test_purge_reaches_events_a_worker_already_staged(
    admin, enrolled, connect, redis_conn, settings, run_workers
):
    """Events staged (not yet sealed) before a purge pause never reach a shard."""

    alice = connect(enrolled["alice"])
    alice.send_events(1, [make_event() for _ in range(3)])
    stage_once(redis_conn, settings.secret)
    assert redis_conn.llen(keys.KEY_STAGING) == 3
    admin.call("POST", "/admin/api/pause", {"scope": "all", "reason": "x", "purge": True})
    assert run_workers() == []


def test_resume_errors(admin, enrolled):
    """Resuming an unknown pause is a typed 404; a bad body is a typed 422."""
    status, body = admin.request("POST", "/admin/api/resume", {"pause_id": "p_nope"})
    assert status == 404 and body["code"] == "pause_not_found"
    status, body = admin.request("POST", "/admin/api/resume", {})
    assert status == 422 and body["code"] == "invalid_request"


def test_admin_api_needs_the_admin_token(admin, enrolled):
    """With an employee's device token instead of the admin token: 403 in the one error shape."""
    body = {"scope": "all", "reason": "x"}
    status, body = admin.request("POST", "/admin/api/pause", body, token=enrolled["alice"])
    assert status == 403
    assert set(body) == {"code", "status", "message", "errors"}


def test_listener_survives_redis_dropping_it(admin, enrolled, connect, redis_conn, live_server):
    """After Redis kills the subscriber connection, the listener resubscribes and still delivers."""
    c = connect(enrolled["alice"])
    listener = live_server.app.extensions["overt.services"].listener
    redis_conn.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    # Published while the listener may be reconnecting: resync from durable state catches it.
    actions.pause(redis_conn, "test", {"all": True}, "during outage")
    assert c.recv_type("pause", timeout=10)["reason"] == "during outage"
    assert listener.is_alive()


def test_workers_drop_events_timestamped_inside_a_pause(
    admin, enrolled, redis_conn, settings, run_workers
):
    """An event captured during a pause window (e.g. by a modified client) is never sealed."""

    pause_id = admin.pause("all", reason="x")
    record = pauses.get_pause(redis_conn, pause_id)
    admin.resume(pause_id)
    until = pauses.get_pause(redis_conn, pause_id)["until_ms"]
    inside = make_event(ts=record["since_ms"] + 1)
    # After the window: not within the millisecond the resume ended it in (the window holds it).
    after = make_event(ts=until + 1)
    ident = authenticate(redis_conn, enrolled["alice"])
    Intake(redis_conn, lambda: None).accept(ident, 1, [inside, after], ["https://app.example.com"])
    assert [r["id"] for r in run_workers()] == [after["id"]]
