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
