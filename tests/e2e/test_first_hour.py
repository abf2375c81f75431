"""The first hour, as README.md's "First steps" tell it, in real Chromium with the real extension.

The admin's steps run the real `overt` command against the test's Redis (the backend is the
in-process live_server); the employee's steps go through the extension's options page, its
popup (opened as a tab) and the /me page. Each screen's text is checked, and a screenshot of
each is saved under the test's tmp dir (paths printed; pytest shows them when a step fails).
"""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path

import pytest

from tests.e2e.e2e_harness import EXTENSION_ID, wait_for
from tests.integration.processes import overt_env, run

POPUP = f"chrome-extension://{EXTENSION_ID}/popup/popup.html"
OPTIONS = f"chrome-extension://{EXTENSION_ID}/options/options.html"
TIMEOUT_MS = 15_000

# Every text this walk expects on a screen, in one place (the popup's words live in
# extension/shared/labels.js; the /me page's in backend/templates/me.html and backend/static/me.js).
SCREEN = {
    "popup_not_configured": "Not configured",
    "options_intro": "Your administrator gives you the server address",
    "popup_consent_heading": "What I allow",
    "popup_capturing": "Capturing on your work apps",
    "popup_paused_admin": "Paused by your administrator",
    "me_heading": "My data",
    "me_signed_in": "Signed in as alice (team sales)",
    "me_recent_click": "Click",
    "me_erase_question": "Erase everything Overt holds about you?",
    "me_receipt": "Erasure receipt",
}
PAUSE_REASON = "Quarter close"
CONSENTED = ("navigation", "clicks")


class Walk:
    """The admin's terminal and the artefacts of one walk through the first hour."""

    def __init__(self, env: dict, artefacts: Path):
        self.env = env
        self.artefacts = artefacts
        self.transcript = artefacts / "terminal.txt"
        self.shots = 0

    def overt(self, *args: str):
        """Run `overt ARGS` as the README shows; keep what it printed; return the result."""
        result = run(list(args), self.env)
        with self.transcript.open("a") as fh:
            fh.write(f"$ overt {shlex.join(args)}\n{result.stdout}{result.stderr}\n")
        assert result.returncode == 0, (args, result.stderr)
        return result

    def shot(self, page, name: str) -> None:
        """Save a screenshot of `page` as the next numbered artefact."""
        self.shots += 1
        path = self.artefacts / f"{self.shots:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")


@pytest.fixture
def walk(settings, redis_conn, tmp_path):
    artefacts = tmp_path / "first-hour"
    artefacts.mkdir()
    yield Walk(overt_env(settings), artefacts)
    print(f"terminal transcript: {artefacts / 'terminal.txt'}")


def queued_clicks(queued_events) -> int:
    return sum(1 for e in queued_events() if e["type"] == "click")


