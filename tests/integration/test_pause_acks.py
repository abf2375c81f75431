"""`pause_applied`: recorded in batches, only from devices a pause covers while it is active."""

import time

import pytest

from backend.core import pauses
from backend.core.clock import now_ms
from tests.helpers import WSClient


def test_many_answers_at_once_are_all_recorded_and_unknown_pause_is_answered(
    admin, live_server, redis_conn
):
    """40 clients answer together: 40 acks; an ack for a made-up pause gets unknown_pause."""
    admin.set_policy()
    clients = []
    for i in range(40):
        client = WSClient(live_server.ws_url)
        client.hello(admin.enroll(f"e{i}", "sales"))
        clients.append(client)
    try:
        pause_id = admin.pause("all", reason="close")
        for client in clients:
            assert client.recv_type("pause")["pause_id"] == pause_id
        for client in clients:
            client.send({"type": "pause_applied", "pause_id": pause_id})
        clients[0].send({"type": "pause_applied", "pause_id": "p_made_up"})
        error = clients[0].recv_type("error")
        assert error["code"] == "unknown_pause"
        deadline = time.monotonic() + 10
        while len(admin.pause_acks(pause_id)) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        acks = admin.pause_acks(pause_id)
        assert sorted(a["employee"] for a in acks) == sorted(f"e{i}" for i in range(40))
        assert pauses.acks(redis_conn, "p_made_up") == []
    finally:
        for client in clients:
            client.close()


def test_record_acks_in_one_call(redis_conn):
    """Pauses in effect for the device are recorded; the others refused, each with why, in order."""
    everyone, _ = pauses.pause(redis_conn, {"all": True}, "r", False, "test")
    dave, _ = pauses.pause(redis_conn, {"employee": "dave"}, "r", False, "test")
    sales, _ = pauses.pause(redis_conn, {"team": "sales"}, "r", False, "test")
    ended, _ = pauses.pause(redis_conn, {"team": "support"}, "r", False, "test")
    pauses.resume(redis_conn, ended["pause_id"])
    outcomes = pauses.record_acks(
        redis_conn,
        [
            (everyone["pause_id"], "d1", "ann", "sales"),
            ("p_nope", "d2", "bob", "sales"),
            (dave["pause_id"], "d3", "cy", "sales"),
            (dave["pause_id"], "d4", "dave", "support"),
            (sales["pause_id"], "d1", "ann", "sales"),
            (sales["pause_id"], "d4", "dave", "support"),
            (ended["pause_id"], "d4", "dave", "support"),
            (ended["pause_id"], "d1", "ann", "sales"),
        ],
    )
    assert outcomes == [
        pauses.ACK_RECORDED,
        pauses.ACK_UNKNOWN,
        pauses.ACK_NOT_COVERED,
        pauses.ACK_RECORDED,
        pauses.ACK_RECORDED,
        pauses.ACK_NOT_COVERED,
        pauses.ACK_ENDED,
        pauses.ACK_NOT_COVERED,
    ]
    applied = {
        record["pause_id"]: sorted(
            a["employee"] for a in pauses.acks(redis_conn, record["pause_id"])
        )
        for record in (everyone, dave, sales, ended)
    }
    assert applied == {
        everyone["pause_id"]: ["ann"],
        dave["pause_id"]: ["dave"],
        sales["pause_id"]: ["ann"],
        ended["pause_id"]: [],
    }


def test_a_repeated_ack_keeps_the_time_first_applied(redis_conn):
    """A device that answers the same pause again (after a reconnect, say) is still recorded,
    but the time it applied stays the first one (before, the repeat overwrote it)."""
    record, _ = pauses.pause(redis_conn, {"team": "sales"}, "r", False, "test")
    applied = [(record["pause_id"], "d1", "ann", "sales")]
    assert pauses.record_acks(redis_conn, applied) == [pauses.ACK_RECORDED]
    (first,) = pauses.acks(redis_conn, record["pause_id"])
    while now_ms() <= first["at"]:
        time.sleep(0.001)
    again = [*applied, (record["pause_id"], "d2", "bob", "sales")]
    assert pauses.record_acks(redis_conn, again) == [pauses.ACK_RECORDED] * 2
    by_device = {a["device"]: a for a in pauses.acks(redis_conn, record["pause_id"])}
    assert by_device["d1"] == first
    assert by_device["d2"]["at"] > first["at"]


