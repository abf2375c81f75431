"""`/me/api`: export, overview, page sessions, and one employee never reaching another's data.

Through Flask's test client: each `app.test_client()` keeps its own cookies, like a browser.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest

from backend.core.employees import authenticate
from backend.core.intake import Intake
from tests.conftest import WORK_ORIGIN
from tests.helpers import make_event
from tests.integration.me_helpers import clicks, contributor, queue_raw, seal, stage_all


@pytest.fixture
def people(employee):
    """alice and bob, enrolled and consenting to clicks and scroll; returns their tokens."""
    return {name: employee(name, "sales", ("clicks", "scroll")) for name in ("alice", "bob")}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def spread(redis_conn, settings, people) -> dict[str, dict[str, list]]:
    """Give alice and bob sealed, staged and queued events; return their ids by stage."""
    ids: dict[str, dict[str, list]] = {}
    intake = Intake(redis_conn, lambda: None)  # what /ws calls
    for name, token in people.items():
        sealed = [*clicks(3), make_event("scroll")]
        ack = intake.accept(authenticate(redis_conn, token), 1, sealed, [WORK_ORIGIN])
        assert ack["accepted"] == 4
        ids[name] = {"sealed": [e["id"] for e in sealed]}
    seal(redis_conn, settings)
    for name in people:
        staged = clicks(2)
        queue_raw(redis_conn, name, staged, team="sales")
        ids[name]["staged"] = [e["id"] for e in staged]
    stage_all(redis_conn)
    for name in people:
        queued = clicks(1)
        queue_raw(redis_conn, name, queued, team="sales")
        ids[name]["queued"] = [e["id"] for e in queued]
    return ids


def test_export_holds_exactly_my_data(redis_conn, settings, client, people):
    """The export lists my sealed, staged and queued events, ledger and consent; nothing of bob."""
    ids = spread(redis_conn, settings, people)
    response = client.get("/me/api/data", headers=bearer(people["alice"]))
    doc = response.get_json()
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="overt-export-alice-'
    )
    assert doc["employee"] == "alice" and doc["pseudonym"] == contributor("alice")
    assert [e["event"]["id"] for e in doc["queued"]] == ids["alice"]["queued"]
    assert [r["id"] for r in doc["staged"]] == ids["alice"]["staged"]
    sealed = [r["id"] for b in doc["sealed"] for r in b["records"]]
    assert sorted(sealed) == sorted(ids["alice"]["sealed"])
    assert doc["consent"]["categories"]["clicks"] is True
    assert [e["granted"] for e in doc["ledger"]] == [["clicks", "scroll"]]
    # The devices enrolled for me, with the privacy signals each sent; never a token.
    (device,) = doc["devices"]
    assert device["device"].startswith("dev_") and device["team"]
    assert device["issued_at"].endswith("+00:00") and device["signals"] == {
        "gpc": False,
        "dnt": False,
    }
    text = json.dumps(doc)
    assert people["alice"] not in text
    for bob_id in [i for stage in ids["bob"].values() for i in stage]:
        assert bob_id not in text
    assert contributor("bob") not in text and '"bob"' not in text


def test_overview_counts_and_shows_records_as_sealed(redis_conn, settings, admin, people):
    """Counts by category and day, the latest records as a dataset holds them, my batches."""
    ids = spread(redis_conn, settings, people)
    newest = make_event("click", url="https://app.example.com/x?q=secret#f")
    newest["ts"] += 1000  # after every other event of the test
    queue_raw(redis_conn, "alice", [newest], team="sales")
    status, view = admin.request("GET", "/me/api/overview", token=people["alice"])
    assert status == 200 and view["employee"] == "alice"
    assert view["counts"]["total"] == 8
    assert view["counts"]["by_category"] == {"clicks": 7, "scroll": 1}
    assert view["counts"]["by_stage"] == {"queued": 2, "staged": 2, "sealed": 4}
    assert sum(sum(day.values()) for day in view["counts"]["by_day"].values()) == 8
    latest = view["recent"][0]
    assert latest["stage"] == "queued" and latest["record"]["id"] == newest["id"]
    assert latest["record"]["url"] == "https://app.example.com/x"  # redacted as when sealed
    assert latest["record"]["contributor"] == contributor("alice")
    assert [b["events"] for b in view["batches"]] == [4]
    assert {r["record"]["id"] for r in view["recent"]} >= set(ids["alice"]["sealed"])
    assert contributor("bob") not in json.dumps(view)


def test_my_token_never_reaches_another_employee(
    redis_conn, settings, client, people, admin, work_jobs
):
    """alice's token cannot read, change or erase bob's data: 401, 403 or 404, never bob's."""
    spread(redis_conn, settings, people)
    alice = people["alice"]
    bob_receipt = admin.call("DELETE", "/me/api/data", token=people["bob"], expect=(202,))
    work_jobs()
    bob_export = json.dumps(admin.call("GET", "/me/api/data", token=people["bob"]))

    assert admin.request("GET", "/me/api/data?employee=bob", token=alice)[0] == 403
    assert admin.request("GET", "/me/api/overview?employee=bob", token=alice)[0] == 403
    assert admin.request("DELETE", "/me/api/data?employee=bob", token=alice)[0] == 403
    body = {"categories": {"clicks": False}}
    assert admin.request("PUT", "/me/api/consent?employee=bob", body, token=alice)[0] == 403
    status, body = admin.request(
        "GET", f"/me/api/receipts/{bob_receipt['receipt_id']}", token=alice
    )
    assert status == 404 and body["code"] == "receipt_not_found"
    assert admin.request("DELETE", "/admin/api/employees/bob/data", token=alice)[0] == 403
    assert client.get("/me/api/data").status_code == 401
    assert admin.request("GET", "/me/api/data", token="ovt_forged")[0] == 401
    # alice erasing herself leaves bob exactly as he was.
    admin.call("DELETE", "/me/api/data", token=alice, expect=(202,))
    work_jobs()
    after = admin.call("GET", "/me/api/data", token=people["bob"])
    assert json.dumps({**after, "exported_at": None}) == json.dumps(
        {**json.loads(bob_export), "exported_at": None}
    )


