"""/metrics under gunicorn with two gevent workers: any worker's scrape adds up both."""

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
from tests.integration.processes import overt_env

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
