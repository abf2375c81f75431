"""Workers outlive Redis outages: killed and restarted on its AOF, nothing is lost or doubled."""

import threading
import time

import pytest
import redis

from backend.core.db import connect
from backend.core.employees import enroll
from backend.core.intake import Intake
from backend.embedded_redis import EmbeddedRedis
from tests.conftest import WORK_ORIGIN, sealed_records
from tests.helpers import make_event
from tests.integration.processes import overt_env
from workers.queue import enqueue_drain

pytestmark = pytest.mark.slow

OUTAGES = 6
DOWN_SECONDS = 2.0


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, which the test kills and restarts."""
    holder = {"dir": tmp_path / "own", "server": EmbeddedRedis(tmp_path / "own").start()}
    yield holder
    holder["server"].stop()


class Producer:
    """Sends 50-event frames as a client would: a frame not acknowledged is sent again."""

    def __init__(self, r: redis.Redis, ident):
        self.intake = Intake(r, lambda: enqueue_drain(r))
        self.ident = ident
        self.acked: list[str] = []
        self.refused = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        seq = 0
        while not self.stop.is_set():
            frame = [make_event() for _ in range(50)]
            while True:  # resend until acknowledged, as the extension's outbox does
                try:
                    ack = self.intake.accept(self.ident, seq, frame, [WORK_ORIGIN])
                    break
                except redis.RedisError:
                    self.refused += 1
                    time.sleep(0.05)
            assert ack["accepted"] == len(frame), ack
            self.acked += [e["id"] for e in frame]
            seq += 1
            time.sleep(0.02)


def test_two_workers_ride_out_six_redis_kills(settings, own_redis, spawn):
    """Kill Redis 6 times under load; both workers live on and every acked event is sealed once."""
    url = own_redis["server"].url
    r = connect(url)
    _, ident = enroll(r, "alice", "sales")
    r.hset("overt:consent:alice", "clicks", 0)
    env = overt_env(
        settings, OVERT_REDIS_URL=url, OVERT_BATCH_SIZE="200", OVERT_BATCH_MAX_AGE="0.5"
    )
    workers = [spawn(["worker"], env, f"worker{i}") for i in range(2)]
    producer = Producer(r, ident)
    producer.thread.start()

    for n in range(OUTAGES):
        time.sleep(1.5)  # events flow, workers drain and seal
        own_redis["server"].process.kill()  # SIGKILL: no shutdown, no final AOF rewrite
        own_redis["server"].process.wait()
        time.sleep(DOWN_SECONDS)
        own_redis["server"] = EmbeddedRedis(own_redis["dir"]).start()
        for w in workers:
            assert w.p.poll() is None, f"outage {n + 1}: a worker died: {w.log.read_text()[-3000:]}"
    time.sleep(1.5)
    producer.stop.set()
    producer.thread.join(30)
    assert producer.refused > 0, "no frame met an outage: the test proved nothing"

    sent = producer.acked
    deadline = time.monotonic() + 120
    while len(sealed_records(settings.data_dir)) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(1.5)  # a duplicate would be sealed by now
    ids = [rec["id"] for rec in sealed_records(settings.data_dir)]
    print(f"{len(sent)} events acknowledged, {producer.refused} sends refused during outages")
    assert len(ids) == len(set(ids)), "an event was sealed twice"
    assert sorted(ids) == sorted(sent), f"{len(set(sent) - set(ids))} acknowledged event(s) lost"
    for w in workers:
        assert w.p.poll() is None, w.log.read_text()[-3000:]
        text = w.log.read_text()
        # One line per outage at most (a short one may pass unseen), never one per retry.
        assert 1 <= text.count("Redis unreachable") <= OUTAGES, text[-3000:]
        assert "could not connect to Redis" not in text
