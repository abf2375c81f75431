"""Faults as standing tests: kill -9 of a worker mid-take, of Redis (AOF restart) and of a backend
while clients send; an unwritable data dir when sealing. Each asserts acknowledged == sealed, once.

The mid-seal kill of a worker is in test_scale_out.py.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import simple_websocket

from backend.core import keys
from backend.embedded_redis import EmbeddedRedis
from tests.conftest import WORK_ORIGIN, sealed_records
from tests.helpers import http, make_event
from tests.integration.processes import overt_env, run, start_backend

pytestmark = pytest.mark.slow

POLICY = {
    "categories": ["clicks"],
    "purpose": "p",
    "retention_days": 7,
    "allowed_origins": [WORK_ORIGIN],
}


class ResendingClient(threading.Thread):
    """A client as the extension behaves: keep each frame until acked; reconnect and resend."""

    def __init__(self, urls: list[str], token: str, frames: int, per_frame: int = 20):
        super().__init__(daemon=True)
        self.urls, self.token = urls, token
        self.frames, self.per_frame = frames, per_frame
        self.acked: list[str] = []
        self.ws = None
        self.error: BaseException | None = None

    def connect(self) -> None:
        for url in self.urls:  # the first backend that answers
            if not listening(url):  # a refused connect leaks simple_websocket's socket
                continue
            ws = None
            try:
                ws = simple_websocket.Client.connect(url)
                ws.send(json.dumps({"type": "hello", "token": self.token}))
                reply = json.loads(ws.receive(timeout=5) or "{}")
                if reply.get("type") == "welcome":
                    self.ws = ws
                    return
            except Exception:  # a dead backend or Redis: try the next, then again
                pass
            if ws is not None:
                ws.close()
        raise ConnectionError("no backend")

    def drop(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                self.ws.close()
        self.ws = None

    def deliver(self, seq: int, events: list[dict]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.ws is None:
                    self.connect()
                self.ws.send(json.dumps({"type": "events", "seq": seq, "events": events}))
                while True:
                    reply = json.loads(self.ws.receive(timeout=5) or '{"type": "timeout"}')
                    if reply.get("type") == "ack" and reply.get("seq") == seq:
                        assert reply["accepted"] == len(events), reply
                        self.acked += [e["id"] for e in events]
                        return
                    if reply.get("type") in ("error", "timeout"):
                        break  # unavailable or lost: send the frame again
            except Exception:
                self.drop()
            time.sleep(0.1)
        raise AssertionError(f"frame {seq} was never acknowledged")

    def run(self) -> None:
        try:
            for seq in range(self.frames):
                self.deliver(seq, [make_event() for _ in range(self.per_frame)])
        except BaseException as err:  # reported by the test
            self.error = err
        finally:
            self.drop()


def listening(ws_url: str) -> bool:
    """Return whether something accepts connections at the URL's port."""
    port = int(ws_url.rsplit(":", 1)[1].split("/", 1)[0])
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def setup_employees(base: str, admin_token: str, n: int) -> list[str]:
    """Set the policy; enroll `n` consenting employees; return their device tokens."""
    assert http("PUT", base + "/admin/api/policy", admin_token, POLICY)[0] == 200
    tokens = []
    for i in range(n):
        body = {"employee": f"e{i}"}
        token = http("POST", base + "/admin/api/employees", admin_token, body)[1]["token"]
        assert http("PUT", base + "/me/api/consent", token, {"categories": {"clicks": True}})[0]
        tokens.append(token)
    return tokens


def seal_everything(settings, env, expected: int) -> list[str]:
    """Run burst workers until `expected` events are sealed (or a minute passes)."""
    env = {**env, "OVERT_BATCH_MAX_AGE": "0"}
    deadline = time.monotonic() + 90
    while len(sealed_records(settings.data_dir)) < expected and time.monotonic() < deadline:
        assert run(["worker", "--burst"], env, timeout=120).returncode == 0
        time.sleep(0.5)  # an orphaned take is recovered after ORPHAN_AFTER_MS
    return [r["id"] for r in sealed_records(settings.data_dir)]


def assert_exactly_once(sealed: list[str], acked: list[str]) -> None:
    assert len(sealed) == len(set(sealed)), "an event was sealed twice"
    assert set(acked) <= set(sealed), f"{len(set(acked) - set(sealed))} acknowledged event(s) lost"


