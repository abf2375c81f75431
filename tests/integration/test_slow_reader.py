"""A client that stops reading its socket never delays a pause to the other clients of its process.

The hostile client connects first (so the fan-out meets it before the others), authenticates,
then sends frames the server answers and never reads: the answers fill its small receive buffer
and the server's send buffer, and the server's send of an answer blocks while holding that
socket's send lock. The fan-out must still reach every other client at once, and the hostile
socket must be reset and cleaned up once it has taken nothing for
`backend.connections.SEND_TIMEOUT` seconds. The guarantee is written in docs/reliability.md.
"""

from __future__ import annotations

import base64
import json
import os
import select
import socket
import struct
import time
from pathlib import Path

import pytest

from backend import connections
from backend.wire import Broadcast
from tests.helpers import WSClient, http, registered_connections
from tests.integration.processes import overt_env

NORMAL_CLIENTS = 4
FRAMES = 1000  # answers of ~9 MB in all


def _masked_text(payload: bytes) -> bytes:
    """A client's text frame (masked, as RFC 6455 requires; a zero key leaves bytes as they are)."""
    if len(payload) < 126:
        header = struct.pack("!BB", 0x81, 0x80 | len(payload))
    else:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, len(payload))
    return header + b"\0\0\0\0" + payload


def hostile_client(base: str, token: str) -> socket.socket:
    """Connect and authenticate on a raw socket with a tiny receive buffer; never read from it."""
    port = int(base.rsplit(":", 1)[1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small window
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:  # the upgrade's answer: the only bytes this client reads
        chunk = sock.recv(1)
        assert chunk, "the server closed the socket during the handshake"
        response += chunk
    assert response.startswith(b"HTTP/1.1 101"), response
    hello = {"type": "hello", "token": token, "client": {"version": "hostile"}}
    sock.sendall(_masked_text(json.dumps(hello).encode()))
    return sock


def flood(sock: socket.socket) -> None:
    """Send frames the server answers at length (an ack listing 100 rejected events, ~9 KB each).

    A `ping` frame would do too, but its 18-byte `pong` needs 200,000 of them to fill a send buffer
    that Linux lets grow to 4 MiB; these fill it with a few hundred.
    """
    frame = _masked_text(json.dumps({"type": "events", "seq": 1, "events": [{}] * 100}).encode())
    sock.sendall(frame * FRAMES)


def _send_queue(server_port: int, client_port: int) -> int:
    """Bytes the server has queued that the client has not taken (/proc/net/tcp: both are local)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, queues = fields[1], fields[2], fields[4]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            return int(queues.split(":")[0], 16)
    raise AssertionError("the server's end of the hostile socket is gone")


def wait_until_server_blocked(sock: socket.socket, timeout: float = 30.0) -> None:
    """Wait until the server's queue to the hostile socket stops growing with answers still due.

    Every frame's answer is due (FRAMES answers are far more than both kernel buffers hold), so
    a queue that stays the same size means the server is blocked sending to this client.
    """
    client_port, server_port = sock.getsockname()[1], sock.getpeername()[1]
    deadline = time.monotonic() + timeout
    last, same = -1, 0
    while time.monotonic() < deadline:
        queued = _send_queue(server_port, client_port)
        same = same + 1 if queued == last and queued > 64 * 1024 else 0
        if same >= 5:  # 0.5 s without a byte more
            return
        last = queued
        time.sleep(0.1)
    raise AssertionError("the server never blocked sending to the hostile client")


def wait_closed_by_server(sock: socket.socket, timeout: float) -> None:
    """Wait, without reading, until the server has closed (reset or shut down) the socket."""
    poller = select.poll()
    poller.register(sock, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if poller.poll(left * 1000):
            return
    raise AssertionError(f"the server did not close the hostile socket within {timeout:.0f} s")


def pause_reaches_everyone(base: str, admin_token: str, normal: list[WSClient]) -> None:
    """POST a pause; every normal client gets its frame within a couple of seconds."""
    status, body = http(
        "POST", base + "/admin/api/pause", admin_token, {"scope": "all", "reason": "slow reader"}
    )
    assert status in (200, 201), body
    started = time.monotonic()
    for client in normal:
        frame = client.recv_type("pause", timeout=max(0.1, started + 3 - time.monotonic()))
        assert frame["pause_id"] == body["pause_id"]


def wait_connected(base: str, admin_token: str, count: int, timeout: float = 10.0) -> None:
    """Wait until `overt status` counts `count` connected clients."""
    deadline = time.monotonic() + timeout
    while (
        connected := http("GET", base + "/admin/api/status", admin_token)[1]["connected_clients"]
    ) != count:
        assert time.monotonic() < deadline, f"{connected} clients connected, not {count}"
        time.sleep(0.1)


def run_scenario(base: str, admin_token: str, enroll, close_within: float) -> None:
    hostile = hostile_client(base, enroll("hostile"))
    normal: list[WSClient] = []
    try:
        flood(hostile)
        wait_until_server_blocked(hostile)
        for i in range(NORMAL_CLIENTS):
            client = WSClient(base.replace("http://", "ws://") + "/ws")
            normal.append(client)
            client.hello(enroll(f"normal{i}"))
        pause_reaches_everyone(base, admin_token, normal)
        wait_closed_by_server(hostile, close_within)
        wait_connected(base, admin_token, NORMAL_CLIENTS)  # the hostile one was cleaned up
    finally:
        hostile.close()
        for client in normal:
            client.close()


def test_slow_reader_does_not_stall_the_fan_out_threads(admin, live_server, monkeypatch):
    """The thread model (`overt up`, werkzeug): the pause reaches the others; the socket closes."""
    monkeypatch.setattr(connections, "SEND_TIMEOUT", 2.0)
    admin.set_policy()
    run_scenario(live_server.http_url, live_server.admin_token, admin.enroll, close_within=15)


@pytest.mark.slow
def test_slow_reader_does_not_stall_the_fan_out_gevent(settings, redis_conn, spawn):
    """`overt serve --workers 1` (gunicorn + gevent): the same, with the real send timeout.

    `redis_conn` empties Redis first: no pause of an earlier test is still in force.
    """
    proc = spawn(["serve", "--port", "0", "--workers", "1"], overt_env(settings), "serve")
    port = proc.wait_for(r"backend on http://127\.0\.0\.1:(\d+)").group(1)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while http("GET", base + "/healthz")[0] != 200:
        assert time.monotonic() < deadline, "the backend never became healthy"
        time.sleep(0.05)
    token = settings.admin_token
    status, body = http(
        "PUT",
        base + "/admin/api/policy",
        token,
        {
            "categories": ["navigation"],
            "allowed_origins": ["https://app.example.com"],
            "purpose": "Tests",
            "retention_days": 30,
        },
    )
    assert status == 200, body

    def enroll(employee: str) -> str:
        status, body = http(
            "POST", base + "/admin/api/employees", token, {"employee": employee, "team": "t"}
        )
        assert status in (200, 201), body
        return body["token"]

    run_scenario(base, token, enroll, close_within=connections.SEND_TIMEOUT + 15)


def _more_than_the_kernel_buffers() -> int:
    """Bytes no socket's send buffer holds (twice Linux's largest TCP send buffer)."""
    return 2 * int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])


def _read_frames(sock: socket.socket, count: int, timeout: float = 10.0) -> list[str]:
    """Read `count` unmasked text frames from the server (after the upgrade's answer)."""
    sock.settimeout(timeout)
    data, frames = b"", []
    while len(frames) < count:
        chunk = sock.recv(1 << 20)
        assert chunk, "the server closed the socket"
        data += chunk
        while len(data) >= 2:
            assert data[0] == 0x81, f"not a whole text frame: {data[:2]!r}"
            size, at = data[1] & 0x7F, 2
            if size == 126:
                size, at = int.from_bytes(data[2:4], "big"), 4
            elif size == 127:
                size, at = int.from_bytes(data[2:10], "big"), 10
            if len(data) < at + size:
                break
            frames.append(data[at : at + size].decode())
            data = data[at + size :]
    return frames


def test_a_frame_the_socket_cannot_take_whole_does_not_stall_the_fan_out(
    app, admin, live_server, monkeypatch
):
    """A socket with no room for a fan-out frame: the pause still reaches the others at once.

    Here the send lock is free and the fan-out's own send finds the socket full: the rest of
    the frame goes to the background, and the socket is reset when it takes nothing for
    SEND_TIMEOUT seconds.
    """
    monkeypatch.setattr(connections, "SEND_TIMEOUT", 2.0)
    admin.set_policy()
    hostile = hostile_client(live_server.http_url, admin.enroll("hostile"))
    normal: list[WSClient] = []
    try:
        (conn,) = registered_connections(app, 1)
        big = Broadcast(
            json.dumps({"type": "pong", "padding": "x" * _more_than_the_kernel_buffers()})
        )
        started = time.monotonic()
        assert conn.send_broadcast(big)  # more than both kernel buffers: the rest is left over
        assert time.monotonic() - started < 2, "the send waited on the socket"
        for i in range(NORMAL_CLIENTS):
            client = WSClient(live_server.ws_url)
            normal.append(client)
            client.hello(admin.enroll(f"normal{i}"))
        pause_reaches_everyone(live_server.http_url, live_server.admin_token, normal)
        wait_closed_by_server(hostile, 15)
        wait_connected(live_server.http_url, live_server.admin_token, NORMAL_CLIENTS)
    finally:
        hostile.close()
        for client in normal:
            client.close()


def test_a_slow_client_gets_every_frame_whole_and_in_order(app, admin, live_server):
    """Frames queued behind a frame a slow reader takes bit by bit arrive whole, in order."""
    admin.set_policy()
    slow = hostile_client(live_server.http_url, admin.enroll("slow"))
    try:
        (conn,) = registered_connections(app, 1)
        big = {"type": "pong", "padding": "x" * _more_than_the_kernel_buffers()}
        assert conn.send_broadcast(Broadcast(json.dumps(big)))
        assert conn.backlog is not None, "the big frame should not have fitted the socket"
        for n in range(50):
            assert conn.send_broadcast(Broadcast(json.dumps({"type": "pong", "n": n})))
        frames = [json.loads(f) for f in _read_frames(slow, 52)]  # welcome, big, 50 small
        assert frames[0]["type"] == "welcome"
        assert frames[1] == big
        assert frames[2:] == [{"type": "pong", "n": n} for n in range(50)]
    finally:
        slow.close()


def test_revoking_a_slow_reader_does_not_stall_the_listener(admin, live_server, monkeypatch):
    """Revoking the employee of a socket that does not read leaves the control listener free:
    a pause right after still reaches everyone at once, and the revoked socket is closed."""
    monkeypatch.setattr(connections, "SEND_TIMEOUT", 2.0)
    admin.set_policy()
    base, token = live_server.http_url, live_server.admin_token
    hostile = hostile_client(base, admin.enroll("hostile"))
    normal: list[WSClient] = []
    try:
        flood(hostile)
        wait_until_server_blocked(hostile)
        for i in range(NORMAL_CLIENTS):
            client = WSClient(live_server.ws_url)
            normal.append(client)
            client.hello(admin.enroll(f"normal{i}"))
        status, body = http("POST", base + "/admin/api/employees/hostile/revoke", token, {})
        assert status == 200, body
        pause_reaches_everyone(base, token, normal)
        wait_closed_by_server(hostile, 15)
        wait_connected(base, token, NORMAL_CLIENTS)
    finally:
        hostile.close()
        for client in normal:
            client.close()
