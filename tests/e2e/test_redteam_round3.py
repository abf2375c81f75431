"""Red team, round 3: typed text and names reaching the server by routes rounds 1 and 2 do not
take (tests/e2e/test_redteam_typed.py, tests/e2e/test_redteam_data.py,
tests/e2e/test_redteam_round2.py): an editor frame whose document the page writes by script, an
input method's composition, undo, a datalist pick; a filter select in a column header, a label
wrapping a select of colleagues, links to records named after them. Pages are
tests/e2e/pages/redteam/round3-*.html; the search for leaks is tests/e2e/redteam.py.

A failing test here is a leak (its message names the event type, the field and the value).
"""

from __future__ import annotations

import pytest

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import capture_everything, of_type
from tests.e2e.redteam import check_clean, leaks_in, prefixes, token
from tests.e2e.test_label_policy import arrived, open_app


@pytest.fixture
def capturing(live_server, admin, launch_browser, pages):
    """A capturing browser consented to every category; the rarity gate's k is 1."""
    return capture_everything(live_server, admin, launch_browser, pages)


def saved(page, queued_events, button: str, word: str) -> None:
    """Click `button` (the page shows the text), then Done; wait for both clicks and the route."""
    page.click(button)
    page.click("#done")
    assert word in page.title(), "the page did not show the text"
    arrived(queued_events, "click", target__selector="#done")
    wait_for(lambda: of_type(queued_events(), "route_change"), 10, message="route change")


@pytest.mark.parametrize("mode", ["design", "editable"])
def test_editor_frame_written_by_script(
    capturing, pages, live_server, queued_events, run_workers, mode
):
    """An iframe with no src whose document the page writes (document.open/write/close), then
    makes editable (designMode, or the body's contentEditable): TinyMCE's classic mode,
    CKEditor 4. The words typed there are shown by the page around it."""
    first, second = token(), token()
    page = open_app(
        capturing, pages, queued_events, f"/redteam/round3-written-frame.html?mode={mode}"
    )
    page.frame_locator("#editor").locator("body").click()
    page.keyboard.type(f"{first} {second}")
    saved(page, queued_events, "#save", second)
    check_clean(capturing, live_server, [first, *prefixes(second)], run_workers)


def test_words_composed_through_an_input_method(
    capturing, pages, live_server, queued_events, run_workers
):
    """Text committed by an input method (an IME's composition, a phone keyboard's suggestion):
    composition updates, then one commit, no key per letter."""
    first, second = token(), token()
    page = open_app(capturing, pages, queued_events, "/redteam/round3-compose.html")
    page.click("#subject")
    cdp = page.context.new_cdp_session(page)
    for word in (first, " " + second):
        for n in range(1, len(word) + 1):
            cdp.send(
                "Input.imeSetComposition",
                {"text": word[:n], "selectionStart": n, "selectionEnd": n},
            )
        cdp.send("Input.insertText", {"text": word})
    assert page.input_value("#subject") == f"{first} {second}", "the composition did not land"
    saved(page, queued_events, "#create", second)
    check_clean(capturing, live_server, [first, *prefixes(second)], run_workers)


def test_words_deleted_then_restored_by_undo(
    capturing, pages, live_server, queued_events, run_workers
):
    """A subject typed, selected and deleted, then brought back by Ctrl+Z: the page shows what
    undo restored, which no key typed after the deletion."""
    first, second = token(), token()
    page = open_app(capturing, pages, queued_events, "/redteam/round3-compose.html")
    page.click("#subject")
    page.keyboard.type(f"{first} {second}")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    assert page.input_value("#subject") == ""
    page.keyboard.press("Control+Z")
    assert page.input_value("#subject") == f"{first} {second}", "undo did not restore the text"
    saved(page, queued_events, "#create", second)
    check_clean(capturing, live_server, [first, *prefixes(second)], run_workers)


