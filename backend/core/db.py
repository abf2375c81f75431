"""The Redis connection: one pool per process, failing clearly when Redis does not answer."""

from __future__ import annotations

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
        scheme, _, rest = url.rpartition("://")
        return f"{scheme + '://' if scheme else ''}***@{rest.rsplit('@', 1)[1]}"
    return url
