"""Admin access: every admin route refuses strangers and employees; sessions are CSRF-safe."""

import re

import pytest

from backend.admin_auth import CSRF_HEADER
from backend.core.audit import read_audit
from tests.conftest import ADMIN_TOKEN

# Routes open to anyone: the console page itself (a sign-in form) and its sign-in call.
PUBLIC = {("GET", "/admin"), ("POST", "/admin/api/session")}
SAMPLE = {
    "pause_id": "p_0",
    "employee": "alice",
    "device": "dev_0",
    "label": "ops",
    "job_id": "j",
    "queue_name": "overt",
}
SAMPLE |= {"registry_name": "failed", "per_page": "8", "order": "asc", "page": "1"}
SAMPLE |= {"instance_number": "0", "filename": "css/main.css"}


def admin_routes(app) -> list[tuple[str, str]]:
    """Every (method, concrete path) under /admin, parameters filled with samples."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLE[m.group(1)], rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, path) not in PUBLIC:
                found.append((method, path))
    return found


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def device_token(client):
    res = client.post(
        "/admin/api/employees",
        json={"employee": "alice", "team": "sales"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    return res.get_json()["token"]


def sign_in(client, token=ADMIN_TOKEN):
    return client.post("/admin/api/session", json={"token": token}, headers={CSRF_HEADER: "1"})


def test_routes_are_covered(app):
    """The route list below covers the API, rq-dashboard and the session calls."""
    paths = {p for _, p in admin_routes(app)}
    assert {"/admin/api/pause", "/admin/api/audit", "/admin/api/live", "/admin/rq/"} <= paths
    assert len(admin_routes(app)) > 30


def test_every_admin_route_is_401_without_a_token(app, client):
    """No token, no cookie: 401 in the one error shape."""
    for method, path in admin_routes(app):
        res = client.open(path, method=method, json={}, follow_redirects=True)
        assert res.status_code == 401, (method, path, res.status_code)
        assert set(res.get_json()) == {"code", "status", "message", "errors"}


def test_every_admin_route_is_403_with_an_employee_token(app, client, device_token):
    """An employee's device token is recognised and refused with 403, sign-in included."""
    for method, path in admin_routes(app):
        res = client.open(
            path,
            method=method,
            json={},
            headers={"Authorization": f"Bearer {device_token}"},
            follow_redirects=True,
        )
        assert res.status_code == 403, (method, path, res.status_code)
    assert sign_in(client, device_token).status_code == 403


def test_cookie_session_changes_need_the_csrf_header(app, client):
    """Signed in by cookie: every state-changing route refuses a request without the header."""
    assert sign_in(client).status_code == 200
    cookie = client.get_cookie("overt_admin", path="/admin")
    assert cookie.http_only and cookie.same_site == "Strict"
    changing = [(m, p) for m, p in admin_routes(app) if m not in ("GET",)]
    changing.append(("GET", "/admin/rq/requeue/overt"))
    assert len(changing) > 10
    for method, path in changing:
        res = client.open(path, method=method, json={}, follow_redirects=True)
        assert res.status_code == 403, (method, path, res.status_code)
        assert res.get_json()["code"] == "csrf"
    # Reads need no header; with the header a change goes through.
    assert client.get("/admin/api/live").status_code == 200
    body = {"scope": {"team": "sales"}, "reason": "close"}
    assert client.post("/admin/api/pause", json=body, headers={CSRF_HEADER: "1"}).status_code == 201
    assert client.post("/admin/api/pause", json=body).status_code == 403


def test_sign_in_needs_the_header_and_a_real_token(client):
    """Sign-in refuses a forged token (401) and a request without the header (403)."""
    assert sign_in(client, "nope").status_code == 401
    res = client.post("/admin/api/session", json={"token": ADMIN_TOKEN})
    assert res.status_code == 403
    assert client.get("/admin/api/session").status_code == 401


