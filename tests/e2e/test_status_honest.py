"""The badge and the popup say REC / Capturing only where capture runs, and otherwise why not."""

from __future__ import annotations

from tests.e2e.conftest import ALL_CATEGORIES
from tests.e2e.e2e_harness import wait_for
from tests.e2e.popup_helpers import badge, popup_for, tab_id

# Records every text the popup's headline shows, from the first paint on.
STATUS_LOG = """
window.__statusLog = [];
document.addEventListener("DOMContentLoaded", () => {
  const node = document.getElementById("status");
  if (!node) return;
  window.__statusLog.push(node.textContent);
  new MutationObserver(() => window.__statusLog.push(node.textContent))
    .observe(node, { childList: true, characterData: true, subtree: true });
});
"""


def headline(popup) -> str:
    return popup.inner_text("#status")


def test_nothing_switched_on_right_after_enrolment(live_server, enrolled, launch_browser, pages):
    """Enrolled, connected, on a work app, but no category on: "nothing switched on", not REC."""
    token = enrolled(consent=())
    browser = launch_browser(live_server.ws_url, token)
    browser.wait_for_status("capturing")  # connected and in policy: only consent is missing
    url = pages.url("/app/home")
    browser.open(url)
    popup = popup_for(browser, url)
    popup.wait_for_selector("text=Not capturing: nothing switched on")
    assert popup.inner_text("#on") == "nothing"
    assert pages.origin in popup.inner_text("#sites")
    wait_for(lambda: badge(browser, tab_id(browser, url))[0] == "off", 10, message="badge off")
    assert "nothing switched on" in badge(browser, tab_id(browser, url))[1]


def test_rec_only_on_a_work_app(capturing, pages):
    """REC and "Capturing" on the work app; "Not a work app" on another origin, same browser."""
    work = pages.url("/app/home")
    other = work.replace("127.0.0.1", "localhost")  # same server, another origin
    capturing.open(work)
    capturing.open(other)
    wait_for(lambda: badge(capturing, tab_id(capturing, work))[0] == "REC", 10, message="REC")
    wait_for(lambda: badge(capturing, tab_id(capturing, other))[0] == "off", 10, message="off")
    assert "not a work app" in badge(capturing, tab_id(capturing, other))[1]

    here = popup_for(capturing, work)
    here.wait_for_selector("text=Capturing on this work app")
    assert here.inner_text("#sites") == pages.origin
    assert here.inner_text("#on") == "Pages, Clicks, Forms, Scrolling, Tab focus, Typing activity"
    elsewhere = popup_for(capturing, other)
    elsewhere.wait_for_selector("text=Not capturing here: not a work app")
    assert "localhost" in elsewhere.inner_text("#detail")


def test_admin_pause_hides_pause_for_me(capturing, pages, admin):
    """While the administrator's pause is on, the popup says so and offers no "Pause for me"."""
    url = pages.url("/app/home")
    capturing.open(url)
    admin.pause(reason="Quarterly audit")
    capturing.wait_for_status("paused_admin")
    popup = popup_for(capturing, url)
    popup.wait_for_selector("text=Paused by your administrator")
    assert "Quarterly audit" in popup.inner_text("#detail")
    assert not popup.is_visible("#snooze-section")
    assert popup.is_visible("#my-data")
    wait_for(lambda: badge(capturing, tab_id(capturing, url))[0] == "||", 10, message="badge ||")


def test_refused_token_offers_no_my_data(live_server, enrolled, launch_browser, pages):
    """With the token refused, neither "My data" nor "Pause for me" is offered."""
    enrolled()
    browser = launch_browser(live_server.ws_url, "ovt_not-a-real-token")
    browser.wait_for_status("bad_token")
    url = pages.url("/app/home")
    browser.open(url)
    popup = popup_for(browser, url)
    popup.wait_for_selector("text=refused the enrollment token")
    assert not popup.is_visible("#my-data")
    assert not popup.is_visible("#snooze-section")


def test_after_a_restart_the_last_state_shows_at_once(capturing, pages):
    """After a browser restart the badge is never empty and the popup never shows a bare "…"."""
    url = pages.url("/app/home")
    capturing.open(url)
    wait_for(lambda: badge(capturing, tab_id(capturing, url))[0] == "REC", 10, message="REC")
    capturing.restart()
    # Shown from storage as the worker starts, before its state is restored (it was 1.5-3 s).
    wait_for(lambda: capturing.evaluate("chrome.action.getBadgeText({})"), 1.5, 0.02, "badge")
    capturing.context.add_init_script(STATUS_LOG)
    capturing.open(url)
    popup = popup_for(capturing, url)
    wait_for(lambda: headline(popup) == "Capturing on this work app", 10, message="fresh state")
    log = popup.evaluate("window.__statusLog")
    shown = [text for text in log if text.strip() not in ("", "Checking…")]
    assert shown, log
    assert all(
        text.startswith(("Capturing on this work app", "Not capturing")) for text in shown
    ), log
    assert capturing.evaluate("chrome.action.getBadgeText({})") != ""
    capturing.wait_until_capturing(pages.origin, ALL_CATEGORIES)
