"""Data grids drawn by the libraries apps use (npm: AG Grid, Tabulator), not by pages written
here: divs with grid roles, header cells holding sort buttons and filter fields, cells rebuilt
on every sort. A colleague's name clicked in a cell is named by its column; no name, address
or word typed in a header filter may reach the server or a sealed record
(docs/privacy.md, "Labels", rule 2). The pages are tests/e2e/pages/grids/.
"""

from __future__ import annotations

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import of_type
from tests.e2e.redteam import check_clean
from tests.e2e.test_label_policy import arrived, open_app

NAMES = ["Evander", "Quillon", "Marisol", "Thackeray", "Leofric", "Dunmore"]


def click_labels(queued_events) -> list:
    """The labels of the clicks received, in order."""
    return [c["target"].get("label") for c in of_type(queued_events(), "click")]


def test_ag_grid(npm_capturing, pages, live_server, queued_events, run_workers):
    """AG Grid: a name cell, the Name header (a sort), an e-mail cell, a selected row."""
    page = open_app(npm_capturing, pages, queued_events, "/grids/ag-grid.html")
    page.wait_for_selector(".ag-row .ag-cell >> text=Marisol Thackeray")
    page.click(".ag-cell >> text=Marisol Thackeray")
    page.click(".ag-header-cell-text >> text=Name")
    page.click(".ag-cell >> text=leofric.dunmore@example.com")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events)
    assert labels[0] == "Name column", labels
    assert labels[1] == "Name", labels  # the header (a sort), by its name
    assert labels[2] == "Email column", labels
    check_clean(npm_capturing, live_server, NAMES, run_workers)


def test_tabulator(npm_capturing, pages, live_server, queued_events, run_workers):
    """Tabulator: a name typed in the Name column's header filter, a name cell, a header."""
    page = open_app(npm_capturing, pages, queued_events, "/grids/tabulator.html")
    page.wait_for_selector(".tabulator-cell >> text=Marisol Thackeray")
    page.click(".tabulator-col[tabulator-field=name] input")
    page.keyboard.type("Marisol")
    wait_for(lambda: page.locator(".tabulator-row").count() == 1, 10, message="the filter applied")
    page.click(".tabulator-cell >> text=Marisol Thackeray")
    page.click(".tabulator-col[tabulator-field=team] .tabulator-col-title")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events)
    # The filter field has no name of its own: it takes its header's; the cell is named by its
    # column, the header by its.
    assert labels == ["Name", "Name column", "Team", "Done"], labels
    click = of_type(queued_events(), "click")[0]
    assert click["target"]["tag"] == "input", click["target"]
    check_clean(npm_capturing, live_server, NAMES, run_workers)


def test_fullcalendar(npm_capturing, pages, live_server, queued_events, run_workers):
    """FullCalendar: meetings named after colleagues in a month grid, in the popover of a day
    with more than fit ("+2 more"), and in the list view."""
    page = open_app(npm_capturing, pages, queued_events, "/calendar/fullcalendar.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click(".fc-event >> text=1:1 with Perpetua Holloway")
    page.click(".fc-daygrid-more-link")
    page.click(".fc-popover .fc-event >> text=Call Leofric Dunmore")
    page.click(".fc-popover-close")
    page.click(".fc-listMonth-button")
    page.click(".fc-list-event >> text=Ambrose Kittering leaving drinks")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events)
    # The month grid's cells have no header in their own table; the popover's event is a link
    # without an address (no name); the list view's rows are a table's.
    assert labels == ["[content]", "[content]", None, "Close", "list", "Event column", "Done"]
    names = [*NAMES, "Perpetua", "Holloway", "Thaddeus", "Wrexham", "Ottoline", "Marchbank"]
    names += ["Ambrose", "Kittering"]
    check_clean(npm_capturing, live_server, names, run_workers)
