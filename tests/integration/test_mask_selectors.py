"""The policy's mask_selectors: validated, stored, and pushed live to every extension."""

from tests.helpers import WSClient, http

BODY = {
    "categories": ["clicks"],
    "purpose": "Tests",
    "retention_days": 30,
    "allowed_origins": ["https://app.example.com"],
}


def put_policy(live_server, body):
    return http("PUT", live_server.http_url + "/admin/api/policy", live_server.admin_token, body)


def test_mask_selectors_reach_connected_and_new_extensions(live_server, admin):
    """A change is pushed to a connected socket and is in the next welcome; consent survives."""
    admin.set_policy(categories=["clicks"], allowed_origins=["https://app.example.com"])
    token = admin.enroll("alice", "sales")
    admin.set_consent(token, {"clicks": True})
    client = WSClient(live_server.ws_url)
    try:
        welcome = client.hello(token)
        assert welcome["policy"]["mask_selectors"] == []
        status, policy = put_policy(live_server, {**BODY, "mask_selectors": [".note", "#crm td"]})
        assert status == 200 and policy["mask_selectors"] == [".note", "#crm td"]
        pushed = client.recv_type("policy")
        assert pushed["mask_selectors"] == [".note", "#crm td"]
    finally:
        client.close()
    later = WSClient(live_server.ws_url)
    try:
        assert later.hello(token)["policy"]["mask_selectors"] == [".note", "#crm td"]
    finally:
        later.close()
    status, kept = put_policy(live_server, BODY)  # as `overt policy set` does: omitted, kept
    assert status == 200 and kept["mask_selectors"] == [".note", "#crm td"]
    consent = http("GET", live_server.http_url + "/me/api/consent", token)[1]
    assert consent["categories"]["clicks"] is True  # masking more never lapses consent


def test_mask_selectors_are_bounded_strings(live_server, admin):
    """Not strings, too many, too long, or no selector a browser takes: a 422 in the one error
    shape, nothing stored."""
    admin.set_policy()
    for bad in ([1], ["x" * 201], [""], ["a"] * 101, "td", ["p:::bad"], ["div["], [".a:nope"]):
        status, body = put_policy(live_server, {**BODY, "mask_selectors": bad})
        assert status == 422, bad
        assert set(body) == {"code", "status", "message", "errors"}
        assert "mask_selectors" in body["errors"]
    assert admin.call("GET", "/admin/api/policy")["mask_selectors"] == []


def test_a_selector_no_browser_takes_says_why(live_server, admin):
    """Each refused selector is named with the reason; standard selectors of every kind pass."""
    admin.set_policy()
    status, body = put_policy(live_server, {**BODY, "mask_selectors": [".ok", "li:hover:nope"]})
    assert status == 422
    assert body["errors"]["mask_selectors"] == {"1": [":nope is not a pseudo-class browsers know"]}
    good = [
        "#crm td:nth-child(2)",
        "[data-private], .customer-name",
        "main > section:not(.public) :is(p, li)",
        "tr:has(> td.name)",
        "[aria-label*=name i]",
    ]
    status, policy = put_policy(live_server, {**BODY, "mask_selectors": good})
    assert status == 200 and policy["mask_selectors"] == good
