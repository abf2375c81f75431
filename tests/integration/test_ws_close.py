"""After its close frame the server hangs up at once, under `overt up` and `overt serve`.

Clients here are raw sockets that keep their end open and, unless told to, never answer the
close: whatever the client does, the server must send its close frame, nothing after it, then
end the TCP connection, and give back the thread (or greenlet) and socket it held.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import struct
import time

import pytest

from backend.core import keys
from backend.core.config import MAX_FRAME_BYTES
from tests.integration.processes import start_server, usage

pytestmark = pytest.mark.slow

HUNG_UP_WITHIN = 5.0  # seconds; the server takes milliseconds, a leak takes minutes
CLIENTS = 10


@pytest.fixture(params=["up", "serve"])
def server(request, settings, spawn, employee):
    """`overt up` (werkzeug, a thread per socket) or `overt serve` (gunicorn, one gevent worker).

    Yields (the serving process id, port, a device token), warmed up by one session.
    """
    pid, port = start_server(spawn, settings, request.param)
    token = employee("alice", "sales")
    warm_up = RawClient(port)
    assert warm_up.hello(token)["type"] == "welcome"
    warm_up.close()
    yield pid, port, token


def frame(payload: bytes, opcode: int = 1) -> bytes:
    """Return one masked, final client frame (1 text, 8 close)."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    mask = os.urandom(4)
    repeated = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")
    return head + mask + masked


class RawClient:
    """A WebSocket client on a bare socket: it does only what a test tells it to."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        assert data, "the server hung up before its close frame"
        return data

    def send_frame(self, payload: bytes, opcode: int = 1) -> None:
        """Send one masked, final frame (1 text, 8 close)."""
        # The server may refuse a message before it has all of it.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.sock.sendall(frame(payload, opcode))

    def send_close(self, code: int = 1000) -> None:
        self.send_frame(struct.pack("!H", code), opcode=8)

    def read_frame(self) -> tuple[int, bytes]:
        """Return the next server frame's (opcode, payload)."""
        while True:
            if len(self.buffer) >= 2:
                opcode, n = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F
                start = 2 + {126: 2, 127: 8}.get(n, 0)
                if len(self.buffer) >= start:
                    if n >= 126:
                        n = int.from_bytes(self.buffer[2:start], "big")
                    if len(self.buffer) >= start + n:
                        payload = self.buffer[start : start + n]
                        self.buffer = self.buffer[start + n :]
                        return opcode, payload
            self.buffer += self._recv()

    def hello(self, token: str) -> dict:
        self.send_frame(json.dumps({"type": "hello", "token": token}).encode())
        return json.loads(self.read_frame()[1])

    def read_close(self) -> int:
        """Skip data frames up to the server's close frame; return its code."""
        while True:
            opcode, payload = self.read_frame()
            if opcode == 8:
                return struct.unpack("!H", payload[:2])[0]

    def hung_up_within(self, seconds: float) -> bool:
        """Whether the server ends the connection within `seconds`, sending nothing more."""
        assert self.buffer == b"", f"bytes after the close frame: {self.buffer[:80]!r}"
        self.sock.settimeout(seconds)
        try:
            extra = self.sock.recv(65536)
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True  # closed with the rest of a refused message unread: a reset
        assert extra == b"", f"bytes after the close frame: {extra[:80]!r}"
        return True

    def close(self) -> None:
        self.sock.close()


def quiet_usage(pid: int, port: int) -> dict:
    """Return the server's usage once it holds no client socket (the warm-up's is gone)."""
    deadline = time.monotonic() + HUNG_UP_WITHIN
    while usage(pid, port, children=False)["client_sockets"] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # its threads end just after its socket closes
    return usage(pid, port, children=False)