def test_labelled_tokens_act_under_their_label_and_can_be_revoked(client, redis_conn):
    """A created token works, is named in the audit log, and stops working once revoked."""
    boot = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    res = client.post("/admin/api/tokens", json={"label": "ops-anna"}, headers=boot)
    assert res.status_code == 201
    token = res.get_json()["token"]
    assert token not in str(redis_conn.hgetall("overt:admin:tokens"))  # stored hashed
    listed = client.get("/admin/api/tokens", headers=boot).get_json()["tokens"]
    assert [t["label"] for t in listed] == ["bootstrap", "ops-anna"]
    assert "token" not in listed[1]
    mine = {"Authorization": f"Bearer {token}"}
    body = {"scope": "all", "reason": "quarter close"}
    assert client.post("/admin/api/pause", json=body, headers=mine).status_code == 201
    newest = read_audit(redis_conn, 1)[0]
    assert (newest["actor"], newest["action"]) == ("ops-anna", "pause")
    assert (
        client.post("/admin/api/tokens", json={"label": "ops-anna"}, headers=boot).status_code
        == 422
    )
    # A console session opened with it ends when the token is revoked.
    other = client.application.test_client()
    assert sign_in(other, token).get_json() == {"label": "ops-anna"}
    assert other.get("/admin/api/session").get_json() == {"label": "ops-anna"}
    assert client.delete("/admin/api/tokens/ops-anna", headers=boot).status_code == 200
    assert client.get("/admin/api/live", headers=mine).status_code == 401
    assert other.get("/admin/api/session").status_code == 401
    assert client.delete("/admin/api/tokens/ops-anna", headers=boot).status_code == 404
    actions = [e["action"] for e in read_audit(redis_conn, 10)]
    assert actions[:2] == ["admin_token_revoke", "pause"]


def test_sign_out_ends_the_session(client):
    """After sign-out the cookie no longer opens anything."""
    sign_in(client)
    assert client.delete("/admin/api/session", headers={CSRF_HEADER: "1"}).status_code == 200
    assert client.get("/admin/api/live").status_code == 401


def test_rq_dashboard_is_mounted_behind_the_sign_in(client, redis_conn):
    """rq-dashboard shows Overt's queue and a failed job (with RQ's JSON serializer)."""
    from rq import SimpleWorker

    from workers.queue import get_queue

    queue = get_queue(redis_conn)
    queue.enqueue("workers.jobs.no_such_job")
    SimpleWorker([queue], connection=redis_conn, serializer=queue.serializer).work(
        burst=True, logging_level="WARNING"
    )
    queue.enqueue("workers.jobs.no_such_job")
    assert client.get("/admin/rq/").status_code == 401
    sign_in(client)
    page = client.get("/admin/rq/")
    assert page.status_code == 200 and b"RQ dashboard" in page.data
    queues = client.get("/admin/rq/0/data/queues.json").get_json()["queues"]
    overt = {q["name"]: q for q in queues}["overt"]
    assert overt["count"] == 1 and overt["failed_job_registry_count"] == 1
    failed = client.get("/admin/rq/0/data/jobs/overt/failed/8/asc/1.json").get_json()["jobs"]
    assert "no_such_job" in failed[0]["description"] and failed[0]["exc_info"]
    # A queue change from another origin is refused even with the cookie.
    res = client.post("/admin/rq/queue/overt/failed/empty", headers={"Origin": "https://evil"})
    assert res.status_code == 403
    res = client.post("/admin/rq/queue/overt/failed/empty", headers={"Origin": "http://localhost"})
    assert res.status_code == 200
    assert queue.failed_job_registry.count == 0


def test_one_device_can_be_revoked(client, redis_conn):
    """Revoking a device leaves the employee's other devices working; it is audited."""
    boot = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    body = {"employee": "alice", "team": "sales"}
    first = client.post("/admin/api/employees", json=body, headers=boot).get_json()
    second = client.post("/admin/api/employees", json=body, headers=boot).get_json()
    path = f"/admin/api/devices/{first['device']}/revoke"
    res = client.post(path, headers=boot)
    assert res.get_json() == {"employee": "alice", "device": first["device"], "revoked": 1}
    mine = {"Authorization": f"Bearer {second['token']}"}
    assert client.get("/me/api/consent", headers=mine).status_code == 200
    gone = {"Authorization": f"Bearer {first['token']}"}
    assert client.get("/me/api/consent", headers=gone).status_code == 401
    assert client.post(path, headers=boot).status_code == 404
    entry = read_audit(redis_conn, 1)[0]
    assert (entry["action"], entry["device"]) == ("revoke", first["device"])


def test_console_page_is_not_framed_or_cached(client):
    """The console's answers forbid framing and caching."""
    res = client.get("/admin")
    assert res.status_code == 200 and b"Sign in" in res.data
    assert "frame-ancestors 'none'" in res.headers["Content-Security-Policy"]
    assert res.headers["Cache-Control"] == "no-store"
