"""Red team, round 4: editors, spreadsheets, boards and pickers from npm that nobody here wrote,
beyond those rounds 1 to 3 and tests/e2e/test_editor_libraries.py and
tests/e2e/test_grid_libraries.py try. Pages are tests/e2e/pages/round4/; the search for leaks is
tests/e2e/redteam.py.

- test_easymde_words_typed_and_mended: EasyMDE (CodeMirror 5) takes keys in a hidden textarea it
  empties as the caret moves, and draws the text in its own spans; a word is mended in the middle
  after the caret moved back, so no field ever held it whole. It leaked (title, a button's name,
  the hash route) until the text such an editor draws was learnt too.
- test_easymde_in_a_frame_shown_live: the same editor in a frame posting its text to the page
  around, which shows it at once: a word mended while the editor keeps the focus leaked until a
  frame learnt the text its editor draws before answering the service worker.
- test_easymde_word_cut_by_a_shortcut: Ctrl+Backspace in the middle of a word typed in EasyMDE
  leaves its end on its own; a deletion with a modifier marked no field as typed in, and that
  end left in the title until it did.
- test_jspreadsheet_cells_typed_and_shown: jspreadsheet CE, cells typed in and shown, a dropdown
  cell of colleagues searched by typing, the sheet's search.
- test_jkanban_cards_typed_and_moved: jKanban, a card's title typed, shown on the board, dragged
  to another board and named in the title; cards named after colleagues.
- test_choices_colleagues_and_typed_tags: Choices.js, a multi-select of colleagues and typed
  tags, each a chip with a remove button named after it. The colleagues' names left in every
  observation until anything inside an option was [content].
- test_gridjs_people_searched_by_typing: Grid.js, a table of colleagues searched by typing, the
  query shown in the title and the hash route as it is typed.
- test_trix_words_and_a_typed_link: Trix, words and a link whose address is typed in its dialog
  and shown by the page on a button.

A failing test here is a leak (its message names the event type, the field and the value).
"""

from __future__ import annotations

import pytest

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import of_type, sent_events
from tests.e2e.redteam import check_clean, prefixes, token
from tests.e2e.test_label_policy import arrived, open_app
from tests.e2e.test_redteam_round3 import saved


def click_labels(queued_events) -> list:
    """The labels of the clicks received, in order."""
    return [c["target"].get("label") for c in of_type(queued_events(), "click")]


def mended(word: str) -> str:
    """`word` with a letter put in three letters before its end (as the test types it)."""
    return word[:-3] + "k" + word[-3:]


@pytest.mark.parametrize("input_style", ["textarea", "contenteditable"])
def test_easymde_words_typed_and_mended(
    npm_capturing, pages, live_server, queued_events, run_workers, input_style
):
    """Words typed on two lines of EasyMDE, the last one mended in its middle (the caret moved
    back three letters, one letter typed), a click in the text, the preview opened and closed,
    then Save: the page shows the text. None of the words, as typed or as mended, may leave."""
    first, second, third = token(), token(), token()
    page = open_app(
        npm_capturing, pages, queued_events, f"/round4/easymde.html?input={input_style}"
    )
    page.wait_for_selector("body[data-ready=yes]")
    page.click(".CodeMirror-line")
    page.keyboard.type(f"{first}")
    page.keyboard.press("Enter")
    page.keyboard.type(f"# {second} {third}")
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    page.keyboard.type("k")
    page.click(f".CodeMirror-line >> text={first}")
    page.click("button.preview")
    page.click(".editor-preview")
    page.click("button.preview")
    page.click("#save")
    page.click("#done")
    assert mended(third) in page.title(), "the page did not show the text"
    arrived(queued_events, "click", target__selector="#done")
    wait_for(lambda: of_type(queued_events(), "route_change"), 10, message="route change")
    labels = click_labels(queued_events)
    # The text drawn by CodeMirror is content (editable in contenteditable mode: "[content]");
    # the toolbar's button is named by its title, the preview pane by nothing.
    text_label = None if input_style == "textarea" else "[content]"
    assert labels == [
        text_label,
        text_label,
        "Toggle Preview",
        None,
        "Toggle Preview",
        "Save",
        "Done",
    ], labels
    route = of_type(queued_events(), "route_change")[-1]
    # The preview draws the "# ..." line as an <h1>: the title's copy of that heading is
    # [content] (extension/shared/title-policy.js), the rest of the typed text [typed].
    shown, _, page_name = route["title"].rpartition(" - ")
    assert page_name == "Issue" and set(shown.split()) <= {"[typed]", "[content]"}, route["title"]
    check_clean(npm_capturing, live_server, [first, second, third, mended(third)], run_workers)


