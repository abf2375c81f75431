"""Revocation is immediate: the device's sockets close on every backend; its frames are refused."""

import contextlib
import time

import pytest
import simple_websocket

from tests.conftest import WORK_ORIGIN, sealed_records
from tests.helpers import WSClient, http, make_event
from tests.integration.processes import overt_env, start_backend


def closed_by(client: WSClient, deadline: float) -> tuple[int, list[dict]]:
    """Wait until `deadline` for the server to close the socket; return close code and frames."""
    import json

    frames = list(client.pending)
    try:
        while time.monotonic() < deadline:
            data = client.ws.receive(timeout=max(deadline - time.monotonic(), 0.01))
            if data is not None:
                frames.append(json.loads(data))
    except simple_websocket.ConnectionClosed:
        return client.ws.close_reason, frames
    raise AssertionError("the socket was not closed in time")


def test_revoke_closes_the_open_socket(live_server, admin):
    """A socket opened before the revocation gets `revoked` and close 1008."""
    admin.set_policy()
    token = admin.enroll("alice")
    admin.set_consent(token, {"clicks": True})
    other = admin.enroll("bob")
    c, b = WSClient(live_server.ws_url), WSClient(live_server.ws_url)
    c.hello(token)
    b.hello(other)
    assert admin.call("POST", "/admin/api/employees/alice/revoke")["revoked"] == 1
    code, frames = closed_by(c, time.monotonic() + 1.0)
    assert code == 1008 and frames[-1]["code"] == "revoked"
    b.send({"type": "ping"})
    assert b.recv_type("pong")  # another employee's socket is untouched


def test_frame_racing_the_revocation_is_refused(live_server, admin, redis_conn, queued_events):
    """A frame processed after the tokens are gone is refused even before the socket closes."""
    from backend.core import employees

    admin.set_policy()
    token = admin.enroll("alice")
    admin.set_consent(token, {"clicks": True})
    c = WSClient(live_server.ws_url)
    c.hello(token)
    employees.revoke(redis_conn, "alice")  # tokens gone, no control message yet
    c.send({"type": "events", "seq": 1, "events": [make_event()]})
    assert c.recv_type("error")["code"] == "revoked"
    assert queued_events() == []


@pytest.mark.slow
def test_revoke_across_two_backends(settings, redis_conn, spawn):
    """The device's socket on each of two backends closes within 1 s; nothing after is sealed."""
    env = overt_env(settings, OVERT_BATCH_SIZE="50", OVERT_BATCH_MAX_AGE="0.2")
    bases = [start_backend(spawn, env, "a"), start_backend(spawn, env, "b")]
    spawn(["worker"], env, "worker")
    admin = settings.admin_token
    policy = {
        "categories": ["clicks"],
        "purpose": "p",
        "retention_days": 7,
        "allowed_origins": [WORK_ORIGIN],
    }
    assert http("PUT", bases[0] + "/admin/api/policy", admin, policy)[0] == 200
    tokens = [
        http("POST", bases[0] + "/admin/api/employees", admin, {"employee": "alice"})[1]["token"]
        for _ in range(2)
    ]
    for t in tokens:
        assert (
            http("PUT", bases[1] + "/me/api/consent", t, {"categories": {"clicks": True}})[0] == 200
        )
    clients = [WSClient(base.replace("http", "ws") + "/ws") for base in bases]
    before = []
    for client, t in zip(clients, tokens, strict=True):
        client.hello(t)
        frame = [make_event() for _ in range(10)]
        assert client.send_events(1, frame)["accepted"] == 10
        before += [e["id"] for e in frame]

    status, body = http("POST", bases[1] + "/admin/api/employees/alice/revoke", admin)
    assert (status, body["revoked"]) == (200, 2)
    closed_deadline = time.monotonic() + 1.0
    after = []
    for client in clients:
        late = make_event()
        after.append(late["id"])
        with contextlib.suppress(simple_websocket.ConnectionClosed):  # it keeps sending
            client.send({"type": "events", "seq": 2, "events": [late]})
        code, frames = closed_by(client, closed_deadline)
        assert code == 1008 and "ack" not in [f.get("type") for f in frames]

    deadline = time.monotonic() + 20
    while len(sealed_records(settings.data_dir)) < len(before):
        assert time.monotonic() < deadline, "events acknowledged before the revoke were not sealed"
        time.sleep(0.1)
    ids = {r["id"] for r in sealed_records(settings.data_dir)}
    assert ids == set(before) and not ids & set(after)
