"""`overt serve` (the production server) answers what gunicorn refuses itself in the JSON shape."""

from __future__ import annotations

import pytest

from tests.integration.processes import overt_env
from tests.integration.test_hostile_http import assert_error, raw_request

pytestmark = pytest.mark.slow

REFUSED_BY_GUNICORN = [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: a\r\n" % i for i in range(200)) + b"\r\n", 431),
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
]


def test_requests_gunicorn_refuses_are_json(settings, redis_conn, spawn):
    """Long request lines, huge or many headers, garbage and unknown paths: the one error shape."""
    proc = spawn(["serve", "--port", "0", "--workers", "2"], overt_env(settings), "serve")
    port = int(proc.wait_for(r"backend on http://127\.0\.0\.1:(\d+)").group(1))
    for request, expected in REFUSED_BY_GUNICORN:
        status, body = raw_request(port, request)
        assert_error(status, body, expected)
