"""/metrics under gunicorn with two gevent workers: any worker's scrape adds up both.

One test runs plain gunicorn with PROMETHEUS_MULTIPROC_DIR set by hand; the other runs
`overt serve --workers 2` with nothing set (backend/metrics_dir.py keeps the folder), kills a
worker and checks that the totals survive its replacement.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend.core import keys
from tests.helpers import WSClient, http, make_event
from tests.integration.processes import Proc, overt_env

pytestmark = pytest.mark.slow

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepted_total(base: str) -> float:
    """Return overt_events_accepted_total as one scrape reports it."""
    status, text = http("GET", base + "/metrics")
    assert status == 200
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "overt_events_accepted_total":
                return sample.value
    return 0.0


def worker_processes(r) -> set[str]:
    """The backend processes that hold a connected socket now."""
    return {json.loads(v)["process"] for v in r.hvals(keys.KEY_CONNECTION_INFO)}


def test_multiprocess_metrics_add_up_every_worker(settings, redis_conn, tmp_path):
    """Events sent over many sockets (spread over both workers) are all counted on each scrape."""
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    port = free_port()
    env = overt_env(settings, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    args = ["-k", "gevent", "-w", "2", "-b", f"127.0.0.1:{port}", "backend:create_app()"]
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [GUNICORN, *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        cwd=os.getcwd(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if http("GET", base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()[-2000:]
            time.sleep(0.1)
        status, body = http(
            "POST",
            base + "/admin/api/employees",
            settings.admin_token,
            {"employee": "ann", "team": "sales"},
        )
        assert status == 201
        token = body["token"]
        http(
            "PUT",
            base + "/admin/api/policy",
            settings.admin_token,
            {
                "categories": ["clicks"],
                "purpose": "tests",
                "retention_days": 30,
                "allowed_origins": ["https://app.example.com"],
            },
        )
        http("PUT", base + "/me/api/consent", token, {"categories": {"clicks": True}})
        # Open sockets until both workers hold some (their presence names the process).
        clients = []
        while len(worker_processes(redis_conn)) < 2:
            assert len(clients) < 100, "gunicorn never gave the second worker a socket"
            client = WSClient(base.replace("http", "ws") + "/ws")
            client.hello(token)
            clients.append(client)
        sent = 0
        for client in clients:
            assert client.send_events(1, [make_event("click") for _ in range(3)])["accepted"] == 3
            sent += 3
            # The ack goes out before the counters move; the pong comes after they have.
            client.send({"type": "ping"})
            client.recv_type("pong")
            client.close()
        for _ in range(6):  # whichever worker answers the scrape, it reports both
            assert accepted_total(base) == sent
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


def control_listeners(r) -> int:
    """Return how many backend processes listen on the control channel (one per worker)."""
    return dict(r.pubsub_numsub(keys.CHANNEL_CONTROL))[keys.CHANNEL_CONTROL.encode()]


def enrol_with_clicks(base: str, admin_token: str) -> str:
    """Enrol ann, ask for and grant clicks through the API; return her device token."""
    status, body = http(
        "POST", base + "/admin/api/employees", admin_token, {"employee": "ann", "team": "sales"}
    )
    assert status == 201
    policy = {
        "categories": ["clicks"],
        "purpose": "tests",
        "retention_days": 30,
        "allowed_origins": ["https://app.example.com"],
    }
    assert http("PUT", base + "/admin/api/policy", admin_token, policy)[0] == 200
    assert (
        http("PUT", base + "/me/api/consent", body["token"], {"categories": {"clicks": True}})[0]
        == 200
    )
    return body["token"]


def clicks_until(base: str, token: str, r, wanted) -> tuple[int, set[str]]:
    """Open sockets, 3 clicks each, until `wanted(processes seen)`; return (sent, processes).

    The sockets stay open until then: a busy worker leaves the next accept to another one (a
    fresh replacement worker may wait for a hundred sockets before it wins an accept).
    """
    sent, seen, clients = 0, set(), []
    deadline = time.monotonic() + 60
    try:
        while not wanted(seen):
            assert time.monotonic() < deadline, f"sockets never reached the wanted workers: {seen}"
            client = WSClient(base.replace("http", "ws") + "/ws")
            clients.append(client)
            client.hello(token)
            assert client.send_events(1, [make_event("click") for _ in range(3)])["accepted"] == 3
            sent += 3
            # The ack goes out before the counters move; the pong comes after they have.
            client.send({"type": "ping"})
            client.recv_type("pong")
            seen |= worker_processes(r)
    finally:
        for client in clients:
            client.close()
    return sent, seen


def test_overt_serve_workers_share_metrics_and_survive_a_dead_worker(
    settings, redis_conn, tmp_path
):
    """`overt serve --workers 2`: each scrape adds up both workers, a killed worker included."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = overt_env(settings, TMPDIR=str(scratch))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = Proc(["serve", "--port", "0", "--workers", "2"], env, tmp_path / "serve.log")
    try:
        port = proc.wait_for(r"backend on http://127\.0\.0\.1:(\d+)").group(1)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while http("GET", base + "/healthz")[0] != 200:
            assert time.monotonic() < deadline, "backend never became healthy"
            time.sleep(0.1)
        while control_listeners(redis_conn) != 2:  # both workers are up
            assert time.monotonic() < deadline, proc.log.read_text()[-2000:]
            time.sleep(0.05)
        (folder,) = scratch.glob("overt-metrics-*")  # made by the master, shared by the workers
        token = enrol_with_clicks(base, settings.admin_token)
        sent, first = clicks_until(base, token, redis_conn, lambda seen: len(seen) >= 2)
        for _ in range(6):  # whichever worker answers the scrape, it reports both
            assert accepted_total(base) == sent
        victim = int(sorted(first)[0].split("-")[0])
        deadline = time.monotonic() + 10
        while worker_processes(redis_conn):  # the first sockets are gone everywhere
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(victim, signal.SIGKILL)  # a worker of the server this test started
        deadline = time.monotonic() + 30
        while control_listeners(redis_conn) != 2:  # the replacement worker is up
            assert time.monotonic() < deadline, proc.log.read_text()[-2000:]
            time.sleep(0.05)
        more, _ = clicks_until(
            base,
            token,
            redis_conn,
            lambda seen: bool(seen - first),  # its replacement answers
        )
        for _ in range(6):  # the dead worker's counts are still in every total
            assert accepted_total(base) == sent + more
        assert list(folder.glob("counter_*.db"))
    finally:
        assert proc.stop() == 0, proc.log.read_text()[-2000:]
    assert not folder.exists(), "the private metrics folder outlived the server"
