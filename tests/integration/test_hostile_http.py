"""HTTP under hostile requests: every error is the one JSON error shape, never a 500."""

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import http
from tests.integration.processes import overt_env, start_backend

SHAPE = {"code", "status", "message", "errors"}


def assert_error(status, body, expected_status, code=None):
    assert status == expected_status, (status, body)
    assert isinstance(body, dict) and set(body) == SHAPE, body
    assert body["status"] == expected_status
    if code:
        assert body["code"] == code, body


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    ("path", "raw", "code"),
    [
        ("/admin/api/pause", nested(1000), "too_deep"),
        ("/admin/api/pause", "[" * 100_000, "too_deep"),
        ("/admin/api/pause", '{"scope": ' + nested(50) + ', "reason": "x"}', "too_deep"),
        ("/admin/api/policy", '{"purpose": "\\ud800"}', "bad_string"),
        ("/admin/api/employees", '{"employee": 1e999}', "bad_json"),
        ("/admin/api/employees", '{"employee": NaN}', "bad_json"),
        ("/admin/api/employees", b"\xff\xfe", "bad_json"),
    ],
)
def test_hostile_bodies_are_typed_400s(live_server, path, raw, code):
    """Deep nesting, lone surrogates, non-finite numbers and non-UTF-8 bodies: a typed 400."""
    method = "PUT" if path.endswith("policy") else "POST"
    data = raw if isinstance(raw, bytes) else raw.encode()
    status, body = http(method, live_server.http_url + path, live_server.admin_token, raw=data)
    assert_error(status, body, 400, code)


def test_me_api_deep_body(live_server, admin):
    """The employee API refuses deep nesting the same way."""
    admin.set_policy()
    token = admin.enroll("alice")
    status, body = http(
        "PUT", live_server.http_url + "/me/api/consent", token, raw=nested(2000).encode()
    )
    assert_error(status, body, 400, "too_deep")


@pytest.mark.parametrize("limit", ["²", "١٢", "0", "10001", "1" * 5000, "-1", "x"])
def test_audit_limit_unicode_digits(live_server, limit):
    """Unicode digits pass str.isdigit() but not int(): a typed 400, not a 500."""
    from urllib.parse import quote

    url = f"{live_server.http_url}/admin/api/audit?limit={quote(limit)}"
    status, body = http("GET", url, live_server.admin_token)
    assert_error(status, body, 400, "bad_limit")


def test_not_found_and_method_not_allowed(live_server):
    """404 and 405 answer the JSON error shape."""
    status, body = http("GET", live_server.http_url + "/nope")
    assert_error(status, body, 404, "not_found")
    status, body = http(
        "DELETE", live_server.http_url + "/admin/api/pause", live_server.admin_token
    )
    assert_error(status, body, 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/admin/api/pause", {"POST"}),
        ("POST", "/me/api/data", {"GET", "DELETE"}),
        ("PATCH", "/admin/api/policy", {"GET", "PUT"}),
    ],
)
def test_method_not_allowed_names_the_allowed_methods(live_server, method, path, allowed):
    """A 405 carries the Allow header (RFC 9110, 15.5.6) as well as the one error shape."""
    req = urllib.request.Request(live_server.http_url + path, method=method)
    req.add_header("Authorization", f"Bearer {live_server.admin_token}")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(req, timeout=10)
    err = caught.value
    assert_error(err.code, json.loads(err.read()), 405, "method_not_allowed")
    assert err.headers["Content-Type"] == "application/json"
    listed = {m.strip() for m in (err.headers.get("Allow") or "").split(",") if m.strip()}
    assert allowed <= listed, err.headers.get("Allow")


def test_body_too_large(live_server):
    """A body over the limit is a JSON 413."""
    raw = b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    status, body = http(
        "POST", live_server.http_url + "/admin/api/pause", live_server.admin_token, raw=raw
    )
    assert_error(status, body, 413)


def test_body_too_large_under_serve(settings, spawn):
    """Under `overt serve` (gunicorn) too, a client that sends all of a 16 MiB body before it
    reads gets the JSON 413, not a reset connection: the body is read and dropped first."""
    base = start_backend(spawn, overt_env(settings), "serve")
    raw = b'{"a": "' + b"x" * (16 * 1024 * 1024) + b'"}'
    for _ in range(3):
        status, body = http("POST", base + "/admin/api/pause", settings.admin_token, raw=raw)
        assert_error(status, body, 413)
    assert http("GET", base + "/healthz")[0] == 200


def raw_request(port: int, request: bytes) -> tuple[int, dict]:
    """Send raw bytes; return the status and the JSON body."""
    import json

    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"application/json" in head.lower(), head
    return int(head.split()[1]), json.loads(body)


def test_long_url_is_a_json_414_on_werkzeug(live_server):
    """werkzeug (`overt up`): a request line over werkzeug's limit is a JSON 414."""
    status, body = raw_request(
        live_server.port, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert_error(status, body, 414)


@pytest.mark.slow
def test_gunicorn_answers_the_json_shape(settings, redis_conn, tmp_path):
    """Under gunicorn (with backend/gunicorn_conf.py): 414, 404 and 405 are JSON."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            gunicorn,
            "-c",
            "python:backend.gunicorn_conf",
            "-k",
            "gevent",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "backend:create_app()",
        ],
        env=overt_env(settings),
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (_up(port) and http("GET", f"http://127.0.0.1:{port}/healthz")[0] == 200):
            assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn never became healthy"
            time.sleep(0.1)
        status, body = raw_request(port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert_error(status, body, 414)
        status, body = raw_request(
            port, b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert_error(status, body, 404)
        status, body = http("POST", f"http://127.0.0.1:{port}/healthz")
        assert_error(status, body, 405)
        status, body = http(
            "POST",
            f"http://127.0.0.1:{port}/admin/api/pause",
            settings.admin_token,
            raw=nested(3000).encode(),
        )
        assert_error(status, body, 400, "too_deep")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _up(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False