PUSHES = {"pause", "resume", "consent", "policy"}


def answer_to(client: WSClient, frame: dict) -> dict:
    """Send `frame`, then a ping; return the first answer (the pong if `frame` got none).

    Pushes (a pause, its resume) may arrive in between; they are no answer and are skipped.
    """
    client.send(frame)
    client.send({"type": "ping"})
    while (answer := client.recv())["type"] in PUSHES:
        pass
    return answer


def connected(admin, live_server, teams: dict[str, str]) -> dict[str, WSClient]:
    """Enroll each employee in their team and connect one device each; name -> client."""
    admin.set_policy()
    clients = {}
    for name, team in teams.items():
        clients[name] = WSClient(live_server.ws_url)
        clients[name].hello(admin.enroll(name, team))
    return clients


def live_row(admin, pause_id: str) -> dict:
    """The console's live row of a pause."""
    pauses = admin.call("GET", "/admin/api/live")["pauses"]
    (row,) = [p for p in pauses if p["pause_id"] == pause_id]
    return row


def test_only_devices_a_pause_covers_acknowledge_it(admin, live_server):
    """dave's pause: his ack is recorded, silently; alice's and bob's are refused, sockets open.

    Before, every device's ack of any pause was recorded: the console read 3 of 3 acknowledged.
    """
    clients = connected(admin, live_server, {"alice": "sales", "bob": "sales", "dave": "support"})
    try:
        pause_id = admin.pause({"employee": "dave"}, reason="asked to")
        assert clients["dave"].recv_type("pause")["pause_id"] == pause_id
        for name in ("alice", "bob"):
            with pytest.raises(TimeoutError):  # not theirs: never pushed to them
                clients[name].recv_type("pause", timeout=0.3)
        applied = {"type": "pause_applied", "pause_id": pause_id}
        assert answer_to(clients["dave"], applied) == {"type": "pong"}
        for name in ("alice", "bob"):
            error = answer_to(clients[name], applied)
            assert error["type"] == "error" and error["code"] == "not_covered", error
            assert set(error) == {"type", "code", "message"}
            assert clients[name].recv_type("pong") == {"type": "pong"}  # the socket stays open
        assert [a["employee"] for a in admin.pause_acks(pause_id)] == ["dave"]
        row = live_row(admin, pause_id)
        assert (row["acknowledged"], row["expected"], row["not_acknowledged"]) == (1, 1, [])
    finally:
        for client in clients.values():
            client.close()


def test_a_team_pause_is_acknowledged_by_its_team_only(admin, live_server):
    """A team pause: its members' acks count, another team's is refused; the console agrees."""
    clients = connected(admin, live_server, {"alice": "sales", "bob": "sales", "carol": "support"})
    try:
        pause_id = admin.pause({"team": "sales"}, reason="offsite")
        applied = {"type": "pause_applied", "pause_id": pause_id}
        assert answer_to(clients["alice"], applied) == {"type": "pong"}
        assert answer_to(clients["carol"], applied)["code"] == "not_covered"
        assert [a["employee"] for a in admin.pause_acks(pause_id)] == ["alice"]
        row = live_row(admin, pause_id)
        assert (row["acknowledged"], row["expected"]) == (1, 2)
        assert [c["employee"] for c in row["not_acknowledged"]] == ["bob"]
    finally:
        for client in clients.values():
            client.close()


def test_an_ack_after_the_resume_is_not_recorded(admin, live_server):
    """An answer that arrives after its pause ended gets pause_ended; `applied` stays empty."""
    admin.set_policy()
    client = WSClient(live_server.ws_url)
    client.hello(admin.enroll("dave", "support"))
    try:
        pause_id = admin.pause({"employee": "dave"}, reason="asked to")
        admin.resume(pause_id)
        error = answer_to(client, {"type": "pause_applied", "pause_id": pause_id})
        assert error["code"] == "pause_ended"
        assert client.recv_type("pong") == {"type": "pong"}  # the socket stays open
        assert admin.pause_acks(pause_id) == []
    finally:
        client.close()
