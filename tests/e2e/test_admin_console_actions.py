"""The admin console's other actions in real Chromium, in a time zone that is not the server's.

Enrol (the token shown once), revoke a connected device, pause everyone with a purge and
resume, the policy editor's `min_contributors`, an erasure with a reason, times in the
viewer's zone, and a layout that fits 1280x800 and a phone.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from backend.core.audit import read_audit
from tests.e2e.e2e_harness import CHROMIUM_ARGS
from tests.helpers import WSClient, make_event

ZONE = "Asia/Kolkata"  # UTC+05:30 all year: a clock no test machine is likely to run on


@pytest.fixture
def console(playwright_instance, chromium_executable, live_server):
    """A plain Chromium page (no extension) in ZONE at 1280x800, signed in to the console."""
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
    )
    context = browser.new_context(
        timezone_id=ZONE, locale="en-GB", viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    page.on("dialog", lambda dialog: dialog.accept())  # the console confirms destructive actions
    page.goto(live_server.http_url + "/admin")
    page.get_by_label("Admin token", exact=True).fill(live_server.admin_token)
    page.get_by_label("Admin token", exact=True).press("Enter")
    page.get_by_text("signed in as bootstrap").wait_for()
    yield page
    context.close()
    browser.close()


def local_time(ms: int) -> str:
    """Return ms as HH:MM:SS in ZONE (what toLocaleString shows in en-GB)."""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(ZONE)).strftime("%H:%M:%S")


def fits_width(page) -> bool:
    """Return whether the page needs no horizontal scrolling (tables scroll in their own box)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_enrol_revoke_pause_purge_policy_erase(
    console, live_server, admin, redis_conn, work_jobs, queued_events
):
    """Every console action, by keyboard where it is a form; the audit log names each one."""
    from playwright.sync_api import expect

    page = console
    admin.set_policy()
    assert fits_width(page)

    # Enrol: the device token is shown once, then gone from the page for good.
    page.get_by_label("Enrol employee").fill("dana")
    page.get_by_label("Team", exact=True).fill("ops")
    page.get_by_label("Team", exact=True).press("Enter")
    token = page.locator("#enroll-result code.token").inner_text()
    assert token.startswith("ovt_")
    page.get_by_role("button", name="Done, hide it").press("Enter")
    assert token not in page.content()
    page.reload()
    page.get_by_text("signed in as bootstrap").wait_for()
    assert token not in page.content()

    # A connected device appears under its team; queued events wait for a purge.
    admin.set_consent(token, {"clicks": True})
    dana = WSClient(live_server.ws_url)
    try:
        dana.hello(token)
        assert dana.send_events(1, [make_event("click")])["accepted"] == 1
        expect(page.locator("#device-count")).to_have_text("1")
        expect(page.locator("#device-teams")).to_contain_text("ops (1)")

        # Pause everyone, purging what is queued: the time shown is the viewer's.
        page.get_by_label("Who").select_option("all")
        page.get_by_label("Reason (shown to employees)").fill("Audit freeze")
        page.get_by_label("Also delete queued, unsealed events").check()
        page.get_by_label("Reason (shown to employees)").press("Enter")
        expect(page.locator("#flash")).to_contain_text("1 queued events deleted")
        assert queued_events() == []
        assert dana.recv_type("pause")["reason"] == "Audit freeze"
        (active,) = admin.status()["paused"]
        since_ms = int(datetime.fromisoformat(active["since"]).timestamp() * 1000)
        expect(page.locator("#active-pauses")).to_contain_text(local_time(since_ms))
        page.get_by_role("button", name="Resume everyone").press("Enter")
        page.get_by_text("Capture is running: nothing is paused.").wait_for()

        # Revoke the connected device from the device list.
        page.get_by_role("button", name=re.compile(r"^Revoke device dev_\w+ of dana$")).click()
        expect(page.locator("#flash")).to_contain_text("Revoked device")
        assert admin.request("GET", "/me/api/consent", token=token)[0] == 401
    finally:
        dana.close()

    # The policy editor holds min_contributors; a change is saved and audited.
    k = page.get_by_label("Minimum contributors (k)")
    k.fill("5")
    page.get_by_role("button", name="Save policy").click()
    page.get_by_text("Policy saved").wait_for()
    assert admin.call("GET", "/admin/api/policy")["min_contributors"] == 5

    # Erase with a reason; the job audits it with that reason.
    page.get_by_label("Erase all data of").fill("dana")
    page.get_by_label("Reason (kept in the audit log)").fill("left the company")
    page.get_by_label("Reason (kept in the audit log)").press("Enter")
    expect(page.locator("#flash")).to_contain_text("Erased dana")
    work_jobs()
    page.get_by_role("button", name="Newest").click()
    expect(page.locator("#audit-table")).to_contain_text("left the company")
    page.get_by_role("button", name="Verify chain").click()
    expect(page.locator("#audit-verdict")).to_contain_text("chain intact")
    actions = [e["action"] for e in read_audit(redis_conn, 50)][::-1]
    for action in ("enroll", "pause", "resume", "revoke", "min_contributors", "erase"):
        assert action in actions, actions
    newest = read_audit(redis_conn, 1)[0]
    assert local_time(newest["at"]) in page.locator("#audit-table").inner_text()

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    assert fits_width(page)
    assert page.errors == []
