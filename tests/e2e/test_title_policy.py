"""A record's name in the page title (extension/shared/title-policy.js): a record's page names
the record in its main heading and again in its title, which every event carries. The name is
"[content]" in the title of every event sent from that page; a list page's title, whose heading is
UI vocabulary, is sent as it is. The page is tests/e2e/pages/title/contact.html.
"""

from __future__ import annotations

import pytest

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import capture_everything, of_type
from tests.e2e.redteam import check_clean
from tests.e2e.test_label_policy import arrived, open_app

RECORD_TITLE = "[content] · Contacts · Acme CRM"
LIST_TITLE = "Contacts · Acme CRM"


@pytest.fixture
def capturing(live_server, admin, launch_browser, pages):
    """A capturing browser consented to every category; the rarity gate's k is 1."""
    return capture_everything(live_server, admin, launch_browser, pages)


def test_the_record_a_page_is_about_is_not_in_its_title(
    capturing, pages, live_server, queued_events, run_workers
):
    """Page view, observation and clicks on the record's page carry "[content]" where the title
    names the record; after the route to the list, the title is the list's, unchanged."""
    page = open_app(capturing, pages, queued_events, "/title/contact.html")
    page.click("#edit")
    page.click("#call")
    arrived(queued_events, "click", target__selector="#call")
    page.click("#contacts")
    wait_for(lambda: of_type(queued_events(), "route_change"), 10, message="route change")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    events = queued_events()
    titles = {(e["type"], (e.get("target") or {}).get("label")): e.get("title") for e in events}
    assert titles[("page_view", None)] == RECORD_TITLE, titles
    assert titles[("click", "Edit")] == RECORD_TITLE, titles
    assert titles[("click", "Call")] == RECORD_TITLE, titles
    assert titles[("route_change", None)] == LIST_TITLE, titles
    assert titles[("click", "Done")] == LIST_TITLE, titles
    on_record = [e for e in events if "#/contacts" not in e["url"]]
    assert {e.get("title") for e in on_record} == {RECORD_TITLE}, on_record
    check_clean(capturing, live_server, ["Hortensia", "Blackwood"], run_workers)


def test_a_route_is_described_once_its_page_is_drawn(
    capturing, pages, live_server, queued_events, run_workers
):
    """A list row opens a record as single-page apps do: the title names the record, then the
    address changes, a spinner turns, and the record's heading and buttons are drawn 400 ms later.
    The route change waits for the page to settle (content/capture.js describeLater): its title
    has the name as "[content]", and the observation after it holds the record's buttons, not the
    list's."""
    page = open_app(capturing, pages, queued_events, "/title/contacts.html")
    page.click("#open")
    (route,) = wait_for(lambda: of_type(queued_events(), "route_change"), 10, message="route")
    page.click("#archive")
    arrived(queued_events, "click", target__selector="#archive")
    events = queued_events()
    assert route["title"] == RECORD_TITLE, route
    assert route["url"].endswith("#/contacts/17") and route["from"].endswith("/contacts.html")
    after = events[events.index(route) + 1 :]
    assert [e["type"] for e in after] == ["observation", "click"], after
    labels = {e.get("label") for e in after[0]["elements"]}
    assert {"Call", "Archive"} <= labels and "Refresh" not in labels, labels
    assert after[1]["target"]["bid"] in {e["bid"] for e in after[0]["elements"]}
    assert route["ts"] <= after[0]["ts"] <= after[1]["ts"]
    check_clean(capturing, live_server, ["Hortensia", "Blackwood"], run_workers)


def test_a_page_view_is_described_once_its_page_is_drawn(
    capturing, pages, live_server, queued_events, run_workers
):
    """A record's page loaded by a single-page app: the title names the record at once, the heading
    only once the spinner stops, 1.5 s after the load event. The page view waits for the page to
    settle: its title has "[content]" and its observation the record's buttons."""
    page = open_app(capturing, pages, queued_events, "/title/record.html")
    (view,) = of_type(queued_events(), "page_view")
    page.click("#call")
    arrived(queued_events, "click", target__selector="#call")
    events = queued_events()
    assert view["title"] == RECORD_TITLE, view
    after = events[events.index(view) + 1 :]
    assert [e["type"] for e in after] == ["observation", "click"], after
    assert {"Call", "Archive"} <= {e.get("label") for e in after[0]["elements"]}, after[0]
    check_clean(capturing, live_server, ["Hortensia", "Blackwood"], run_workers)
