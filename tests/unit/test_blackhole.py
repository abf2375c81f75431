"""tests/blackhole.py: the relay is silent while cut (no data, no FIN, no RST), then delivers."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.blackhole import BlackholeProxy


class Upstream:
    """A TCP server on 127.0.0.1 that hands each accepted socket to the test."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.ready = threading.Semaphore(0)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.accepted.append(conn)
            self.ready.release()

    def next_socket(self, timeout: float = 5) -> socket.socket:
        """The next connection that reached the upstream."""
        assert self.ready.acquire(timeout=timeout), "nothing reached the upstream"
        return self.accepted[-1]

    def close(self) -> None:
        self.server.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.close()


@pytest.fixture
def proxy(upstream):
    relay = BlackholeProxy(upstream.port).start()
    yield relay
    relay.close()


def silent(sock: socket.socket, seconds: float = 0.3) -> bool:
    """Whether nothing (no byte, no end of stream, no reset) arrives within `seconds`."""
    sock.settimeout(seconds)
    try:
        sock.recv(1)
    except TimeoutError:
        return True
    return False


def test_relays_both_ways(proxy, upstream):
    """With the link up, bytes flow both ways and an end of stream is passed on."""
    with socket.create_connection(("127.0.0.1", proxy.port)) as client:
        server_side = upstream.next_socket()
        client.sendall(b"hello")
        assert server_side.recv(5) == b"hello"
        server_side.sendall(b"welcome")
        assert client.recv(7) == b"welcome"
        client.shutdown(socket.SHUT_WR)
        assert server_side.recv(1) == b""


def test_a_cut_is_silent_both_ways_and_holds_everything(proxy, upstream):
    """During a cut neither end hears anything, a close included; after it, all arrives in order."""
    with socket.create_connection(("127.0.0.1", proxy.port)) as client:
        server_side = upstream.next_socket()
        proxy.cut()
        client.sendall(b"one")
        client.sendall(b"two")
        server_side.sendall(b"pong")
        client.shutdown(socket.SHUT_WR)
        assert silent(server_side) and silent(client)
        proxy.restore()
        server_side.settimeout(5)
        received = b""
        while chunk := server_side.recv(16):
            received += chunk
        assert received == b"onetwo"  # then the end of stream, held like the bytes
        client.settimeout(5)
        assert client.recv(4) == b"pong"
    assert proxy.held_bytes > 0


def test_a_connection_opened_during_a_cut_hangs_until_the_restore(proxy, upstream):
    """A new connection reaches the upstream only after the restore, with what was sent."""
    proxy.cut()
    with socket.create_connection(("127.0.0.1", proxy.port)) as client:
        client.sendall(b"GET /ws")
        assert silent(client)
        with pytest.raises(AssertionError):
            upstream.next_socket(timeout=0.3)
        proxy.restore()
        server_side = upstream.next_socket()
        server_side.settimeout(5)
        assert server_side.recv(7) == b"GET /ws"
