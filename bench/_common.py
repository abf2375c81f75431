"""Shared parts of the benchmarks: a private Redis, backend processes, setup over the real APIs.

Everything runs on 127.0.0.1 with its own redis-server (backend.embedded_redis) in a temporary
data dir; every process started here is stopped by the same object that started it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
import math
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from backend.core.vocabulary import CATEGORIES as VOCABULARY_CATEGORIES  # noqa: E402
from backend.embedded_redis import EmbeddedRedis  # noqa: E402
from tests.integration.processes import family  # noqa: E402

ADMIN_TOKEN = "bench-admin-token"
WORK_ORIGIN = "https://app.example.com"
CATEGORIES = list(VOCABULARY_CATEGORIES)
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
OVERT_SERVE = [sys.executable, "-m", "backend.cli", "serve"]

# Server models compared: werkzeug threads in one process (what `overt up` runs) and gunicorn +
# gevent (`overt serve --workers N` for the real app, the gunicorn command for the bare one).
MODELS = ("threads", "gevent")


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A temporary data dir, one redis-server and the server processes of one benchmark run."""

    def __init__(self, keep: bool = False, max_connections: int | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="overt-bench-"))
        self.keep = keep
        # redis-py 8 caps a client's pool at 100 connections and raises beyond that; a backend
        # with more concurrent Redis calls than that needs a bigger pool (see docs/operations.md).
        self.max_connections = max_connections
        self.redis: EmbeddedRedis | None = None
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> Lab:
        self.redis = EmbeddedRedis(self.dir / "data").start()
        return self

    def __exit__(self, *exc) -> None:
        for proc in list(self.procs):
            self.stop(proc)
        if self.redis:
            self.redis.stop()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def env(self) -> dict:
        """Return the environment every backend of this run shares."""
        return {
            **os.environ,
            "OVERT_REDIS_URL": self.backend_redis_url,
            "OVERT_DATA_DIR": str(self.dir / "data"),
            "OVERT_ADMIN_TOKEN": ADMIN_TOKEN,
            "OVERT_SECRET": "bench-secret",
            "PYTHONPATH": f"{ROOT}{os.pathsep}{BENCH}",
        }

    @property
    def backend_redis_url(self) -> str:
        """Return the Redis URL given to backends, with the pool size when one is set."""
        url = self.redis.url
        return f"{url}?max_connections={self.max_connections}" if self.max_connections else url

    def redis_client(self):
        """Return a client on this run's Redis."""
        import redis

        return redis.Redis.from_url(self.redis.url)

    def start_server(
        self, model: str, app: str = "backend:create_app()", workers: int = 2, port: int = 0
    ) -> tuple[subprocess.Popen, int]:
        """Start a server of `model` serving `app`; return it and its port once /healthz answers.

        `threads` runs a single werkzeug process with a thread per connection (as `overt up`
        does); `gevent` runs `overt serve --workers <workers>` for the real app and
        `gunicorn -k gevent -w <workers>` for any other.
        """
        port = port or free_port()
        if model == "threads":
            cmd = [sys.executable, str(BENCH / "_common.py"), "serve", app, str(port)]
        elif model == "gevent" and app == "backend:create_app()":
            cmd = [*OVERT_SERVE, "--port", str(port), "--workers", str(workers)]
        elif model == "gevent":
            cmd = [
                GUNICORN,
                "-k",
                "gevent",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--worker-connections",
                "10000",
                "--log-level",
                "warning",
                *gunicorn_private_flags(),
                app,
            ]
        else:
            raise ValueError(f"unknown server model {model!r}")
        log = open(self.dir / f"server-{port}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(cmd, env=self.env, cwd=ROOT, stdout=log, stderr=log)
        proc.log = log
        self.procs.append(proc)
        wait_healthy(proc, port, self.dir / f"server-{port}.log")
        return proc, port

    def stop(self, proc: subprocess.Popen) -> None:
        """Stop one server process started here (SIGINT: gunicorn's quick shutdown)."""
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proc.log.close()
        self.procs.remove(proc)


@functools.cache
def gunicorn_private_flags() -> list[str]:
    """Return flags that keep a benchmark's gunicorn off shared paths (its control socket)."""
    help_text = subprocess.run([GUNICORN, "--help"], capture_output=True, text=True).stdout
    return ["--no-control-socket"] if "--no-control-socket" in help_text else []


def wait_healthy(
    proc: subprocess.Popen, port: int, log: Path, timeout: float = 30.0, path: str = "/healthz"
) -> None:
    """Wait until the server answers `path` with 200, failing with its log if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as res:
                if res.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not become healthy:\n{log.read_text()[-3000:]}")


def http(method: str, url: str, token: str | None = None, body=None):
    """Send a JSON request; return (status, parsed body)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def call(port: int, method: str, path: str, body=None, token: str = ADMIN_TOKEN) -> dict:
    """Call the API of the backend on `port`; fail loudly on an error status."""
    status, data = http(method, f"http://127.0.0.1:{port}{path}", token, body)
    if status >= 400:
        raise RuntimeError(f"{method} {path} -> {status} {data}")
    return data


def set_policy(port: int) -> dict:
    """Ask for every category on the work origin the benchmark's events use."""
    body = {
        "categories": CATEGORIES,
        "purpose": "Benchmark",
        "retention_days": 30,
        "allowed_origins": [WORK_ORIGIN],
    }
    return call(port, "PUT", "/admin/api/policy", body)


def enroll_consenting(port: int, employee: str, team: str = "bench") -> str:
    """Enroll `employee`, grant every category with their device token; return the token."""
    token = call(port, "POST", "/admin/api/employees", {"employee": employee, "team": team})[
        "token"
    ]
    call(port, "PUT", "/me/api/consent", {"categories": dict.fromkeys(CATEGORIES, True)}, token)
    return token


def make_event(i: int, now_ms: int | None = None) -> dict:
    """Return a valid event; the type cycles through the ones extensions send most."""
    now_ms = now_ms or int(time.time() * 1000)
    base = {
        "id": str(uuid.uuid4()),
        "ts": now_ms - i % 1000,
        "url": f"{WORK_ORIGIN}/orders/{i}",
        "title": "Orders - Example App",
        "session": "s_benchsession",
        "tab": f"t_benchtab{i % 8:03d}",
        "page": f"p_benchpage{i % 64:03d}",
        "step": i,
    }
    kind = i % 4
    if kind == 0:
        extra = {
            "type": "click",
            "target": {
                "selector": "main > form > button.save",
                "tag": "button",
                "role": "button",
                "label": "Save order",
            },
        }
    elif kind == 1:
        extra = {"type": "page_view", "referrer": f"{WORK_ORIGIN}/orders"}
    elif kind == 2:
        extra = {"type": "scroll", "depth": 40 + i % 60}
    else:
        extra = {
            "type": "input_activity",
            "target": {"selector": "#search", "tag": "input"},
            "count": 1 + i % 20,
        }
    return {**base, **extra}


def percentiles(values: list[float]) -> dict:
    """Return p50, p99 (nearest rank) and max of `values`."""
    ordered = sorted(values)
    if not ordered:
        return {"p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
    return {"p50": statistics.median(ordered), "p99": p99, "max": ordered[-1]}


def ws_key() -> str:
    """Return a Sec-WebSocket-Key."""
    return base64.b64encode(os.urandom(16)).decode()


def rss_mb(pid: int) -> float:
    """Return the resident memory of a process and its children in MiB (Linux /proc)."""
    total = 0
    for p in family(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def threads_of(pid: int) -> int:
    """Return the OS threads of a process and its children (Linux /proc)."""
    count = 0
    for p in family(pid):
        with contextlib.suppress(OSError):
            count += len(os.listdir(f"/proc/{p}/task"))
    return count


def client_frame(opcode: int, payload: bytes) -> bytes:
    """Return a masked client frame (RFC 6455 5.3)."""
    n = len(payload)
    if n < 126:
        header = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    mask = os.urandom(4)
    # XOR the whole payload at once as one big integer: C speed, no Python loop per byte.
    repeated = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")).to_bytes(
        n, "little"
    )
    return header + mask + masked


class WSClientProtocol(asyncio.Protocol):
    """A minimal WebSocket client (RFC 6455) on asyncio's Protocol API.

    The load generator shares two cores with the servers it measures, so it must cost little:
    no per-message task switch, frames parsed straight out of `data_received`, and a message
    handler called synchronously with the receipt time. Subclasses override `on_message`.
    """

    def __init__(self, host: str, port: int, path: str = "/ws"):
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {ws_key()}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.fragments: list[bytes] = []
        self.close_code: int | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        if not self.upgraded.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[:end]).split(b"\r\n", 1)[0]
            del self.buffer[: end + 4]
            if b" 101 " not in status:
                self.upgraded.set_exception(ConnectionError(status.decode(errors="replace")))
                self.transport.close()
                return
            self.upgraded.set_result(True)
        self._parse(now)

    def _parse(self, now: float) -> None:
        buf = self.buffer
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            length, offset = b1 & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, offset = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, offset = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < offset + length:
                return
            payload = bytes(buf[offset : offset + length])
            del buf[: offset + length]
            opcode = b0 & 0x0F
            if opcode in (0, 1):
                self.fragments.append(payload)
                if b0 & 0x80:
                    message = b"".join(self.fragments).decode()
                    self.fragments = []
                    self.on_message(message, now)
            elif opcode == 8:
                self.close_code = int.from_bytes(payload[:2], "big") if payload else 1005
                self.transport.close()
                buf.clear()  # werkzeug may write an HTTP response after the close frame
                return
            elif opcode == 9:
                self._write(0xA, payload)

    def _write(self, opcode: int, payload: bytes) -> None:
        self.transport.write(client_frame(opcode, payload))

    def send_text(self, text: str) -> None:
        """Send one text frame."""
        self._write(0x1, text.encode())

    def on_message(self, text: str, received_at: float) -> None:
        """Handle one text message (`received_at` is time.perf_counter() at receipt)."""

    def connection_lost(self, exc) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(self.close_code)

    def close(self) -> None:
        """Send a close frame and drop the connection."""
        if self.transport and not self.transport.is_closing():
            self._write(0x8, (1000).to_bytes(2, "big"))
            self.transport.close()


async def ws_connect(factory, host: str, port: int, path: str = "/ws"):
    """Open a WebSocket with the protocol `factory(host, port, path)`; return the protocol."""
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_connection(lambda: factory(host, port, path), host, port)
    await proto.upgraded
    return proto


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's open-file limit towards `wanted`; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(max(soft, wanted), hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def cpu_seconds(pid: int) -> float:
    """Return user+system CPU seconds used so far by a process and its children (Linux /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in family(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def load_app(spec: str):
    """Return the WSGI app named by a gunicorn-style spec such as `backend:create_app({...})`."""
    import ast
    import importlib

    module, _, expr = spec.partition(":")
    name, _, args = expr.partition("(")
    factory = getattr(importlib.import_module(module), name)
    if not args:
        return factory
    parsed = ast.literal_eval(f"({args[:-1]},)") if args[:-1].strip() else ()
    return factory(*parsed)


def serve_threads(spec: str, port: int) -> None:
    """Serve `spec` the way `overt up` does: werkzeug, one thread per connection."""
    from werkzeug.serving import make_server

    make_server("127.0.0.1", port, load_app(spec), threaded=True).serve_forever()


if __name__ == "__main__":
    if sys.argv[1:2] != ["serve"] or len(sys.argv) != 4:
        sys.exit("usage: _common.py serve MODULE:FACTORY(ARGS) PORT  (used by the benchmarks)")
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    serve_threads(sys.argv[2], int(sys.argv[3]))