def settled(pid: int, port: int, baseline: dict) -> dict:
    """Wait until the server holds no client socket and no more threads than `baseline`."""
    deadline = time.monotonic() + HUNG_UP_WITHIN
    while True:
        now = usage(pid, port, children=False)
        if now["client_sockets"] == 0 and now["threads"] <= baseline["threads"]:
            return now
        if time.monotonic() > deadline:
            return now
        time.sleep(0.05)


def assert_hung_up_and_freed(clients: list, pid: int, port: int, baseline: dict) -> None:
    """Each client sees EOF within the bound, and the server's sockets and threads are back to
    `baseline`; the clients are closed in any case."""
    try:
        assert all(client.hung_up_within(HUNG_UP_WITHIN) for client in clients)
        after = settled(pid, port, baseline)
        assert after["client_sockets"] == 0, (baseline, after)
        assert after["threads"] <= baseline["threads"], (baseline, after)
    finally:
        for client in clients:
            client.close()


@pytest.mark.parametrize("size", [MAX_FRAME_BYTES + 1, 2 * MAX_FRAME_BYTES])
@pytest.mark.parametrize("answer", [False, True], ids=["silent", "answers_close"])
def test_refused_message_closes_1009_then_hangs_up(server, size, answer):
    """Over the limit: close 1009, then EOF, whether or not the client answers; nothing is held.

    A message of 2 MiB leaves the rest of it unread when the server refuses it; an answering
    client sends its close reply: before the fix werkzeug read on until the client hung up.
    """
    pid, port, token = server
    baseline = quiet_usage(pid, port)
    clients = [RawClient(port) for _ in range(CLIENTS)]
    for client in clients:
        assert client.hello(token)["type"] == "welcome"
        client.send_frame(b"x" * size)
        assert client.read_close() == 1009
        if answer:
            client.send_close(1009)
    assert_hung_up_and_freed(clients, pid, port, baseline)


@pytest.mark.parametrize("how", ["bad_token", "client_close"])
def test_every_close_hangs_up_and_frees_the_connection(server, how):
    """A close the server decides or one the client starts: close frame, nothing after, EOF.

    The clients keep their sockets open: before the fix `overt up` kept a reading thread per
    such socket until the client hung up, and wrote an HTTP response after the close frame.
    """
    pid, port, token = server
    baseline = quiet_usage(pid, port)
    clients = [RawClient(port) for _ in range(CLIENTS)]
    for client in clients:
        if how == "bad_token":
            assert client.hello("ovt_wrong")["code"] == "bad_token"
            assert client.read_close() == 1008
        else:
            assert client.hello(token)["type"] == "welcome"
            client.send_close(1000)
            assert client.read_close() == 1000
    assert_hung_up_and_freed(clients, pid, port, baseline)


def test_a_client_gone_before_its_welcome_leaves_no_device(server, redis_conn):
    """A client that closes right after its hello (as the extension does when its configuration
    changes) is no connected device: before the fix the server kept it registered, listed in
    the console and counted for pauses, for as long as the process lived."""
    _, port, token = server
    for _ in range(CLIENTS):
        client = RawClient(port)
        hello = json.dumps({"type": "hello", "token": token}).encode()
        # Both in one write: the server reads the close while it still works on the hello.
        client.sock.sendall(frame(hello) + frame(struct.pack("!H", 1000), opcode=8))
        assert client.read_close() == 1000
        client.close()
    # A handler may take up a hello after its client's close was answered (the reader answers
    # it): its device is registered for a moment, then removed. Empty for a whole second is done.
    deadline, empty_since = time.monotonic() + HUNG_UP_WITHIN, None
    while time.monotonic() < deadline:
        if redis_conn.hlen(keys.KEY_CONNECTION_INFO):
            empty_since = None
        elif empty_since is None:
            empty_since = time.monotonic()
        elif time.monotonic() - empty_since >= 1.0:
            break
        time.sleep(0.05)
    assert redis_conn.hgetall(keys.KEY_CONNECTION_INFO) == {}
    assert redis_conn.zcard(keys.KEY_CONNECTIONS) == 0
