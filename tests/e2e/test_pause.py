"""A pause stops capture in every tab at once, is acknowledged and survives restarts."""

from __future__ import annotations

import time

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import of_type, sent_events, sent_frames

QUIET_WINDOW = 1.0  # "nothing arrives" checks need a short fixed window; everything else waits


def click_arrives(browser, page, queued_events, selector="#save"):
    """Click and wait until the click is accepted by the backend."""
    before = len(of_type(queued_events(), "click", target__selector=selector))
    page.click(selector)
    wait_for(
        lambda: len(of_type(queued_events(), "click", target__selector=selector)) > before,
        10,
        message=f"click on {selector}",
    )


def clicks_sent(live_server) -> int:
    return len(of_type(sent_events(live_server), "click"))


def test_pause_stops_every_tab_and_is_acknowledged(
    capturing, pages, admin, live_server, queued_events
):
    """After a pause broadcast, clicks in any tab produce nothing, and the pause is acknowledged."""
    first = capturing.open(pages.url("/app/one"))
    second = capturing.open(pages.url("/app/two"))
    click_arrives(capturing, first, queued_events)
    click_arrives(capturing, second, queued_events)

    pause_id = admin.pause("all", reason="Quarterly audit")
    acks = wait_for(lambda: admin.pause_acks(pause_id), 10, message="pause_applied")
    assert len(acks) == 1
    assert {"type": "pause_applied", "pause_id": pause_id} in sent_frames(
        live_server, "pause_applied"
    )
    sent_before = clicks_sent(live_server)
    for page in (first, second):
        page.click("#save")
        page.click("[data-testid=archive]")
    time.sleep(QUIET_WINDOW)
    assert clicks_sent(live_server) == sent_before
    gate = capturing.gate()
    assert gate["status"] == "paused_admin" and gate["active"] is False


def test_pause_survives_a_service_worker_stop_and_resume_restarts(
    capturing, pages, admin, live_server, queued_events
):
    """A stopped worker restarts paused (state from storage, not globals); only resume lifts it."""
    page = capturing.open(pages.url("/app/home"))
    click_arrives(capturing, page, queued_events)
    pause_id = admin.pause({"employee": "alice"}, reason="Incident review")
    wait_for(lambda: admin.pause_acks(pause_id), 10, message="pause_applied")
    hellos = len(sent_frames(live_server, "hello"))
    sent_before = clicks_sent(live_server)

    capturing.stop_service_workers(page)
    page.click("#save")  # paused tabs send nothing, so this does not even wake the worker
    # A new tab's content script asks the worker for the gate: that wakes it, and it must
    # restore the pause from storage before answering.
    other = capturing.open(pages.url("/app/other"))
    wait_for(lambda: len(sent_frames(live_server, "hello")) > hellos, 15, message="reconnect")
    other.click("#save")
    page.click("#save")
    time.sleep(QUIET_WINDOW)
    assert clicks_sent(live_server) == sent_before
    assert capturing.gate()["status"] == "paused_admin"

    admin.resume(pause_id)
    capturing.wait_for_status("capturing")
    click_arrives(capturing, page, queued_events)


def test_pause_in_welcome_is_applied_and_acknowledged(
    live_server, enrolled, admin, launch_browser, pages
):
    """A browser starting during a pause learns it from welcome, acknowledges it, sends nothing."""
    token = enrolled()
    pause_id = admin.pause({"team": "support"}, reason="Maintenance")
    browser = launch_browser(live_server.ws_url, token)
    wait_for(lambda: admin.pause_acks(pause_id), 15, message="pause_applied from welcome")
    browser.wait_for_status("paused_admin")
    page = browser.open(pages.url("/app/home"))
    page.click("#save")
    time.sleep(QUIET_WINDOW)
    assert sent_frames(live_server, "events") == []


def test_pause_survives_a_browser_restart_without_the_server(
    capturing, pages, admin, live_server, queued_events
):
    """Restarted while the server is away, the browser stays paused: it never resumes by itself."""
    pause_id = admin.pause("all", reason="Legal hold")
    wait_for(lambda: admin.pause_acks(pause_id), 10, message="pause_applied")
    live_server.stop()
    capturing.restart()
    capturing.wait_for_status("paused_admin")
    page = capturing.open(pages.url("/app/home"))
    page.click("#save")
    time.sleep(QUIET_WINDOW)
    assert capturing.outbox_size() == 0
