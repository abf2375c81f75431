"""Redis connections: one per process, reached through `get_redis()` inside Flask."""

from __future__ import annotations

import time

import redis


class RedisUnavailableError(RuntimeError):
    """Redis cannot be reached at the configured URL."""


# Connections per process. A pause makes hundreds of sockets answer at once; redis-py's default
# pool then raises MaxConnectionsError past 100 (measured by bench/pause.py), so callers wait for
# a free connection instead. `?max_connections=` in the URL overrides this.
POOL_SIZE = 64
POOL_WAIT = 10


def connect(url: str, check: bool = True) -> redis.Redis:
    """Return a Redis client for `url`, failing clearly when it does not answer."""
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=POOL_SIZE,
        timeout=POOL_WAIT,
        socket_connect_timeout=3,
        health_check_interval=30,
    )
    client = redis.Redis(connection_pool=pool)
    if check:
        try:
            client.ping()
        except (redis.RedisError, OSError) as err:
            raise RedisUnavailableError(f"cannot reach Redis at {safe_url(url)}: {err}") from None
    return client


def safe_url(url: str) -> str:
    """Return `url` without a password, fit for logs and error messages."""
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


def get_redis() -> redis.Redis:
    """Return the app's Redis client (Flask accessor, as in the tutorial's get_db)."""
    from flask import current_app

    return current_app.extensions["overt.redis"]


def init_app(app, client: redis.Redis) -> None:
    """Attach `client` to `app`."""
    app.extensions["overt.redis"] = client


def now_ms() -> int:
    """Return the current time in milliseconds since the epoch."""
    return int(time.time() * 1000)


def audit(r: redis.Redis, actor: str, action: str, **details) -> dict:
    """Append an admin action to the hash-chained audit log (see audit_log.py)."""
    from .audit_log import append

    return append(r, actor, action, **details)


def read_audit(r: redis.Redis, limit: int = 200) -> list[dict]:
    """Return the newest audit entries first."""
    from .audit_log import read_audit as read

    return read(r, limit)