def test_worker_killed_mid_take(settings, redis_conn, spawn):
    """SIGKILL an `overt worker` while it holds a take; another one seals everything once."""
    from backend.core.employees import enroll
    from backend.core.intake import Intake

    env = overt_env(settings, OVERT_BATCH_SIZE="1000", OVERT_BATCH_MAX_AGE="3600")
    _, ident = enroll(redis_conn, "alice", "sales")
    redis_conn.hset(keys.key(keys.KEY_CONSENT, employee="alice"), "clicks", 0)
    intake = Intake(redis_conn, lambda: None)
    sent = []
    for seq in range(60):
        frame = [make_event() for _ in range(100)]
        assert intake.accept(ident, seq, frame, [WORK_ORIGIN])["accepted"] == 100
        sent += [e["id"] for e in frame]
    from workers.queue import enqueue_drain

    enqueue_drain(redis_conn, 1000, 3600)
    victim = spawn(["worker"], env, "victim")
    deadline = time.monotonic() + 30
    while redis_conn.zcard(keys.KEY_PROCESSING_INDEX) == 0:  # a take is in flight
        assert time.monotonic() < deadline, "the worker never took anything"
        time.sleep(0.001)
    victim.stop(signal.SIGKILL)
    left = redis_conn.llen(keys.KEY_INCOMING) + redis_conn.zcard(keys.KEY_PROCESSING_INDEX)
    assert left > 0, "killed too late to prove much"
    assert_exactly_once(seal_everything(settings, env, len(sent)), sent)
    assert redis_conn.zcard(keys.KEY_PROCESSING_INDEX) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_redis_killed_and_restarted_from_its_aof(settings, spawn, tmp_path):
    """kill -9 of Redis while clients send; after its AOF restart every acked event is sealed."""
    server = EmbeddedRedis(tmp_path / "own", port=free_port()).start()
    try:
        env = overt_env(settings, OVERT_REDIS_URL=server.url, OVERT_BATCH_MAX_AGE="3600")
        base = start_backend(spawn, env, "backend")
        tokens = setup_employees(base, settings.admin_token, 8)
        ws = base.replace("http", "ws") + "/ws"
        clients = [ResendingClient([ws], t, frames=30) for t in tokens]
        for c in clients:
            c.start()
        while sum(len(c.acked) for c in clients) < 1000:
            time.sleep(0.01)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        time.sleep(1.0)  # clients meet a dead store: errors, closes, retries
        server = EmbeddedRedis(tmp_path / "own", port=server.port).start()
        for c in clients:
            c.join(timeout=120)
            assert c.error is None, c.error
        acked = [i for c in clients for i in c.acked]
        assert_exactly_once(seal_everything(settings, env, len(set(acked))), acked)
    finally:
        server.stop()


def test_backend_killed_clients_reconnect_and_resend(settings, redis_conn, spawn):
    """kill -9 of one backend while clients send; they resend to the other; sealed once each."""
    env = overt_env(settings, OVERT_BATCH_MAX_AGE="3600")
    victim = spawn(["serve", "--port", "0"], env, "a")
    base_a = "http://127.0.0.1:" + victim.wait_for(r"backend on http://127\.0\.0\.1:(\d+)").group(1)
    base_b = start_backend(spawn, env, "b")
    tokens = setup_employees(base_a, settings.admin_token, 8)
    urls = [base_a.replace("http", "ws") + "/ws", base_b.replace("http", "ws") + "/ws"]
    clients = [ResendingClient(urls, t, frames=30) for t in tokens]
    for c in clients:
        c.start()
    while sum(len(c.acked) for c in clients) < 1000:
        time.sleep(0.01)
    victim.stop(signal.SIGKILL)
    for c in clients:
        c.join(timeout=120)
        assert c.error is None, c.error
    acked = [i for c in clients for i in c.acked]
    assert_exactly_once(seal_everything(settings, env, len(set(acked))), acked)


SEAL_WITH_FILE_LIMIT = """
import resource, signal, sys
from backend.core.db import connect
from workers.batches import seal_due
from pathlib import Path
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))
seal_due(connect(sys.argv[1]), Path(sys.argv[2]), 1000, 0, force=True)
"""


def test_unwritable_data_dir_when_sealing(settings, redis_conn, run_workers):
    """Sealing onto an unwritable data dir fails visibly; nothing is lost or half-written."""
    from backend.core.employees import enroll
    from backend.core.intake import Intake
    from workers.queue import get_queue
    from workers.stage import stage_once

    _, ident = enroll(redis_conn, "alice", "sales")
    redis_conn.hset(keys.key(keys.KEY_CONSENT, employee="alice"), "clicks", 0)
    events = [make_event() for _ in range(50)]
    assert (
        Intake(redis_conn, lambda: None).accept(ident, 1, events, [WORK_ORIGIN])["accepted"] == 50
    )
    stage_once(redis_conn, settings.secret)

    # A disk that fills up mid-write: the shard write fails, its temp file is removed.
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SEAL_WITH_FILE_LIMIT,
            settings.redis_url,
            str(settings.datasets_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "File too large" in done.stderr, done.stderr[-2000:]
    assert not [p for p in settings.datasets_dir.rglob("*") if p.is_file()], "half-written file"

    # A data dir that is not a directory at all: the RQ job fails, visibly, in the failed registry.
    settings.datasets_dir.rename(settings.data_dir / "moved")
    settings.datasets_dir.write_text("not a directory")
    queue = get_queue(redis_conn)
    job = queue.enqueue("workers.jobs.tick", force=True)
    from rq import SimpleWorker

    SimpleWorker([queue], connection=redis_conn, serializer=queue.serializer).work(
        burst=True, logging_level="CRITICAL"
    )
    assert job.get_status(refresh=True) == "failed"
    held = redis_conn.llen(keys.KEY_STAGING) + sum(
        redis_conn.llen(keys.key(keys.KEY_SEALING, batch=b.decode()))
        for b in redis_conn.hkeys(keys.KEY_SEALING_INDEX)
    )
    assert held == 50, "staged events must stay until they are sealed"

    settings.datasets_dir.unlink()  # the operator fixes the disk; the next run seals all, once
    queue.failed_job_registry.remove(job)
    ids = [r["id"] for r in run_workers()]
    assert sorted(ids) == sorted(e["id"] for e in events)
    assert not list(settings.datasets_dir.rglob(".*tmp*"))
