"""`overt serve` raises its open-file limit: a worker holds more sockets than a 256 soft limit."""

from __future__ import annotations

import re
import resource
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import http
from tests.integration.processes import OVERT, overt_env

pytestmark = pytest.mark.slow

LOW = 256
SOCKETS = 400


def _low_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (LOW, hard))


def _soft_limit(pid: int) -> int:
    text = Path(f"/proc/{pid}/limits").read_text()
    return int(re.search(r"Max open files\s+(\d+)", text).group(1))


def test_serve_holds_more_sockets_than_its_inherited_soft_limit(settings, tmp_path):
    """Started with a soft limit of 256, a worker still accepts 400 sockets and answers."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < SOCKETS + 100:
        pytest.skip(f"the hard open-file limit ({hard}) is too low for this test")
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [OVERT, "serve", "--port", "0", "--workers", "1"],
            env=overt_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_low_limit,
        )
    held: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 30
        while not (m := re.search(r"backend on http://127\.0\.0\.1:(\d+)", log.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        port = int(m.group(1))
        base = f"http://127.0.0.1:{port}"
        while http("GET", base + "/healthz")[0] != 200:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        worker = int(Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()[0])
        assert _soft_limit(worker) > SOCKETS
        for _ in range(SOCKETS):  # each an open request the worker holds a greenlet for
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # headers not finished
            held.append(s)
        assert http("GET", base + "/healthz")[0] == 200
        assert "Too many open files" not in log.read_text()
    finally:
        for s in held:
            s.close()
        proc.terminate()
        proc.wait(20)
