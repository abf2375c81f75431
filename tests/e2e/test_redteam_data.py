"""Red team, data regions: pages that try to carry the names in a data table, tree or masked
element out of the browser by paths the other e2e pages do not take (tests/e2e/pages/redteam/;
the search for leaks is tests/e2e/redteam.py)."""

from __future__ import annotations

import pytest

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import capture_everything, of_type
from tests.e2e.redteam import check_clean
from tests.e2e.test_label_policy import arrived, open_app, set_policy


@pytest.fixture
def capturing(live_server, admin, launch_browser, pages):
    """A capturing browser consented to every category; the rarity gate's k is 1."""
    return capture_everything(live_server, admin, launch_browser, pages)


def click_labels(queued_events, count: int) -> list:
    """The labels of the first `count` clicks received, in order (None for a click without one)."""
    wait_for(lambda: len(of_type(queued_events(), "click")) >= count, 10, message=f"{count} clicks")
    return [click["target"].get("label") for click in of_type(queued_events(), "click")[:count]]


# --- Names in data tables ----------------------------------------------------------------------


def test_group_header_rows_of_a_data_table(
    capturing, pages, admin, live_server, queued_events, run_workers
):
    """A customer's name in a row-group header (<th colspan> in a tbody, scope=rowgroup or none):
    clicking it, its toggle button, or a cell of a table whose first row is such a group row."""
    set_policy(admin, min_contributors=1)  # the browser's rules alone
    page = open_app(capturing, pages, queued_events, "/redteam/group-header.html")
    page.click("#toggle-1")
    page.click("text=Ambrose Kittering")
    page.click("#order-7")
    page.click("#ship")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events, 5)
    names = ["Hortensia", "Blackwood", "Ambrose", "Kittering", "Leopold", "Fairweather"]
    check_clean(capturing, live_server, names, run_workers)
    # Group headers are cells of the column they start in; a table headed by a group has no header.
    assert labels == ["Invoice column", "Invoice column", "[content]", "[content]", "Done"]


def test_colleagues_as_column_headers(
    capturing, pages, admin, live_server, queued_events, run_workers
):
    """A roster whose columns are colleagues: a cell's structural label is its column's name,
    here a person's; sorting by a person's column clicks a header holding the name."""
    set_policy(admin, min_contributors=1)
    page = open_app(capturing, pages, queued_events, "/redteam/roster.html")
    page.click("#swap-a")
    page.click("#sort-a")
    page.click("text=Severin Ashcombe")
    page.click("text=Monday")
    page.click("#publish")
    arrived(queued_events, "click", target__selector="#publish")
    labels = click_labels(queued_events, 5)
    names = ["Ottilie", "Brackwater", "Severin", "Ashcombe"]
    check_clean(capturing, live_server, names, run_workers)
    # Names of people are not UI vocabulary: their columns are numbered; "Day" is vocabulary.
    assert labels == ["column 2", "column 2 header", "column 3 header", "Day column", "Publish"]


def test_labelledby_a_container_of_a_data_cell(
    capturing, pages, admin, live_server, queued_events, run_workers
):
    """aria-labelledby naming a tbody (the selected record's row group) or a wrapper around a
    one-row table: the referenced element is not in a data region, but holds one."""
    set_policy(admin, min_contributors=1)
    page = open_app(capturing, pages, queued_events, "/redteam/labelledby-container.html")
    page.click("#act")
    page.click("#open-card")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    arrived(queued_events, "click", target__selector="#act")
    labels = click_labels(queued_events, 3)
    names = ["Marmaduke", "Pennyfeather", "Clementine", "Haverstock"]
    check_clean(capturing, live_server, names, run_workers)
    assert labels == ["[content]", "[content]", "Done"]


# --- Regression: channels that hold (expected to pass) ---------------------------------------


def test_names_in_data_regions_by_every_route(
    capturing, pages, admin, live_server, queued_events, run_workers
):
    """Names in grid cells' tooltips, an image's alt and an SVG title in cells, a clickable row,
    aria-labelledby into a grid cell, a select of names in a cell (changed), a summary in a cell,
    and a listbox of people: none of the names leaves."""
    set_policy(admin, min_contributors=1)
    page = open_app(capturing, pages, queued_events, "/redteam/data-regions.html")
    for selector in (
        "#call",
        "#mail",
        "#photo",
        "#badge",
        "#notes",
        "#plain-row",
        "#message",
        "#opt-1",
        "#opt-2",
    ):
        page.click(selector)
    page.focus("#manager")
    page.keyboard.press("ArrowDown")  # a trusted change
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    change = arrived(queued_events, "change")[0]
    assert change["value"] == "[content]"
    call = arrived(queued_events, "click", target__label="Actions column")
    assert call
    names = [
        "Wilhelmina",
        "Scrope",
        "Cosimo",
        "Thistlewood",
        "Perpetua",
        "Gallowglass",
        "Anselm",
        "Quarrington",
        "Evander",
        "Mortlake",
        "Rosamund",
        "Ellingham",
        "Tobias",
        "Wrenfield",
    ]
    check_clean(capturing, live_server, names, run_workers)


# --- More data regions ---------------------------------------------------------------------------


def test_masked_element_inside_a_control(
    capturing, pages, admin, live_server, queued_events, run_workers
):
    """The admin's mask_selectors match a name inside a button, a link, a checkbox's label and an
    element a button is aria-labelledby: the enclosing control's name holds the masked text."""
    set_policy(admin, mask_selectors=[".customer-name"], min_contributors=1)
    wait_for(lambda: capturing.gate().get("mask_selectors"), 10, message="policy pushed")
    page = open_app(capturing, pages, queued_events, "/redteam/masked-inside.html")
    page.click("#call")
    page.click("#profile")
    page.click("#notify")
    page.click("#visit")
    page.click("#plain .customer-name")  # the masked element inside a button
    page.click("#direct")  # a masked link: the policy is applied
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    direct = arrived(queued_events, "click", target__tag="a", target__label="[content]")
    assert direct, "the mask selector was not applied"
    change = arrived(queued_events, "change", target__selector="#notify")[0]
    labels = click_labels(queued_events, 7)
    names = ["Lucinda", "Marchmont", "Bartram", "Ogilvy"]
    check_clean(capturing, live_server, names, run_workers)
    # A name holding a masked element is structural, as the masked element's own label is.
    assert labels == ["[content]"] * 6 + ["Done"]
    assert change["target"]["label"] == "[content]"


def test_records_in_an_aria_tree(capturing, pages, admin, live_server, queued_events, run_workers):
    """Customers as links in a div-built ARIA tree (role=tree, treeitem)."""
    set_policy(admin, min_contributors=1)
    page = open_app(capturing, pages, queued_events, "/redteam/tree.html")
    page.click("#acct-1")
    page.click("#acct-2")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events, 3)
    names = ["Gwendolyn", "Ashdown", "Peregrine", "Soames"]
    check_clean(capturing, live_server, names, run_workers)
    assert labels == ["[content]", "[content]", "Done"]
