"""Two backend processes and two worker processes on one Redis, as in production."""

import signal
import time

import pytest

from backend.core.employees import enroll
from backend.core.intake import Intake
from tests.conftest import WORK_ORIGIN, sealed_records
from tests.helpers import WSClient, http, make_event
from tests.integration.processes import overt_env, run, start_backend

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(settings, redis_conn, spawn):
    """Backends A and B (`overt serve`) and two `overt worker` processes."""
    env = overt_env(settings, OVERT_BATCH_SIZE="150", OVERT_BATCH_MAX_AGE="0.5")
    base_a = start_backend(spawn, env, "a")
    base_b = start_backend(spawn, env, "b")
    for i in range(2):
        spawn(["worker"], env, f"worker{i}")
    return base_a, base_b


def api(base, method, path, body, token):
    status, data = http(method, base + path, token, body)
    assert status in (200, 201), (status, data)
    return data


def test_pause_through_a_reaches_b_and_events_are_sealed_once(cluster, settings):
    """A pause sent to backend A reaches a client on B; events via both are sealed exactly once."""
    base_a, base_b = cluster
    admin = settings.admin_token
    policy = {
        "categories": ["clicks"],
        "purpose": "p",
        "retention_days": 7,
        "allowed_origins": [WORK_ORIGIN],
    }
    api(base_a, "PUT", "/admin/api/policy", policy, admin)
    tokens = {}
    for name in ("alice", "bob"):
        tokens[name] = api(base_a, "POST", "/admin/api/employees", {"employee": name}, admin)[
            "token"
        ]
        api(base_b, "PUT", "/me/api/consent", {"categories": {"clicks": True}}, tokens[name])
    on_a = WSClient(base_a.replace("http", "ws") + "/ws")
    on_b = WSClient(base_b.replace("http", "ws") + "/ws")
    on_a.hello(tokens["alice"])
    on_b.hello(tokens["bob"])

    pause = api(base_a, "POST", "/admin/api/pause", {"scope": "all", "reason": "r"}, admin)
    assert on_b.recv_type("pause")["pause_id"] == pause["pause_id"]
    assert on_a.recv_type("pause")["pause_id"] == pause["pause_id"]
    assert on_b.send_events(1, [make_event()])["rejected"][0]["code"] == "paused"
    api(base_b, "POST", "/admin/api/resume", {"pause_id": pause["pause_id"]}, admin)
    on_a.recv_type("resume")
    on_b.recv_type("resume")

    sent = []
    for seq in range(4):
        for client in (on_a, on_b):
            frame = [make_event() for _ in range(50)]
            assert client.send_events(seq, frame)["accepted"] == 50
            sent += [e["id"] for e in frame]
    # alice's first frame again, through the other backend (a resend after a lost ack).
    alice_on_b = WSClient(base_b.replace("http", "ws") + "/ws")
    alice_on_b.hello(tokens["alice"])
    resend = [{**make_event(), "id": i} for i in sent[:50]]
    assert alice_on_b.send_events(99, resend)["accepted"] == 50
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        records = sealed_records(settings.data_dir)
        if len(records) >= len(sent):
            break
        time.sleep(0.2)
    time.sleep(1.0)  # anything extra (a duplicate) would be sealed by now
    ids = [r["id"] for r in sealed_records(settings.data_dir)]
    assert sorted(ids) == sorted(sent)
    on_a.close()
    on_b.close()


def test_worker_killed_mid_run_loses_and_duplicates_nothing(settings, redis_conn, spawn):
    """SIGKILL an `overt worker` while it seals; the next worker finishes exactly once."""
    env = overt_env(settings, OVERT_BATCH_SIZE="40", OVERT_BATCH_MAX_AGE="0")
    _, ident = enroll(redis_conn, "alice", "sales")
    redis_conn.hset("overt:consent:alice", "clicks", 0)
    intake = Intake(redis_conn, lambda: None)
    sent = []
    for seq in range(30):
        frame = [make_event() for _ in range(100)]
        assert intake.accept(ident, seq, frame, [WORK_ORIGIN])["accepted"] == 100
        sent += [e["id"] for e in frame]
    victim = spawn(["worker"], env, "victim")
    deadline = time.monotonic() + 30
    while not list(settings.datasets_dir.glob("data/*/*.parquet")):
        assert time.monotonic() < deadline, "the worker never sealed anything"
        time.sleep(0.01)
    victim.stop(signal.SIGKILL)  # measured: it dies holding the datasets lock, a batch half sealed
    assert len(sealed_records(settings.data_dir)) < len(sent), "killed too late to prove much"
    # Another worker runs until everything is sealed; a dead take or lock frees within seconds.
    deadline = time.monotonic() + 60
    while len(sealed_records(settings.data_dir)) < len(sent) and time.monotonic() < deadline:
        assert run(["worker", "--burst"], env, timeout=180).returncode == 0
        time.sleep(0.5)
    ids = [r["id"] for r in sealed_records(settings.data_dir)]
    assert len(ids) == len(set(ids)), "an event was sealed twice"
    assert sorted(ids) == sorted(sent), "an event was lost"
    assert (
        redis_conn.hlen("overt:sealing") == 0 and redis_conn.zcard("overt:events:processing") == 0
    )
