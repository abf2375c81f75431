"""A refused oversized frame frees its connection's thread (or greenlet) and socket at once,
under both serving models: `overt up` (werkzeug threads) and `overt serve` (gunicorn gevent)."""

import contextlib
import json
import threading
import time

import pytest
import simple_websocket

from backend.core.config import MAX_FRAME_BYTES
from backend.core.employees import enroll
from tests.helpers import http
from tests.integration.processes import SERVING_MODELS, start_server, usage

pytestmark = pytest.mark.slow

CONNECTIONS = 200


@pytest.fixture(params=["up", "serve"])
def server(request, settings, redis_conn, spawn):
    """`overt up` (werkzeug, a thread per socket) or `overt serve` (gunicorn, one gevent worker).

    Yields (serving model, pid of the serving process, port, base URL).
    """
    pid, port = start_server(spawn, settings, request.param)
    return SERVING_MODELS[request.param], pid, port, f"http://127.0.0.1:{port}"


def refuse_oversized(ws_url: str, token: str, n: int, while_open=None) -> int:
    """Open `n` sockets, say hello on each, then send each a message over the limit.

    `while_open()` is called once all `n` are open. Return how many the server closed with 1009.
    """
    clients = []
    for _ in range(n):
        ws = simple_websocket.Client.connect(ws_url)
        ws.send(json.dumps({"type": "hello", "token": token, "client": {"version": "t"}}))
        assert '"welcome"' in ws.receive(timeout=10)
        clients.append(ws)
    if while_open is not None:
        while_open()
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
    cold = usage(pid, port, children=False)
    # A first round brings the allocator to its high-water mark (glibc keeps freed heap for
    # reuse); the second must then free all it takes: a leak would grow RSS round after round.
    refuse_oversized(ws_url, token, CONNECTIONS)
    time.sleep(2)
    before = usage(pid, port, children=False)
    print(f"{model}: RSS {cold['rss_kib']} KiB cold, {before['rss_kib']} KiB after a first round")

    held_open: dict = {}

    def opened() -> None:
        held_open.update(usage(pid, port, children=False))

    assert refuse_oversized(ws_url, token, CONNECTIONS, opened) == CONNECTIONS
    # The model is the one named: werkzeug holds an OS thread per open socket, gevent none.
    if model == SERVING_MODELS["up"]:
        assert held_open["threads"] >= before["threads"] + CONNECTIONS, (model, held_open)
    else:
        assert held_open["threads"] <= before["threads"], (model, held_open)
    refused_at = time.monotonic()
    while True:
        held = http("GET", base + "/admin/api/status", settings.admin_token)[1]["connected_clients"]
        after = usage(pid, port, children=False)
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
        after = usage(pid, port, children=False)
    print(f"{model}: RSS {before['rss_kib']} KiB before, {after['rss_kib']} KiB after")
    assert after["rss_kib"] <= before["rss_kib"] * 1.1, (before, after)
