"""The admin console in real Chromium: sign in, pause a team, watch acknowledgements, resume."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from tests.e2e.e2e_harness import wait_for
from tests.helpers import WSClient

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


class AckingClient(threading.Thread):
    """A real WebSocket client that acknowledges every pause it is sent, like the extension."""

    def __init__(self, ws_url: str, token: str):
        super().__init__(daemon=True)
        self.client = WSClient(ws_url)
        self.client.hello(token)
        self.pauses: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                data = self.client.ws.receive(timeout=0.2)
            except Exception:  # the socket closed at teardown
                return
            frame = json.loads(data) if data else {}
            if frame.get("type") == "pause":
                self.pauses.append(frame["pause_id"])
                self.client.send({"type": "pause_applied", "pause_id": frame["pause_id"]})

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)
        self.client.close()


def test_console_pauses_a_team_and_shows_acknowledgements(
    live_server, enrolled, launch_browser, pages, admin
):
    """Sign in, pause "sales", see 2 of 2 sales clients acknowledge (the extension among them)."""
    from playwright.sync_api import expect  # here: without Playwright the fixtures skip first

    browser = launch_browser(live_server.ws_url, enrolled("alice", team="sales"))
    browser.wait_until_capturing(pages.origin)
    bob = AckingClient(live_server.ws_url, enrolled("bob", team="sales"))
    carol = AckingClient(live_server.ws_url, enrolled("carol", team="support"))
    for client in (bob, carol):
        client.start()
    try:
        page = browser.context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(live_server.http_url + "/admin")
        page.get_by_label("Admin token", exact=True).fill(live_server.admin_token)
        page.get_by_label("Admin token", exact=True).press("Enter")
        page.get_by_text("signed in as bootstrap").wait_for()
        # Wait on selectors, not wait_for_function: the console's CSP forbids eval.
        expect(page.locator("#device-count")).to_have_text("3")

        page.get_by_label("Who").select_option("team")
        page.get_by_label("Team or employee").fill("sales")
        page.get_by_label("Reason (shown to employees)").fill("Quarter close")
        page.get_by_label("Reason (shown to employees)").press("Enter")  # keyboard only
        acks = page.locator("#pause-table tbody tr").first.locator("td.acks")
        acks.filter(has_text="2 of 2").wait_for(timeout=15000)
        row = page.locator("#pause-table tbody tr").first
        assert "team sales" in row.inner_text() and "Quarter close" in row.inner_text()
        assert carol.pauses == [] and len(bob.pauses) == 1
        assert browser.wait_for_status("paused_admin")

        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "admin-console.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"admin console screenshot: {shot}")

        page.get_by_role("button", name="Resume team sales").focus()
        for _ in range(2):  # live updates land meanwhile; keyboard focus stays on the button
            before = page.locator("#updated").inner_text()
            expect(page.locator("#updated")).not_to_have_text(before)
        assert page.evaluate("document.activeElement.textContent") == "Resume team sales"
        page.keyboard.press("Enter")
        page.get_by_text("Capture is running: nothing is paused.").wait_for()
        wait_for(lambda: not admin.status()["paused"], 5, message="resume")
        browser.wait_for_status("capturing")
        # The policy editor renders the stored policy and saves a change.
        page.get_by_label("Retention (days)").fill("45")
        page.get_by_role("button", name="Save policy").click()
        page.get_by_text("Policy saved").wait_for()
        assert admin.call("GET", "/admin/api/policy")["retention_days"] == 45
        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        page.screenshot(path=str(ARTIFACTS / "admin-console-phone.png"), full_page=True)
        assert errors == []
        cookies = {c["name"]: c for c in browser.context.cookies()}
        assert cookies["overt_admin"]["httpOnly"] and cookies["overt_admin"]["sameSite"] == "Strict"
        assert live_server.admin_token not in page.content()
    finally:
        bob.stop()
        carol.stop()