def test_first_hour(walk, live_server, pages, launch_browser, queued_events, run_workers):
    """Enrol, policy, options page, consent, browse, pause, resume, /me, export, erase."""
    # 1. Enrol (admin's terminal).
    token = walk.overt("enroll", "alice", "--team", "sales").stdout.strip()
    assert token.startswith("ovt_")

    # 2. Name the work app; until something arrives from it, status says so.
    named = walk.overt("policy", "set", "--origin", pages.origin)
    assert f"work apps {pages.origin}" in named.stdout
    status = walk.overt("status")
    assert "no batches sealed yet" in status.stdout
    assert f"no event has arrived from {pages.origin}" in status.stderr

    # 3. The extension, freshly loaded, says it needs setting up; the options page does it.
    browser = launch_browser(None, None)
    browser.wait_for_status("not_configured")
    popup = browser.context.new_page()
    popup.set_default_timeout(TIMEOUT_MS)
    popup.goto(POPUP)
    popup.wait_for_selector(f"#status:has-text('{SCREEN['popup_not_configured']}')")
    walk.shot(popup, "popup-not-configured")

    options = browser.context.new_page()
    options.set_default_timeout(TIMEOUT_MS)
    options.goto(OPTIONS)
    assert SCREEN["options_intro"] in options.inner_text("body")
    options.fill("#server", live_server.ws_url)
    options.fill("#token", token)
    walk.shot(options, "options-filled")
    options.click("button[type=submit]")
    options.wait_for_selector(f"#state:has-text('{live_server.ws_url}')")
    walk.shot(options, "options-connected")
    options.close()

    # 4. Consent in the popup: the policy's categories, all off until the employee turns them on.
    popup.reload()
    popup.wait_for_selector("#consent input[data-category=clicks]")
    assert SCREEN["popup_consent_heading"] in popup.text_content("#consent-section")
    assert not popup.is_checked("input[data-category=clicks]")
    for category in CONSENTED:
        popup.check(f"input[data-category={category}]")
        wait_for(
            lambda c=category: c in browser.gate().get("categories", []),
            15,
            message=f"{category} turned on",
        )
    browser.wait_until_capturing(pages.origin, CONSENTED)
    popup.wait_for_selector(f"#status:has-text('{SCREEN['popup_capturing']}')")
    walk.shot(popup, "popup-consented")

    # 5. Browse the work app: its clicks arrive, and status stops warning.
    app = browser.open(pages.url("/app/home"))
    # Its page view first (navigation is consented): the content script is listening by then.
    wait_for(
        lambda: any(e["type"] == "page_view" for e in queued_events()), 15, message="page view"
    )
    app.click("#save")
    wait_for(lambda: queued_clicks(queued_events) == 1, 15, message="the click arrives")
    walk.shot(app, "work-app")
    wait_for(
        lambda: "no event has arrived" not in walk.overt("status").stderr,
        10,
        message="status stops warning that nothing arrives",
    )

    # 6. Pause everyone: the popup says who paused and why; nothing is captured meanwhile.
    walk.overt("pause", "--reason", PAUSE_REASON)
    browser.wait_for_status("paused_admin")
    popup.wait_for_selector(f"#status:has-text('{SCREEN['popup_paused_admin']}')")
    assert PAUSE_REASON in popup.inner_text("#detail")
    walk.shot(popup, "popup-paused")
    app.click("#save")
    time.sleep(1.0)  # a "nothing arrives" check needs a short window
    assert queued_clicks(queued_events) == 1
    assert PAUSE_REASON in walk.overt("status").stdout

    # 7. Resume: capturing again.
    walk.overt("resume")
    browser.wait_for_status("capturing")
    popup.wait_for_selector(f"#status:has-text('{SCREEN['popup_capturing']}')")
    walk.shot(popup, "popup-resumed")
    app.click("#save")
    wait_for(lambda: queued_clicks(queued_events) == 2, 15, message="a click after resume")
    sealed = run_workers()
    assert sum(1 for r in sealed if r["type"] == "click") == 2
    assert "1 sealed" in walk.overt("status").stdout

    # 8. My data, from the popup: a one-time link that signs this browser in.
    with browser.context.expect_page() as opened:
        popup.click("#my-data")
    me = opened.value
    me.set_default_timeout(TIMEOUT_MS)
    me.wait_for_selector("#content:not([hidden])")
    # The one-time link (/me?session=...) was traded for a cookie and left the address bar.
    assert me.url == live_server.http_url + "/me"
    assert me.text_content("h1") == SCREEN["me_heading"]
    assert SCREEN["me_signed_in"] in me.text_content("#who")
    assert f"{len(sealed)} in sealed batches" in me.text_content("#totals")
    rows = me.locator("#recent-table tbody tr").all_inner_texts()
    assert len(rows) == len(sealed) and sum(SCREEN["me_recent_click"] in r for r in rows) == 2
    assert all(pages.origin in r for r in rows)
    walk.shot(me, "me")

    # 9. Export everything: one JSON file, alice's events only.
    with me.expect_download() as download:
        me.click("#export")
    doc = json.loads(Path(download.value.path()).read_text())
    assert doc["employee"] == "alice"
    exported = [r for batch in doc["sealed"] for r in batch["records"]]
    assert sorted(r["id"] for r in exported) == sorted(r["id"] for r in sealed)
    (walk.artefacts / "export.json").write_text(json.dumps(doc, indent=2))

    # 10. Erase everything: asked first, then a receipt, listed once.
    me.click("#erase")
    assert SCREEN["me_erase_question"] in me.inner_text("#erase-confirm")
    walk.shot(me, "me-erase-confirm")
    me.click("#erase-yes")
    me.wait_for_selector("#receipt[data-status=pending]:not([hidden])")
    run_workers()  # the erasure job rewrites the sealed batches
    me.wait_for_selector("#receipt[data-status=completed]:not([hidden])")
    assert SCREEN["me_receipt"] in me.inner_text("#receipt")
    me.wait_for_selector("#totals:has-text('0 event(s)')")
    receipt_id = me.text_content("#receipt-id")
    assert me.text_content("#receipt-total") == str(len(sealed))
    assert me.inner_text("#actions").count(receipt_id) == 1
    walk.shot(me, "me-erased")
