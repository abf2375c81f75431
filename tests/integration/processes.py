"""Run `overt` commands as real subprocesses for tests."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import http

OVERT = str(Path(sys.executable).with_name("overt"))


def overt_env(settings, **extra) -> dict:
    """Return an environment that points `overt` at the test's Redis and data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERT_")}
    env.update(
        OVERT_REDIS_URL=settings.redis_url,
        OVERT_DATA_DIR=str(settings.data_dir),
        OVERT_ADMIN_TOKEN=settings.admin_token,
        OVERT_SECRET=settings.secret,
        PYTHONUNBUFFERED="1",
        # `overt up` records itself in the user's config dir: keep tests out of the real one.
        XDG_CONFIG_HOME=str(Path(settings.data_dir).parent / "config"),
    )
    env.update(extra)
    return env


def run(args, env, timeout=30, cwd=None) -> subprocess.CompletedProcess:
    """Run an `overt` command to completion (in `cwd`, default the current folder)."""
    return subprocess.run(
        [OVERT, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


class Proc:
    """A long-running `overt` subprocess whose output is read for a line."""

    def __init__(self, args, env, log: Path):
        self.log = log
        self.fh = open(log, "w")  # noqa: SIM115 - kept open for the life of the process
        self.p = subprocess.Popen(
            [OVERT, *args],
            env=env,
            stdout=self.fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match:
        """Wait until the output matches `pattern`; return the match."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.log.read_text())
            if m:
                return m
            if self.p.poll() is not None:
                raise AssertionError(f"process exited {self.p.returncode}: {self.log.read_text()}")
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} not seen: {self.log.read_text()[-2000:]}")

    def stop(self, sig=signal.SIGTERM) -> int:
        """Stop the process (and its children); return its exit code."""
        if self.p.poll() is None:
            os.killpg(self.p.pid, sig)
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.fh.close()
        return self.p.returncode


def start_backend(spawn, env, name: str) -> str:
    """Start `overt serve --port 0` through the `spawn` fixture; return its URL once healthy."""
    proc = spawn(["serve", "--port", "0"], env, name)
    port = proc.wait_for(r"backend on http://127\.0\.0\.1:(\d+)").group(1)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while http("GET", base + "/healthz")[0] != 200:
        assert time.monotonic() < deadline, "backend never became healthy"
        time.sleep(0.05)
    return base


# The line `overt up` ("WebSocket ws://...") or `overt serve` ("backend on http://...") names
# its port in.
SERVING_ON = r"(?:backend on|WebSocket)\s+\S+?127\.0\.0\.1:(\d+)"
# What each command serves with.
SERVING_MODELS = {"up": "werkzeug threads", "serve": "gunicorn gevent"}


def start_server(spawn, settings, command: str) -> tuple[int, int]:
    """Start `overt up` (werkzeug, a thread per socket) or `overt serve` (gunicorn, one gevent
    worker) on a free port through the `spawn` fixture; return (serving pid, port) once healthy.

    The serving process is `overt up` itself (its child is the RQ worker) or the gunicorn
    master's one worker.
    """
    proc = spawn([command, "--port", "0"], overt_env(settings), command)
    port = int(proc.wait_for(SERVING_ON).group(1))
    deadline = time.monotonic() + 20
    while http("GET", f"http://127.0.0.1:{port}/healthz")[0] != 200:
        assert time.monotonic() < deadline, "the server never became healthy"
        time.sleep(0.05)
    return (proc.p.pid if command == "up" else family(proc.p.pid)[1]), port


def family(pid: int) -> list[int]:
    """Return `pid` and its children (a gunicorn master and its worker)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *map(int, children)]


def client_sockets(pid: int, port: int) -> set[str]:
    """Return the inodes of the TCP sockets of `pid` connected on local `port` (not listening)."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                cols = line.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] != "0A":
                    inodes.add(cols[9])
    return inodes


def usage(pid: int, port: int, children: bool = True) -> dict:
    """Return a server's OS threads, its sockets open to clients and its resident KiB.

    With `children`, those of its child processes count too (a gunicorn master's worker).
    """
    threads = sockets = rss = 0
    for p in family(pid) if children else [pid]:
        with contextlib.suppress(OSError):
            threads += len(os.listdir(f"/proc/{p}/task"))
            ours = client_sockets(p, port)
            for fd in os.listdir(f"/proc/{p}/fd"):
                with contextlib.suppress(OSError):
                    sockets += os.readlink(f"/proc/{p}/fd/{fd}")[8:-1] in ours
            status = Path(f"/proc/{p}/status").read_text()
            rss += int(status.split("VmRSS:")[1].split()[0])
    return {"threads": threads, "client_sockets": sockets, "rss_kib": rss}
