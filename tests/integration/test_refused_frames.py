"""A refused oversized frame frees its connection's thread (or greenlet) and socket at once."""

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import simple_websocket

from backend.core.config import MAX_FRAME_BYTES
from backend.core.employees import enroll
from tests.helpers import http
from tests.integration.processes import OVERT, overt_env, usage

pytestmark = pytest.mark.slow

CONNECTIONS = 200
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
ROOT = Path(__file__).resolve().parents[2]  # gunicorn imports `backend` from here


@pytest.fixture(params=["threads", "gevent"])
def server(request, settings, redis_conn, tmp_path):
    """`overt serve` (werkzeug threads) or gunicorn with one gevent worker.

    Yields (model, pid, port, base URL).
    """
    env = overt_env(settings)
    with socket_port() as port:
        pass  # free again: the server binds it
    if request.param == "threads":
        cmd = [OVERT, "serve", "--port", str(port)]
    else:
        cmd = [GUNICORN, "-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{port}"]
        cmd += ["--no-control-socket", "--log-level", "warning", "backend:create_app()"]
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not _healthy(base):
        assert proc.poll() is None, (tmp_path / "server.log").read_text()
        assert time.monotonic() < deadline, "the server never became healthy"
        time.sleep(0.1)
    yield request.param, proc.pid, port, base
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def _healthy(base: str) -> bool:
    try:
        return http("GET", base + "/healthz")[0] == 200
    except OSError:
        return False


@contextlib.contextmanager
def socket_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def refuse_oversized(ws_url: str, token: str, n: int) -> int:
    """Open `n` sockets, say hello on each, then send each a message over the limit.

    Return how many the server closed with 1009.
    """
    clients = []
    for _ in range(n):
        ws = simple_websocket.Client.connect(ws_url)
        ws.send(json.dumps({"type": "hello", "token": token, "client": {"version": "t"}}))
        assert '"welcome"' in ws.receive(timeout=10)
        clients.append(ws)
    big = "x" * (MAX_FRAME_BYTES + 1)

    def send_big(ws):
        with contextlib.suppress(Exception):  # the server may close while this still sends
            ws.send(big)

    senders = [threading.Thread(target=send_big, args=(ws,)) for ws in clients]
    for t in senders:
        t.start()
    for t in senders:
        t.join(30)
    refused = 0
    for ws in clients:
        with contextlib.suppress(simple_websocket.ConnectionClosed):
            while ws.receive(timeout=10) is not None:
                pass
        refused += ws.close_reason == 1009
        with contextlib.suppress(Exception):
            ws.close()
    return refused


def test_refused_frames_free_threads_sockets_and_memory(server, redis_conn, settings):
    """200 refused messages: within 2 s no thread, greenlet or socket is held; RSS comes back."""
    model, pid, port, base = server
    token, _ = enroll(redis_conn, "alice", "sales")
    ws_url = base.replace("http", "ws") + "/ws"
    cold = usage(pid, port)
    # A first round brings the allocator to its high-water mark (glibc keeps freed heap for
    # reuse); the second must then free all it takes: a leak would grow RSS round after round.
    refuse_oversized(ws_url, token, CONNECTIONS)
    time.sleep(2)
    before = usage(pid, port)
    print(f"{model}: RSS {cold['rss_kib']} KiB cold, {before['rss_kib']} KiB after a first round")

    assert refuse_oversized(ws_url, token, CONNECTIONS) == CONNECTIONS
    refused_at = time.monotonic()
    while True:
        held = http("GET", base + "/admin/api/status", settings.admin_token)[1]["connected_clients"]
        after = usage(pid, port)
        freed = after["threads"] <= before["threads"] and after["client_sockets"] == 0 and held == 0
        if freed or time.monotonic() - refused_at > 2.0:
            break
        time.sleep(0.05)
    print(f"{model}: before {before}, 2 s after {CONNECTIONS} refused frames {after}, held {held}")
    assert held == 0, f"{held} handler(s) still running"
    assert after["threads"] <= before["threads"], (before, after)
    assert after["client_sockets"] == 0, (before, after)
    deadline = time.monotonic() + 10
    while after["rss_kib"] > before["rss_kib"] * 1.1 and time.monotonic() < deadline:
        time.sleep(0.2)
        after = usage(pid, port)
    print(f"{model}: RSS {before['rss_kib']} KiB before, {after['rss_kib']} KiB after")
    assert after["rss_kib"] <= before["rss_kib"] * 1.1, (before, after)