SHEET_NAMES = ["Evander", "Quillon", "Marisol", "Thackeray", "Leofric", "Dunmore"]
SHEET_NAMES += ["Perpetua", "Holloway", "Thaddeus", "Wrexham", "Ottoline", "Marchbank", "Leeds"]


def test_jspreadsheet_cells_typed_and_shown(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """jspreadsheet CE: a description typed in a cell (a key on the selected cell opens its
    editor), shown in the grid once Enter closes it, then clicked; an approver picked in a
    dropdown cell of colleagues searched by typing; the sheet's search typed in; a header
    clicked; Save shows the description. No typed word, colleague or cell's text may leave."""
    first, second = token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round4/jspreadsheet.html")
    page.wait_for_selector("body[data-ready=yes]")
    cell = "td[data-x='1'][data-y='2']"
    page.click(cell)
    page.keyboard.type(f"{first} {second}")
    page.keyboard.press("Enter")
    assert page.inner_text(cell) == f"{first} {second}", "the cell did not show the text"
    page.click(cell)
    page.dblclick("td[data-x='3'][data-y='2']")
    page.keyboard.type("Otto")
    page.click(".jdropdown-item >> text=Ottoline Marchbank")
    page.click("td[data-x='0'][data-y='0']")
    page.click("thead td[data-x='2']")
    page.click(".jss_search")
    page.keyboard.type("Thack")
    wait_for(lambda: page.locator("tbody tr:visible").count() == 1, 10, message="search applied")
    saved(page, queued_events, "#save", second)
    labels = click_labels(queued_events)
    # The header row is drawn with td (not th) in the thead, which heads its column as a th
    # would: cells and the dropdown's items inside them are named by their column, the header by
    # its text; the search field keeps its label's text.
    assert labels == [
        *["Description column"] * 2,
        *["Approver column"] * 2,
        "Employee column",
        "Amount",
        "Search:",
        "Save",
        "Done",
    ], labels
    route = of_type(queued_events(), "route_change")[-1]
    assert route["title"] == "[typed] - Expense", route["title"]
    check_clean(npm_capturing, live_server, [first, *prefixes(second), *SHEET_NAMES], run_workers)


def test_jkanban_cards_typed_and_moved(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """jKanban: a card's title typed in the form "+" opens, added to the board (which shows it;
    the page shows it in the title, on "+" and in the hash route), dragged to another board
    (the page names it in the title), clicked; a card named after a colleague clicked; a form
    opened and cancelled. Cards are plain divs: no name; no typed word or colleague may leave."""
    first, second = token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round4/jkanban.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("[data-id=todo] .kanban-title-button")
    page.keyboard.type(f"{first} {second}")
    page.click("text=Add card")
    card = f".kanban-item >> text={first} {second}"
    page.drag_and_drop(card, "[data-id=finished] .kanban-drag")
    assert page.title() == f"Moved {first} {second} to Finished", page.title()
    page.click(card)
    page.click(".kanban-item >> text=Call Perpetua Holloway")
    page.click("[data-id=doing] .kanban-title-button")
    page.click("[data-id=doing] .cancel")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    wait_for(lambda: of_type(queued_events(), "route_change"), 10, message="route change")
    labels = click_labels(queued_events)
    # Cards are divs without a role, clicked on their text: no label (a drag is no click).
    assert labels == ["+", "Add card", None, None, "+", "Cancel", "Done"], labels
    submit = arrived(queued_events, "submit")[0]
    assert submit["target"].get("label") == "Add card", submit["target"]
    titles = {e["title"] for e in queued_events() if e.get("title", "").startswith("Moved")}
    assert titles == {"Moved [typed] to Finished"}, titles
    names = ["Perpetua", "Holloway", "Thaddeus", "Wrexham", "Ottoline", "Marchbank"]
    check_clean(
        npm_capturing, live_server, [*prefixes(first), *prefixes(second), *names], run_workers
    )


def test_choices_colleagues_and_typed_tags(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """Choices.js: a "Watchers" multi-select of colleagues searched by typing, one picked by
    Enter and one by a click; each chosen one is a chip (an option of a listbox) holding a
    remove button named "Remove item: <name>"; a tag field whose typed tags become chips with
    the same buttons; one chip of each removed; Save shows the tags."""
    first, second = token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round4/choices.html")
    page.wait_for_selector("body[data-ready=yes]")
    watchers = ".choices:has(#watchers) input.choices__input--cloned"
    page.click(watchers)
    page.keyboard.type("Perp")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.click("h1")
    page.click(watchers)
    page.click(".choices__item--choice >> text=Thaddeus Wrexham")
    page.keyboard.press("Escape")
    page.click("h1")
    page.click(".choices:has(#tags) input.choices__input--cloned")
    for tag in (first, second, token()):
        page.keyboard.type(tag)
        page.keyboard.press("Enter")
    page.click(f".choices__item[data-value={first}] .choices__button")
    page.click(".choices__item[data-value=thaddeus] .choices__button")
    saved(page, queued_events, "#save", second)
    labels = click_labels(queued_events)
    # Choices picks and removes on mousedown and draws the list again: those clicks land on
    # nothing (no click event); the h1 clicked to leave a list has no name.
    assert labels == ["Watchers", None, "Watchers", None, "Tags", "Save", "Done"], labels
    # The chip left of a colleague holds a remove button named after them: inside an option,
    # it is [content]; a typed tag's is masked.
    last = of_type(queued_events(), "observation")[-1]["elements"]
    buttons = [e.get("label") for e in last if e.get("tag") == "button"]
    assert buttons[:3] == ["[content]", "Remove item: [typed]", "Remove item: [typed]"], buttons
    names = ["Perpetua", "Holloway", "Thaddeus", "Wrexham", "Ottoline", "Marchbank"]
    check_clean(npm_capturing, live_server, [first, second, *names], run_workers)


GRID_NAMES = ["Evander", "Quillon", "Marisol", "Thackeray", "Leofric", "Dunmore"]
GRID_NAMES += ["Perpetua", "Holloway", "Thaddeus", "Wrexham", "Ottoline", "Marchbank"]


def test_gridjs_people_searched_by_typing(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """Grid.js: a table of colleagues searched by typing (the page shows each state of the
    query in the title and the hash route, as search pages do), a word no one has, then part of
    a name; a colleague's link clicked in the one row found; the search emptied, the next page,
    an e-mail cell and a header's sort clicked."""
    nobody = token()
    page = open_app(npm_capturing, pages, queued_events, "/round4/gridjs.html")
    page.wait_for_selector(".gridjs-tbody")
    page.click(".gridjs-search-input")
    page.keyboard.type(nobody)
    page.wait_for_selector(".gridjs-notfound")
    page.keyboard.press("Control+A")
    page.keyboard.type("Thack")
    wait_for(lambda: page.locator(".gridjs-tbody tr").count() == 1, 10, message="search")
    assert page.title() == "People matching Thack", page.title()
    page.click(".gridjs-td a >> text=Marisol Thackeray")
    page.click(".gridjs-search-input")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    wait_for(lambda: page.locator(".gridjs-tbody tr").count() == 4, 10, message="search cleared")
    page.click(".gridjs-pages button >> text=Next")
    page.click(".gridjs-td >> text=ottoline.marchbank@example.com")
    page.click(".gridjs-th[data-column-id=team] .gridjs-sort")
    page.click(".gridjs-th[data-column-id=status] .gridjs-th-content")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events)
    # The search field is named by its aria-label; a colleague's link and an e-mail address in
    # the table are their columns'; a header's sort button and text are the table's interface.
    assert labels == [
        "Type a keyword...",
        "Name column",
        "Type a keyword...",
        "Next",
        "Email column",
        "Sort column ascending",
        "Status",
        "Done",
    ], labels
    # Each state of the query in the title is masked (one letter is no word, and names no one).
    titles = {e.get("title") for e in queued_events()} - {"People"}
    assert titles <= {"People matching [typed]", "People matching z", "People matching T"}, titles
    check_clean(npm_capturing, live_server, [*prefixes(nobody), "Thack", *GRID_NAMES], run_workers)


def test_trix_words_and_a_typed_link(npm_capturing, pages, live_server, queued_events, run_workers):
    """Trix: a word typed, then a link whose address is typed in Trix's link dialog (Trix puts
    it in the text, linked), then another word; Save shows the text, and the page lists the
    link's address on a button, which is clicked."""
    first, second, host, path = token(), token(), token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round4/trix.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("trix-editor")
    page.keyboard.type(f"{first} ")
    page.click("button.trix-button--icon-link")
    page.click("input[name=href]")
    page.keyboard.type(f"https://{host}.example.com/{path}")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"trix-editor a >> text={path}")
    page.keyboard.type(f" {second}")
    page.click("#save")
    page.click(f"#links button >> text={path}")
    page.click("#done")
    assert second in page.title(), "the page did not show the text"
    arrived(queued_events, "click", target__selector="#done")
    wait_for(lambda: of_type(queued_events(), "route_change"), 10, message="route change")
    labels = click_labels(queued_events)
    # The editor is editable: [content]; the toolbar's button and the dialog's field keep their
    # names; the address the page shows on a button is masked whole.
    assert labels == ["[content]", "Link", "URL", "Save", "Open [typed]", "Done"], labels
    keys = [e["target"].get("label") for e in of_type(queued_events(), "key")]
    assert keys == ["URL"], keys
    check_clean(npm_capturing, live_server, [first, second, host, path], run_workers)


def test_easymde_in_a_frame_shown_live(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """EasyMDE in a frame posting its text to the page around at every change, which shows it
    in its title and hash route at once: a word mended in its middle while the editor still has
    the focus (no field ever held it whole, and nothing left the frame's field)."""
    first, second = token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round4/easymde-frame.html")
    frame = page.frame_locator("#editor")
    frame.locator("body[data-ready=yes]").wait_for(state="attached")
    frame.locator(".CodeMirror-line").click()
    page.keyboard.type(f"{first} {second}")
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    before = page.evaluate("Date.now()")  # the caret moved: the text has not changed since
    page.keyboard.type("k")
    wait_for(lambda: mended(second) in page.title(), 10, message="the page showed the text")
    # The observation sent on the route change showing the mended word is waited for (a route
    # change whose addresses masking made the same is not sent); nothing is clicked, so the
    # editor keeps the focus (leaving it, the frame would learn its text).
    late = wait_for(
        lambda: [e for e in sent_events(live_server) if e["ts"] >= before],
        10,
        message="an event after the mend",
    )
    assert {e["title"] for e in late} == {"Draft: [typed]"}, late
    check_clean(npm_capturing, live_server, [first, mended(second)], run_workers)


def test_easymde_word_cut_by_a_shortcut(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """EasyMDE: a word typed, the caret moved back into it (arrow keys are sent as keys, which
    learns what the editor shows), then Ctrl+Backspace deletes the word's first part: what is
    left, the end of a typed word, was never a word typed or shown before; Save shows it."""
    first, word = token(), token()
    rest = word[-5:]
    page = open_app(npm_capturing, pages, queued_events, "/round4/easymde.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click(".CodeMirror-line")
    page.keyboard.type(f"{first} {word}")
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    arrived(queued_events, "key", key="ArrowLeft")
    page.keyboard.press("Control+Backspace")
    assert page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()") == (
        f"{first} {rest}"
    )
    page.click("#save")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    wait_for(lambda: of_type(queued_events(), "route_change"), 10, message="route change")
    route = of_type(queued_events(), "route_change")[-1]
    assert route["title"] == "[typed] - Issue", route["title"]
    check_clean(npm_capturing, live_server, [first, word, rest], run_workers)
