"""The employee's view: popup state, consent toggles, snooze, "my data"; the options page."""

from __future__ import annotations

import time

from tests.e2e.e2e_harness import EXTENSION_ID, wait_for
from tests.e2e.events_helpers import of_type, sent_events
from tests.e2e.popup_helpers import popup_for
from tests.helpers import http

OPTIONS = f"chrome-extension://{EXTENSION_ID}/options/options.html"


def test_popup_shows_state_and_changes_consent(capturing, live_server, pages):
    """The popup shows capturing; a toggle turned off reaches the server and stops that category."""
    capturing.open(pages.url("/app/home"))
    popup = popup_for(capturing, pages.url("/app/home"))
    popup.wait_for_selector("text=Capturing on this work app")
    assert popup.is_checked("input[data-category=clicks]")
    popup.uncheck("input[data-category=clicks]")
    wait_for(
        lambda: (
            http("GET", live_server.http_url + "/me/api/consent", capturing.token)[1]["categories"][
                "clicks"
            ]
            is False
        ),
        10,
        message="consent saved on the server",
    )
    wait_for(lambda: "clicks" not in capturing.gate()["categories"], 10, message="gate updated")
    assert not popup.is_checked("input[data-category=clicks]")


def test_snooze_pauses_me_until_i_resume(capturing, pages, live_server, queued_events):
    """ "Until I resume" stops capture and says so; Resume starts it again."""
    page = capturing.open(pages.url("/app/home"))
    popup = popup_for(capturing, pages.url("/app/home"))
    popup.click("text=Until I resume")
    popup.wait_for_selector("text=Paused by you")
    capturing.wait_for_status("paused_self")
    page.click("#save")
    time.sleep(1.0)
    assert of_type(sent_events(live_server), "click") == []
    popup.click("#unsnooze")
    popup.wait_for_selector("text=Capturing on this work app")
    capturing.wait_for_status("capturing")
    page.click("#save")
    wait_for(lambda: of_type(queued_events(), "click"), 10, message="click after resume")


def test_my_data_opens_a_signed_link(capturing, live_server, pages):
    """ "My data" asks the server for a short-lived link and opens it in a tab."""
    capturing.open(pages.url("/app/home"))
    popup = popup_for(capturing, pages.url("/app/home"))
    popup.wait_for_selector("text=Capturing on this work app")
    with capturing.context.expect_page() as opened:
        popup.click("#my-data")
    page = opened.value
    page.wait_for_load_state()
    assert page.url.startswith(live_server.http_url + "/me")


def test_a_server_set_for_everyone_takes_the_employees_own_token(
    live_server, enrolled, launch_browser, pages
):
    """The organisation sets only the server (a policy printed by `overt policy chrome` without
    --token; config.json here, read before the options page like managed storage): the options
    page shows it, not editable, and the employee's token alone starts capture with it."""
    token = enrolled()
    browser = launch_browser(live_server.ws_url, None)
    browser.wait_for_status("not_configured")
    options = browser.context.new_page()
    options.goto(OPTIONS)
    options.wait_for_selector("text=The server is set by the config.json")
    assert options.is_disabled("#server") and options.input_value("#server") == live_server.ws_url
    assert options.is_enabled("#token")
    options.fill("#token", token)
    options.click("text=Save and connect")
    browser.wait_until_capturing(pages.origin, ["clicks"])
    config = browser.evaluate("globalThis.overt.config()")
    assert (config["source"], config["tokenSource"]) == ("config.json", "options"), config


def test_options_page_is_all_an_employee_needs(live_server, enrolled, launch_browser, pages):
    """Without configuration the badge says so; entering server and token starts capture."""
    token = enrolled()
    browser = launch_browser(None, None)
    browser.wait_for_status("not_configured")
    options = browser.context.new_page()
    options.goto(OPTIONS)
    options.fill("#server", live_server.ws_url)
    options.fill("#token", token)
    options.click("text=Save and connect")
    browser.wait_until_capturing(pages.origin, ["clicks"])
    options.wait_for_selector("text=Capturing on your work apps")
