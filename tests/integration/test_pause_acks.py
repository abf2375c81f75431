"""`pause_applied` answers are recorded in batches; an unknown pause still gets its error."""

import time

from backend.core import pauses
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
    """Known pauses are recorded, unknown ones refused, in the order given."""
    record, _ = pauses.pause(redis_conn, {"all": True}, "r", False, "test")
    ok = pauses.record_acks(
        redis_conn,
        [
            (record["pause_id"], "d1", "ann"),
            ("p_nope", "d2", "bob"),
            (record["pause_id"], "d3", "cy"),
        ],
    )
    assert ok == [True, False, True]
    assert sorted(a["employee"] for a in pauses.acks(redis_conn, record["pause_id"])) == [
        "ann",
        "cy",
    ]