def path_of(url: str) -> str:
    """Return the path and query of `url` (what the test client requests)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_popup_link_opens_a_page_session(app, client, people):
    """A device token buys a one-time link; opening it sets a session cookie the page uses."""
    link = client.post("/me/api/session", headers=bearer(people["alice"])).get_json()
    assert link["url"].startswith("http://localhost/me?session=")
    browser = app.test_client()
    opened = browser.get(path_of(link["url"]))
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/me")
    cookie = opened.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    view = browser.get("/me/api/overview")
    assert view.status_code == 200 and view.get_json()["employee"] == "alice"
    # Used once only, and a stranger without the cookie gets nothing.
    assert app.test_client().get(path_of(link["url"])).status_code == 401
    assert app.test_client().get("/me/api/overview").status_code == 401
    # Changes from the page need the header a cross-site form cannot send.
    body = {"categories": {"scroll": False}}
    refused = browser.put("/me/api/consent", json=body)
    assert refused.status_code == 403 and refused.get_json()["code"] == "csrf"
    done = browser.put("/me/api/consent", json=body, headers={"X-Overt-Me": "1"})
    assert done.status_code == 200 and done.get_json()["categories"]["scroll"] is False
    # A session cannot mint further links.
    assert browser.post("/me/api/session", json={}, headers={"X-Overt-Me": "1"}).status_code == 401


def test_signing_out_needs_the_csrf_header(app, client, people):
    """DELETE /me/api/session is a change like any other: without the header, nothing ends."""
    link = client.post("/me/api/session", headers=bearer(people["alice"])).get_json()
    browser = app.test_client()
    browser.get(path_of(link["url"]))
    refused = browser.delete("/me/api/session")
    assert refused.status_code == 403 and refused.get_json()["code"] == "csrf"
    assert browser.get("/me/api/overview").status_code == 200, "a forged request signed out"
    done = browser.delete("/me/api/session", headers={"X-Overt-Me": "1"})
    assert done.status_code == 200 and done.get_json()["signed_out"] is True
    assert browser.get("/me/api/overview").status_code == 401


def test_signing_out_without_a_session_is_unauthenticated(app, client, people):
    """No session at all: 401 unauthorized, header or not (before, 403 csrf without the header,
    as if a session had been forged). A signed-out cookie is no session either."""
    for headers in ({}, {"X-Overt-Me": "1"}):
        refused = app.test_client().delete("/me/api/session", headers=headers)
        assert refused.status_code == 401, refused.get_json()
        assert set(refused.get_json()) == {"code", "status", "message", "errors"}
        assert refused.get_json()["code"] == "unauthorized"
    link = client.post("/me/api/session", headers=bearer(people["alice"])).get_json()
    browser = app.test_client()
    browser.get(path_of(link["url"]))
    assert browser.delete("/me/api/session", headers={"X-Overt-Me": "1"}).status_code == 200
    browser.set_cookie("overt_me", "not-a-signed-session", path="/me")
    assert browser.delete("/me/api/session").status_code == 401


def test_a_forged_or_expired_link_is_refused(app, client, people):
    """A link whose signature does not verify signs nobody in."""
    link = client.post("/me/api/session", headers=bearer(people["alice"])).get_json()
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link["url"]).query)["session"][0]
    page = app.test_client().get("/me?session=" + token[:-2] + "xx")
    assert page.status_code == 401 and "Set-Cookie" not in page.headers
    assert "expired" in page.get_data(as_text=True)


def test_revoking_the_device_ends_its_page_sessions(app, client, people, admin):
    """A session lives only as long as the device token it was opened with."""
    link = client.post("/me/api/session", headers=bearer(people["alice"])).get_json()
    browser = app.test_client()
    browser.get(path_of(link["url"]))
    assert browser.get("/me/api/consent").status_code == 200
    admin.call("POST", "/admin/api/employees/alice/revoke")
    assert browser.get("/me/api/consent").status_code == 401


def test_an_export_never_leaves_out_a_sealed_batch_it_cannot_read(
    redis_conn, settings, people, tmp_path
):
    """A backend whose datasets location holds no shards the batch index lists (given another
    OVERT_DATASETS_URL than the workers, or the datasets moved) answered the export 200 with
    each of my sealed batches and `"records": []`: an export of everything held about me, short
    of everything sealed, saying nothing. It is a 503 `datasets_unavailable`; the overview too."""
    from backend import create_app

    spread(redis_conn, settings, people)
    elsewhere = tmp_path / "other-datasets"
    elsewhere.mkdir()
    moved = type(settings)(**{**settings.__dict__, "datasets_url": str(elsewhere)})
    app = create_app({"OVERT_SETTINGS": moved, "TESTING": True})
    try:
        client = app.test_client()
        for path in ("/me/api/data", "/me/api/overview"):
            response = client.get(path, headers=bearer(people["alice"]))
            assert response.status_code == 503, (path, response.get_data(True)[:300])
            assert response.get_json() == {
                "code": "datasets_unavailable",
                "status": 503,
                "message": "the sealed datasets could not be read; try again, or tell the "
                "administrator",
                "errors": {},
            }
    finally:
        app.extensions["overt.services"].stop()
