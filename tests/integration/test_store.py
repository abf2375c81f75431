"""The Redis connection every process uses."""

import threading

from backend.core.db import POOL_SIZE, connect


def test_more_concurrent_callers_than_connections_wait_instead_of_failing(redis_url):
    """Hundreds of sockets answering a pause at once share a bounded pool without errors."""
    r = connect(redis_url)
    errors = []

    def hold_a_connection():
        try:
            r.blpop("overt:test:never", timeout=0.05)  # keeps its connection busy a moment
        except Exception as err:  # the failure under test: MaxConnectionsError
            errors.append(type(err).__name__)

    threads = [threading.Thread(target=hold_a_connection) for _ in range(POOL_SIZE * 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len(r.connection_pool._connections) <= POOL_SIZE
