"""`/me/api`: export, overview, page sessions, and one employee never reaching another's data."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from tests.helpers import http, make_event
from tests.integration.me_helpers import (
    Browserish,
    clicks,
    contributor,
    queue_raw,
    seal,
    send,
    stage_all,
)


@pytest.fixture
def people(admin):
    """alice and bob, enrolled and consenting to clicks and scroll; returns their tokens."""
    admin.set_policy()
    tokens = {name: admin.enroll(name, "sales") for name in ("alice", "bob")}
    for token in tokens.values():
        admin.set_consent(token, {"clicks": True, "scroll": True})
    return tokens


def spread(redis_conn, settings, live_server, people) -> dict[str, dict[str, list]]:
    """Give alice and bob sealed, staged and queued events; return their ids by stage."""
    ids: dict[str, dict[str, list]] = {}
    for name, token in people.items():
        sealed = [*clicks(3), make_event("scroll")]
        assert send(live_server, token, sealed)["accepted"] == 4
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


def test_export_holds_exactly_my_data(redis_conn, settings, live_server, people):
    """The export lists my sealed, staged and queued events, ledger and consent; nothing of bob."""
    ids = spread(redis_conn, settings, live_server, people)
    status, head, doc = Browserish().call(
        "GET",
        live_server.http_url + "/me/api/data",
        headers={"Authorization": f"Bearer {people['alice']}"},
    )
    assert status == 200
    assert head["Content-Disposition"].startswith('attachment; filename="overt-export-alice-')
    assert doc["employee"] == "alice" and doc["pseudonym"] == contributor("alice")
    assert [e["event"]["id"] for e in doc["queued"]] == ids["alice"]["queued"]
    assert [r["id"] for r in doc["staged"]] == ids["alice"]["staged"]
    sealed = [r["id"] for b in doc["sealed"] for r in b["records"]]
    assert sorted(sealed) == sorted(ids["alice"]["sealed"])
    assert doc["consent"]["categories"]["clicks"] is True
    assert [e["granted"] for e in doc["ledger"]] == [["clicks", "scroll"]]
    text = json.dumps(doc)
    for bob_id in [i for stage in ids["bob"].values() for i in stage]:
        assert bob_id not in text
    assert contributor("bob") not in text and '"bob"' not in text


def test_overview_counts_and_shows_records_as_sealed(redis_conn, settings, live_server, people):
    """Counts by category and day, the latest records as a dataset holds them, my batches."""
    ids = spread(redis_conn, settings, live_server, people)
    newest = make_event("click", url="https://app.example.com/x?q=secret#f")
    newest["ts"] += 1000  # after every other event of the test
    queue_raw(redis_conn, "alice", [newest], team="sales")
    status, view = http("GET", live_server.http_url + "/me/api/overview", people["alice"])
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


def test_my_token_never_reaches_another_employee(redis_conn, settings, live_server, people, admin):
    """alice's token cannot read, change or erase bob's data: 401, 403 or 404, never bob's."""
    spread(redis_conn, settings, live_server, people)
    base, alice = live_server.http_url, people["alice"]
    bob_receipt = admin.call("DELETE", "/me/api/data", token=people["bob"])
    bob_export = json.dumps(admin.call("GET", "/me/api/data", token=people["bob"]))

    assert http("GET", base + "/me/api/data?employee=bob", alice)[0] == 403
    assert http("GET", base + "/me/api/overview?employee=bob", alice)[0] == 403
    assert http("DELETE", base + "/me/api/data?employee=bob", alice)[0] == 403
    assert (
        http(
            "PUT", base + "/me/api/consent?employee=bob", alice, {"categories": {"clicks": False}}
        )[0]
        == 403
    )
    status, body = http("GET", base + f"/me/api/receipts/{bob_receipt['receipt_id']}", alice)
    assert status == 404 and body["code"] == "receipt_not_found"
    assert http("DELETE", base + "/admin/api/employees/bob/data", alice)[0] == 401
    assert http("GET", base + "/me/api/data")[0] == 401
    assert http("GET", base + "/me/api/data", "ovt_forged")[0] == 401
    # alice erasing herself leaves bob exactly as he was.
    admin.call("DELETE", "/me/api/data", token=alice)
    after = admin.call("GET", "/me/api/data", token=people["bob"])
    assert json.dumps({**after, "exported_at": None}) == json.dumps(
        {**json.loads(bob_export), "exported_at": None}
    )


def test_popup_link_opens_a_page_session(live_server, people):
    """A device token buys a one-time link; opening it sets a session cookie the page uses."""
    base = live_server.http_url
    status, link = http("POST", base + "/me/api/session", people["alice"])
    assert status == 200 and link["url"].startswith(base + "/me?session=")
    browser = Browserish()
    status, head, _ = browser.call("GET", link["url"])
    assert status == 303 and head["Location"].endswith("/me")
    assert "HttpOnly" in head["Set-Cookie"] and "SameSite=Strict" in head["Set-Cookie"]
    status, _, view = browser.call("GET", base + "/me/api/overview")
    assert status == 200 and view["employee"] == "alice"
    # Used once only, and a stranger without the cookie gets nothing.
    assert Browserish().call("GET", link["url"])[0] == 401
    assert Browserish().call("GET", base + "/me/api/overview")[0] == 401
    # Changes from the page need the header a cross-site form cannot send.
    body = {"categories": {"scroll": False}}
    status, _, err = browser.call("PUT", base + "/me/api/consent", body)
    assert status == 403 and err["code"] == "csrf"
    status, _, done = browser.call("PUT", base + "/me/api/consent", body, {"X-Overt-Me": "1"})
    assert status == 200 and done["categories"]["scroll"] is False
    # A session cannot mint further links.
    assert browser.call("POST", base + "/me/api/session", {}, {"X-Overt-Me": "1"})[0] == 401


def test_signing_out_needs_the_csrf_header(live_server, people):
    """DELETE /me/api/session is a change like any other: without the header, nothing ends."""
    base = live_server.http_url
    _, link = http("POST", base + "/me/api/session", people["alice"])
    browser = Browserish()
    browser.call("GET", link["url"])
    status, _, err = browser.call("DELETE", base + "/me/api/session")
    assert status == 403 and err["code"] == "csrf"
    assert browser.call("GET", base + "/me/api/overview")[0] == 200, "a forged request signed out"
    status, _, done = browser.call("DELETE", base + "/me/api/session", None, {"X-Overt-Me": "1"})
    assert status == 200 and done["signed_out"] is True
    assert browser.call("GET", base + "/me/api/overview")[0] == 401


def test_a_forged_or_expired_link_is_refused(live_server, people):
    """A link whose signature does not verify signs nobody in."""
    status, link = http("POST", live_server.http_url + "/me/api/session", people["alice"])
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link["url"]).query)["session"][0]
    forged = live_server.http_url + "/me?session=" + token[:-2] + "xx"
    status, head, page = Browserish().call("GET", forged)
    assert status == 401 and "Set-Cookie" not in head and "expired" in page


def test_revoking_the_device_ends_its_page_sessions(live_server, people, admin):
    """A session lives only as long as the device token it was opened with."""
    _, link = http("POST", live_server.http_url + "/me/api/session", people["alice"])
    browser = Browserish()
    browser.call("GET", link["url"])
    assert browser.call("GET", live_server.http_url + "/me/api/consent")[0] == 200
    admin.call("POST", "/admin/api/employees/alice/revoke")
    assert browser.call("GET", live_server.http_url + "/me/api/consent")[0] == 401
