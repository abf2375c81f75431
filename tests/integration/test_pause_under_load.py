"""A pause under load: from the moment it is stored, no event is accepted, on any backend.

Clients on two `overt serve` processes send frames back to back while the admin pauses through
one of them. The intake script checks the pause in the same atomic step that queues a frame
(backend/core/intake.py), so the queue must not grow by one event once the pause request has
returned, and every frame a client sends after its pause frame arrived is refused as `paused`.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
import simple_websocket

from backend.core import keys
from tests.helpers import http, make_event
from tests.integration.processes import overt_env, start_backend
from tests.integration.test_faults import setup_employees

pytestmark = pytest.mark.slow

CLIENTS = 8
PER_FRAME = 20


class Sender(threading.Thread):
    """Send events frames back to back; note each ack and whether the pause had arrived."""

    def __init__(self, url: str, token: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.url, self.token, self.stop = url, token, stop
        self.paused_at: float | None = None  # when the pause frame arrived
        self.acks: list[tuple[bool, dict]] = []  # (sent after the pause arrived, ack)
        self.error: BaseException | None = None

    def receive(self, ws) -> dict:
        frame = json.loads(ws.receive(timeout=10) or '{"type": "timeout"}')
        if frame["type"] == "pause" and self.paused_at is None:
            self.paused_at = time.monotonic()
        return frame

    def run(self) -> None:
        ws = simple_websocket.Client.connect(self.url)
        try:
            ws.send(json.dumps({"type": "hello", "token": self.token}))
            assert self.receive(ws)["type"] == "welcome"
            seq = 0
            while not self.stop.is_set():
                seq += 1
                after_pause = self.paused_at is not None
                events = [make_event() for _ in range(PER_FRAME)]
                ws.send(json.dumps({"type": "events", "seq": seq, "events": events}))
                while (frame := self.receive(ws))["type"] != "ack":
                    assert frame["type"] in ("pause", "pong"), frame
                self.acks.append((after_pause, frame))
        except BaseException as err:  # reported by the test
            self.error = err
        finally:
            ws.close()

    def accepted(self) -> int:
        return sum(ack["accepted"] for _, ack in self.acks)


def test_no_event_is_accepted_once_a_pause_is_stored(settings, redis_conn, spawn):
    """8 clients on 2 backends send without pause; after the pause returns, the queue is frozen."""
    env = overt_env(settings, OVERT_BATCH_MAX_AGE="3600")
    bases = [start_backend(spawn, env, "a"), start_backend(spawn, env, "b")]
    tokens = setup_employees(bases[0], settings.admin_token, CLIENTS)
    stop = threading.Event()
    senders = [
        Sender(bases[i % 2].replace("http", "ws") + "/ws", token, stop)
        for i, token in enumerate(tokens)
    ]
    for sender in senders:
        sender.start()
    deadline = time.monotonic() + 30
    while sum(len(s.acks) for s in senders) < 50 * CLIENTS:  # under load before the pause
        assert time.monotonic() < deadline, [s.error for s in senders]
        time.sleep(0.05)

    body = {"scope": "all", "reason": "under load"}
    status, _ = http("POST", bases[1] + "/admin/api/pause", settings.admin_token, body)
    assert status == 201
    queued_at_pause = redis_conn.llen(keys.KEY_INCOMING)
    deadline = time.monotonic() + 10
    while not all(s.paused_at and s.acks and s.acks[-1][0] for s in senders):
        assert time.monotonic() < deadline, "a client never got the pause or never sent after it"
        time.sleep(0.05)
    time.sleep(1.0)  # clients keep sending after the pause
    stop.set()
    for sender in senders:
        sender.join(timeout=20)
        assert sender.error is None, sender.error

    queued = redis_conn.llen(keys.KEY_INCOMING)
    assert queued == queued_at_pause, (
        f"{queued - queued_at_pause} event(s) accepted after the pause"
    )
    assert queued == sum(s.accepted() for s in senders), "acks and the queue disagree"
    after = [ack for s in senders for late, ack in s.acks if late]
    assert after and all(ack["accepted"] == 0 for ack in after)
    assert all(r["code"] == "paused" for ack in after for r in ack["rejected"])
    assert all(len(ack["rejected"]) == PER_FRAME for ack in after)