def test_filter_select_in_a_column_header_and_a_datalist_pick(
    capturing, pages, admin, live_server, queued_events, run_workers
):
    """A filter select inside a column header lists colleagues; an "Assign to" field's datalist
    suggests them and the pick is shown in the title. The select's change names the option only
    in the shape of UI vocabulary; a suggestion picked lands in the field, so it is typed."""
    page = open_app(capturing, pages, queued_events, "/redteam/round3-header-filter.html")
    page.focus("#filter")
    page.keyboard.press("ArrowDown")  # a trusted change: "Perpetua Holloway"
    assert "Perpetua Holloway" in page.title()
    page.click("text=VPN down")
    page.click("td >> text=Cornelius")
    page.click("#assign")
    page.keyboard.type("Per")
    # A datalist pick replaces the field's value in one input event (insertReplacementText).
    page.keyboard.press("Control+A")
    page.keyboard.insert_text("Perpetua Holloway")
    page.click("#assign-button")
    page.click("#done")
    assert page.title() == "Assigned to Perpetua Holloway"
    change = arrived(queued_events, "change", target__selector="#filter")[0]
    assert change["value"] == "[content]", change
    assert change["target"].get("label") in ("Filter", "Assignee"), change["target"]
    arrived(queued_events, "click", target__selector="#done")
    clicks = of_type(queued_events(), "click", target__selector="#done")
    labels = [c["target"].get("label") for c in of_type(queued_events(), "click")]
    # The header's text holds the select's options, which never name anything.
    assert labels[:2] == ["Subject column", "Assignee column"], labels
    assert clicks[-1]["title"] == "Assigned to [typed]"  # adjacent masks become one
    # The first title names a colleague the page chose to show (a documented limit: text never
    # typed here); every other route is searched.
    names = ["Perpetua", "Holloway", "Wrexham"]
    events = [e for e in queued_events() if not (e.get("title") or "").startswith("Tickets for")]
    assert not leaks_in(events, names)


def test_links_to_records_named_by_the_records(
    capturing, pages, live_server, queued_events, run_workers
):
    """Links whose address names one record (a number, an issue key, a UUID, a query id) and
    whose text is the record's name, outside tables and lists: a breadcrumb, a card of divs, a
    "Recently viewed" sidebar, a mention. Their names are [content]; UI links keep theirs."""
    page = open_app(capturing, pages, queued_events, "/redteam/round3-record-links.html")
    for selector in ("#crumb", "#card", "#view", "#recent", "#mention", "#help", "#reports"):
        page.click(selector)
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = [c["target"].get("label") for c in of_type(queued_events(), "click")]
    assert labels == [
        "[content]",
        "[content]",
        "View",
        "[content]",
        "[content]",
        "Getting Started",
        "Quarterly Reports",
        "Done",
    ], labels
    names = ["Hortensia", "Blackwood", "Quenby", "Larkspur", "Leopold", "Fairweather", "Kittering"]
    check_clean(capturing, live_server, names, run_workers)


def test_choice_lists_inside_the_elements_that_name_things(
    capturing, pages, live_server, queued_events, run_workers
):
    """A <label> wrapping a select of colleagues names the select by its text, which holds the
    options; a header holding a filter select names its column the same way. The options' text
    is never part of a name: the select is "Owner", the column "Assignee"."""
    page = open_app(capturing, pages, queued_events, "/redteam/round3-wrapped-select.html")
    page.click("#owner")
    page.keyboard.press("Escape")
    page.focus("#owner")
    page.keyboard.press("ArrowDown")  # a trusted change: "Severin Ashcombe"
    page.click("#notes")
    page.click("#assignee-cell")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    change = arrived(queued_events, "change", target__selector="#owner")[0]
    assert change["target"].get("label") == "Owner", change["target"]
    labels = [c["target"].get("label") for c in of_type(queued_events(), "click")]
    assert labels == ["Owner", "Notes", "Assignee column", "Done"], labels
    names = ["Severin", "Ashcombe", "Ottilie", "Brackwater", "Barnaby", "Quillfeather"]
    check_clean(capturing, live_server, [*names, "Perpetua", "Holloway"], run_workers)
