"""A fan-out frames its message once per framing (backend/wire.py), and every client decodes it."""

import contextlib
import json
import time

from websockets.sync.client import connect as ws_connect

from backend import wire
from tests.helpers import WSClient, registered_connections


def _deflate_client(stack, live_server, token):
    """A client that negotiates permessage-deflate as Chromium does (the `websockets` library)."""
    ws = stack.enter_context(ws_connect(live_server.ws_url, compression="deflate"))
    ws.send(json.dumps({"type": "hello", "token": token, "client": {"version": "test"}}))
    assert json.loads(ws.recv(timeout=5))["type"] == "welcome"
    return ws


def _recv_type(ws, kind: str) -> dict:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        frame = json.loads(ws.recv(timeout=5))
        if frame["type"] == kind:
            return frame
    raise TimeoutError(f"no {kind} frame")


def test_pause_reaches_plain_and_deflate_clients_alike(admin, live_server):
    """Three plain and three deflate sockets get the same pause and resume, in order."""
    admin.set_policy()
    plain = [WSClient(live_server.ws_url) for _ in range(3)]
    for i, client in enumerate(plain):
        client.hello(admin.enroll(f"p{i}", "sales"))
    stack = contextlib.ExitStack()
    deflate = [_deflate_client(stack, live_server, admin.enroll(f"d{i}", "ops")) for i in range(3)]
    try:
        pause_id = admin.pause("all", reason="audit")
        got = [c.recv_type("pause") for c in plain] + [_recv_type(ws, "pause") for ws in deflate]
        assert all(frame == got[0] for frame in got), got
        assert got[0]["pause_id"] == pause_id and got[0]["reason"] == "audit"
        admin.call("POST", "/admin/api/resume", {"pause_id": pause_id})
        resumed = [c.recv_type("resume") for c in plain] + [
            _recv_type(ws, "resume") for ws in deflate
        ]
        assert resumed == [{"type": "resume", "pause_id": pause_id}] * 6
    finally:
        for client in plain:
            client.close()
        stack.close()


def test_one_framing_per_kind_of_socket(app, admin, live_server):
    """Sockets that negotiated the same framing share one byte string; plain ones share another."""
    admin.set_policy()
    plain = [WSClient(live_server.ws_url) for _ in range(2)]
    for i, client in enumerate(plain):
        client.hello(admin.enroll(f"p{i}", "sales"))
    stack = contextlib.ExitStack()
    deflate = [_deflate_client(stack, live_server, admin.enroll(f"d{i}", "ops")) for i in range(2)]
    try:
        conns = registered_connections(app, 4)
        keys = {c.id: wire.framing(c.ws) for c in conns}
        assert sorted(keys.values()) == [(), (), *[(("permessage-deflate", 15),)] * 2]
        message = wire.Broadcast(json.dumps({"type": "pong"}))
        sent = {c.id: message.bytes_for(c.ws, keys[c.id]) for c in conns}
        assert message.framings == 2
        by_key: dict = {}
        for conn_id, data in sent.items():
            by_key.setdefault(keys[conn_id], set()).add(id(data))
        assert all(len(ids) == 1 for ids in by_key.values()), "one bytes object per framing"
        plain_bytes = sent[next(i for i, k in keys.items() if k == ())]
        assert plain_bytes == b"\x81\x10" + b'{"type": "pong"}'  # an unmasked text frame
        for conn in conns:
            assert conn.send_broadcast(message)
        for client in plain:
            assert client.recv_type("pong") == {"type": "pong"}
        for ws in deflate:
            assert _recv_type(ws, "pong") == {"type": "pong"}
    finally:
        for client in plain:
            client.close()
        stack.close()


def test_a_closed_socket_is_skipped(app, admin, live_server):
    """Sending a broadcast to a socket that has gone returns False and does not raise."""
    admin.set_policy()
    client = WSClient(live_server.ws_url)
    client.hello(admin.enroll("gone", "sales"))
    (conn,) = registered_connections(app, 1)
    client.close()
    deadline = time.monotonic() + 5
    while conn.ws.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert conn.send_broadcast(wire.Broadcast('{"type": "pong"}')) is False
