"""Red team, round 5: editors, grids and tables from npm that nobody here wrote, beyond those
rounds 1 to 4 try (tests/e2e/test_redteam_round4.py, tests/e2e/test_editor_libraries.py,
tests/e2e/test_grid_libraries.py). Pages are tests/e2e/pages/round5/; the search for leaks is
tests/e2e/redteam.py.

- test_ckeditor_text_pasted_or_dropped: CKEditor 5 inserts a paste (Shift+Insert, as the
  context menu's Paste) or a drop of text from another program itself, from its model: no input
  event, no key. The page shows the draft live in its title; the next event (a key) carried the
  text until text pasted or dropped was learnt as typed.
- test_ckeditor_heading_link_and_transformations: CKEditor 5, a heading made by typing "# ", a
  text transformation, a link whose address is typed in its balloon, the link clicked.
- test_handsontable_cells_comments_and_filters: Handsontable, a cell typed in and shown, a comment
  typed, a colleague picked in a dropdown cell, a column's filter by value (every value of the
  column, the typed one too) and by a typed condition.
- test_handsontable_cells_pasted: Handsontable takes Ctrl+V in its own field, which stays empty,
  and writes the cells: a description pasted there and shown in the title left in the next event
  until text pasted was learnt as typed.
- test_editorjs_blocks_links_and_a_paste: Editor.js, blocks typed, a link whose address is typed
  in its inline toolbar, its toolbox searched by typing, a paste it inserts itself.
- test_datatables_people_searched_and_details: DataTables, a table of colleagues searched by
  typing (the query in the title and the hash route), a row's details with a link to the record,
  a column's own search field in the footer.
- test_summernote_links_mentions_and_code_view: Summernote, a colleague mentioned through its
  hint list, a link whose text and address are typed in its dialog, its code view.
- test_ace_words_typed_and_mended: Ace, which takes keys in a transparent field of its own and
  draws the text itself: a word mended in its middle after the caret left its line and came
  back, shown live in the title; its search box.
- test_sortable_tasks_dragged_keep_the_pages_words: SortableJS puts a dragged item's text in the
  drag's data; a drop of a drag started on the page is not learnt as typed (the page's own words,
  such as a button's "Archive", would be masked everywhere).
- test_select2_colleagues_and_typed_tags: Select2, a combobox labelled (aria-labelledby) by the
  element showing the chosen colleague, chips of watchers with remove buttons, typed tags.
- test_bootstrap_select_button_showing_a_colleague: bootstrap-select draws a select as a button
  (role=combobox, aria-haspopup=listbox) whose text and title are the chosen option: the chosen
  colleague's name was the button's label until a control showing a chosen value was named by
  it only when it has the shape of UI vocabulary.

A failing test here is a leak (its message names the event type, the field and the value).
"""

from __future__ import annotations

import pytest

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import of_type
from tests.e2e.redteam import check_clean, prefixes, token
from tests.e2e.test_label_policy import arrived, open_app
from tests.e2e.test_redteam_round3 import saved
from tests.e2e.test_redteam_round4 import click_labels, mended

NAMES = ["Evander", "Quillon", "Marisol", "Thackeray", "Leofric", "Dunmore"]
NAMES += ["Perpetua", "Holloway", "Thaddeus", "Wrexham", "Ottoline", "Marchbank"]


def paste_text(page, text: str) -> None:
    """Put `text` on the clipboard (as another program would) and paste it with Shift+Insert, a
    paste that is no Ctrl+V (as the context menu's Paste)."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("(text) => navigator.clipboard.writeText(text)", text)
    page.keyboard.press("Shift+Insert")


def drop_text(page, selector: str, text: str) -> None:
    """Drop `text` on the end of `selector`, dragged in from another program (trusted drag
    events from the browser, as Chromium sends them)."""
    box = page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] - 5, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    data = {"items": [{"mimeType": "text/plain", "data": text}], "dragOperationsMask": 1}
    for kind in ("dragEnter", "dragOver", "drop"):
        cdp.send("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data})


@pytest.mark.parametrize("how", ["paste", "drop"])
def test_ckeditor_text_pasted_or_dropped(
    npm_capturing, pages, live_server, queued_events, run_workers, how
):
    """CKEditor 5: a word typed (keys, then an event that learns it), then words pasted with
    Shift+Insert or dropped from another program, which CKEditor inserts itself (no input event,
    no key); the page shows the draft in its title at once; a key is pressed (an event carrying
    the title) while the editor keeps the focus; then Save. None of the words may leave."""
    first, second, third = token(), token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round5/ckeditor5.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click(".ck-editor__editable")
    page.keyboard.type(f"{first} ")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    arrived(queued_events, "key", key="ArrowRight")  # the typed word is learnt by now
    if how == "paste":
        paste_text(page, f"{second} {third}")
    else:
        drop_text(page, ".ck-editor__editable p", f"{second} {third}")
    wait_for(lambda: third in page.title(), 5, message=f"the {how} shown in the title")
    page.keyboard.press("ArrowDown")
    key = arrived(queued_events, "key", key="ArrowDown")[0]
    assert key["title"] == "Draft: [typed]", key["title"]
    assert key["target"].get("label") == "[content]", key["target"]
    saved(page, queued_events, "#save", third)
    assert click_labels(queued_events) == ["[content]", "Save", "Done"]
    route = of_type(queued_events(), "route_change")[-1]
    assert route["title"] == "[typed] - Reply", route["title"]
    check_clean(npm_capturing, live_server, [first, second, third], run_workers)


def test_ckeditor_heading_link_and_transformations(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """CKEditor 5: a heading made by typing "# " (autoformat) holding a typed word and "(tm)"
    (turned into a sign), a word, a link whose address is typed in the link balloon (Ctrl+K), a
    word after it; the link clicked (its balloon shows the address), the heading clicked; Save."""
    first, second, third, host, path = token(), token(), token(), token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round5/ckeditor5.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click(".ck-editor__editable")
    page.keyboard.type(f"# {first} (tm)\n{second} ")
    page.keyboard.press("Control+K")
    page.keyboard.type(f"https://{host}.example.com/{path}")
    page.keyboard.press("Enter")
    page.keyboard.type(f" - {third}")
    page.click(".ck-editor__editable a")
    page.click(".ck-editor__editable h2")
    saved(page, queued_events, "#save", third)
    assert f"{first} ™" in page.evaluate("editor.getData()"), "no heading, or no transformation"
    # The editable text is [content]; the toolbar's and the balloon's controls keep their names.
    labels = click_labels(queued_events)
    assert labels == ["[content]", "Insert", "[content]", "[content]", "Save", "Done"], labels
    keys = [e["target"].get("label") for e in of_type(queued_events(), "key") if e.get("target")]
    assert "Link URL" in keys, keys
    submit = arrived(queued_events, "submit")[0]
    assert submit["target"].get("label") == "Insert", submit["target"]
    check_clean(npm_capturing, live_server, [first, second, third, host, path], run_workers)


def test_handsontable_cells_comments_and_filters(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """Handsontable: a description typed in a cell (the page shows it in the title and the hash
    route), the cell clicked; a comment typed on another cell through the context menu; an
    approver picked in a dropdown cell of colleagues; the Description column's menu opened, two
    values of its "filter by value" list unticked (the typed one among them, drawn in the list
    with its text as a title), a condition typed and applied."""
    first, second, comment, condition = token(), token(), token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round5/handsontable.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click(".ht_master td >> text=Taxi to airport")
    page.keyboard.type(f"{first} {second}")
    page.keyboard.press("Enter")
    assert page.title() == f"{first} {second} - Expenses", page.title()
    page.click(f".ht_master td >> text={first} {second}")
    page.click(".ht_master td >> text=Hotel Leeds", button="right")
    page.click(".htContextMenu td >> text=Add comment")
    page.keyboard.type(comment)
    page.click("h1")
    page.dblclick(".ht_master td >> text=Ottoline Marchbank")
    page.click(".autocompleteEditor td >> text=Thaddeus Wrexham")
    page.click(".ht_clone_top th:nth-child(3) button.changeType")
    page.click(".htFiltersMenuValue td >> text=Hotel Leeds")
    page.click(f".htFiltersMenuValue td >> text={first} {second}")
    page.click(".htFiltersMenuCondition .htUISelectCaption")
    page.click(".htFiltersConditionsMenu td >> text=Contains")
    page.click(".htFiltersMenuCondition input[placeholder=Value]")
    page.keyboard.type(condition)
    page.click(".htUIButtonOK input")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events)
    # Cells and everything in the menus (tables of td) are [content]: the sheet's header
    # cells hold the names, and a menu's table has no header.
    assert labels[-1] == "Done" and len(labels) >= 10, labels
    assert set(labels[:-1]) <= {"[content]", None}, labels
    changes = of_type(queued_events(), "change")
    assert len(changes) == 2 and all(c["target"].get("label") == "[content]" for c in changes)
    route = of_type(queued_events(), "route_change")[-1]
    assert route["title"] == "[typed] - Expenses", route["title"]
    assert route["url"].endswith("#/expenses/[typed]"), route["url"]
    secrets = [*prefixes(first), *prefixes(second), comment, condition, *NAMES]
    check_clean(npm_capturing, live_server, secrets, run_workers)


def test_handsontable_cells_pasted(npm_capturing, pages, live_server, queued_events, run_workers):
    """Handsontable: a description pasted with Ctrl+V into a selected cell (copied in another
    program). Handsontable takes the paste in its own focused field, which stays empty, and
    writes the cell; the page shows the description in its title and hash route; a key is
    pressed (an event carrying them)."""
    first, second = token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round5/handsontable.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click(".ht_master td >> text=Client dinner")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("(text) => navigator.clipboard.writeText(text)", f"{first} {second}")
    page.keyboard.press("Control+V")
    wait_for(lambda: second in page.title(), 5, message="the paste shown in the title")
    page.keyboard.press("ArrowDown")
    key = arrived(queued_events, "key", key="ArrowDown")[0]
    assert key["title"] == "[typed] - Expenses", key["title"]
    assert key["url"].endswith("#/expenses/[typed]"), key["url"]
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    assert click_labels(queued_events) == ["[content]", "Done"], click_labels(queued_events)
    check_clean(npm_capturing, live_server, [first, second, *NAMES], run_workers)


def test_editorjs_blocks_links_and_a_paste(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """Editor.js: a word typed in a block, Enter (a new block), a word typed there, selected, and
    linked with the inline toolbar's link tool (its address typed); the "+" toolbox opened and a
    word typed in its search field (nothing found); a new block, words pasted there (Editor.js
    inserts a paste itself), a key pressed; Save."""
    first, second, host, query, pasted = token(), token(), token(), token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round5/editorjs.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click(".ce-paragraph")
    page.keyboard.type(first)
    page.keyboard.press("Enter")
    page.keyboard.type(second)
    page.keyboard.press("Shift+Home")
    page.click(".ce-inline-tool--link")
    page.keyboard.type(f"https://{host}.example.com/")
    page.keyboard.press("Enter")
    page.wait_for_selector(f".ce-paragraph a[href*={host}]")
    page.click(f".ce-paragraph >> text={first}")
    page.click(".ce-toolbar__plus")
    page.keyboard.type(query)
    page.wait_for_selector(".ce-popover__nothing-found-message", state="visible")
    page.keyboard.press("Escape")
    page.click(f".ce-paragraph >> text={second}")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    arrived(queued_events, "key", key="Enter")
    paste_text(page, pasted)
    page.wait_for_selector(f".ce-paragraph >> text={pasted}")
    page.keyboard.press("ArrowUp")
    arrived(queued_events, "key", key="ArrowUp")
    saved(page, queued_events, "#save", pasted)
    # Blocks are editable ([content]); the link tool (an icon) and the "+" (a div) have no name.
    labels = click_labels(queued_events)
    assert labels == ["[content]", None, "[content]", None, "[content]", "Save", "Done"], labels
    keys = of_type(queued_events(), "key", key="ArrowUp")
    assert keys[0]["title"] == "Page" and keys[0]["target"].get("label") == "[content]", keys
    route = of_type(queued_events(), "route_change")[-1]
    assert route["title"] == "[typed] - Page", route["title"]
    check_clean(npm_capturing, live_server, [first, second, host, query, pasted], run_workers)


def test_datatables_people_searched_and_details(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """DataTables: a table of colleagues searched by typing (the page shows each state of the
    query in the title and the hash route), a word no one has, then part of a name; the one row
    found opened (its details: notes on the colleague and a link to their record) and its link
    clicked; the search emptied; a column's own search typed in its footer; a header sorted; the
    next page; a name's cell clicked."""
    nobody, footer = token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round5/datatables.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("#dt-search-0")
    page.keyboard.type(nobody)
    page.wait_for_selector(".dt-empty")
    page.keyboard.press("Control+A")
    page.keyboard.type("Thack")
    wait_for(lambda: page.locator("#people button.details").count() == 1, 10, message="search")
    assert page.title() == "People matching Thack", page.title()
    page.click("button.details")
    page.click("#people tbody a >> text=Open Marisol Thackeray")
    page.click("#dt-search-0")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    wait_for(lambda: page.locator("#people button.details").count() == 4, 10, message="cleared")
    page.click("tfoot input[placeholder='Search Team']")
    page.keyboard.type(footer)
    page.wait_for_selector(".dt-empty")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    wait_for(lambda: page.locator("#people button.details").count() == 4, 10, message="cleared")
    page.click("thead th[data-dt-column='1'] .dt-column-title")
    page.click(".dt-paging-button.next")
    page.click("#people td >> text=Thaddeus Wrexham")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events)
    # The search fields are named by their labels, a column's own by its column (in the footer);
    # the details button, the details' link and a name are their columns' (the first column's
    # header is empty: [content]); a header's text (a div in the header) names nothing.
    assert labels == [
        "Search:",
        "[content]",
        "[content]",
        "Search:",
        "Team column",
        None,
        "Next",
        "Name column",
        "Done",
    ], labels
    # Each state of the query in the title is masked (one letter is no word, and names no one).
    titles = {e.get("title") for e in queued_events()} - {"People"}
    assert titles <= {"People matching [typed]", "People matching z", "People matching T"}, titles
    assert "People matching [typed]" in titles, titles
    secrets = [*prefixes(nobody), *prefixes(footer), "Thack", *NAMES]
    check_clean(npm_capturing, live_server, secrets, run_workers)


def test_summernote_links_mentions_and_code_view(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """Summernote: a word typed, a colleague mentioned through its hint list ("@Per", Enter), a
    link inserted through its dialog (its text and address typed), the link clicked, the code
    view opened (the HTML in a textarea) and closed; Save."""
    first, second, text, host, path = token(), token(), token(), token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round5/summernote.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click(".note-editable")
    page.keyboard.type(f"{first} @Per")
    page.wait_for_selector(".note-hint-item >> text=Perpetua Holloway")
    page.keyboard.press("Enter")
    page.keyboard.type(f" {second} ")
    page.click(".note-btn[aria-label^='Link']")
    page.click(".note-link-text")
    page.keyboard.type(text)
    page.click(".note-link-url")
    page.keyboard.press("Control+A")
    page.keyboard.type(f"https://{host}.example.com/{path}")
    page.click(".note-link-btn")
    page.click(f".note-editable a >> text={text}")
    page.click(".note-btn[aria-label^='Code View']")
    page.click(".note-btn[aria-label^='Code View']")
    saved(page, queued_events, "#save", text)
    labels = click_labels(queued_events)
    assert labels == [
        "[content]",
        "Link (CTRL+K)",
        "Text to display",
        "To what URL should this link go?",
        "Insert Link",
        "[content]",
        "Code View",
        "Code View",
        "Save",
        "Done",
    ], labels
    # The mention is in the editor's text, learnt with it when the editor is left.
    route = of_type(queued_events(), "route_change")[-1]
    assert route["title"] == "[typed] - Comment", route["title"]
    assert "Perpetua Holloway" in page.title(), page.title()
    check_clean(npm_capturing, live_server, [first, second, text, host, path, *NAMES], run_workers)


def test_ace_words_typed_and_mended(npm_capturing, pages, live_server, queued_events, run_workers):
    """Ace: words typed on two lines, the first line's last word mended in its middle (the caret
    moved back three letters, a letter typed) after the caret went to the second line and back;
    the page shows the first line live in its title; a key pressed while the editor keeps the
    focus; Ace's search box (Ctrl+F) searched by typing; Save."""
    first, second, third, query = token(), token(), token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round5/ace.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click(".ace_content")
    page.keyboard.type(f"{first} {second}")
    page.keyboard.press("Enter")
    page.keyboard.type(third)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("End")
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    page.keyboard.type("k")
    wait_for(lambda: mended(second) in page.title(), 5, message="the mended word in the title")
    page.keyboard.press("ArrowDown")
    key = arrived(queued_events, "key", key="ArrowDown")[-1]
    assert key["title"] == "Draft: [typed]", key["title"]
    assert key["target"].get("label") == "[content]", key["target"]  # Ace's field: a textbox
    page.keyboard.press("Control+F")
    page.wait_for_selector(".ace_search_field")
    page.keyboard.type(query)
    page.keyboard.press("Enter")
    search = arrived(queued_events, "key", key="Enter", target__tag="input")[-1]
    assert "label" not in search["target"], search["target"]  # a placeholder names nothing
    page.keyboard.press("Escape")
    saved(page, queued_events, "#save", third)
    # The text drawn by Ace (a div) names nothing.
    assert click_labels(queued_events) == [None, "Save", "Done"], click_labels(queued_events)
    route = of_type(queued_events(), "route_change")[-1]
    assert route["title"] == "[typed] - Query", route["title"]
    check_clean(
        npm_capturing, live_server, [first, second, mended(second), third, query], run_workers
    )


def test_sortable_tasks_dragged_keep_the_pages_words(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """SortableJS: a task typed and added to a list, tasks dragged to the top (HTML5 drag and
    drop: SortableJS puts the dragged item's text in the drag's data, "Archive old files"), the
    typed one too; then the page's own "Archive" button clicked. Dropped text dragged on the page
    is the page's own: the typed task stays masked, and "Archive" keeps its name (it was
    [typed] when every drop's text was learnt)."""
    first, second = token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round5/sortable.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("#task")
    page.keyboard.type(f"{first} {second}")
    page.keyboard.press("Enter")
    typed_task = f"#tasks li >> text={first} {second}"
    page.wait_for_selector(typed_task)
    page.drag_and_drop("#tasks li >> text=Archive old files", "#tasks li >> text=Invoice review")
    page.drag_and_drop(typed_task, "#tasks li >> text=Archive old files")
    assert page.inner_text("#tasks li:first-child") == f"{first} {second}", "not dragged"
    page.click("#tasks li >> text=Archive old files")
    page.click("#archive")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    # Enter in the field clicks Add; a task (a list item) is [content].
    labels = click_labels(queued_events)
    assert labels == ["New task", "Add", "[content]", "Archive", "Done"], labels
    assert {e.get("title") for e in of_type(queued_events(), "click")} >= {"Tasks (moved 4)"}
    check_clean(npm_capturing, live_server, [first, second, "Perpetua", "Holloway"], run_workers)


def test_select2_colleagues_and_typed_tags(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """Select2: an "Assignee" colleague picked by typing part of the name (the combobox is then
    labelled, through aria-labelledby, by the element showing the name), the combobox clicked
    again and closed; two watchers picked, one removed by its chip's button; tags typed (a space
    ends each); Save shows the tags."""
    first, second = token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round5/select2.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("#assignee + .select2 .select2-selection")
    page.keyboard.type("Thad")
    page.keyboard.press("Enter")
    assert page.inner_text("#assignee + .select2 .select2-selection__rendered") == (
        "Thaddeus Wrexham"
    )
    page.click("#assignee + .select2 .select2-selection")
    page.keyboard.press("Escape")
    page.click("#watchers + .select2 .select2-selection")
    page.click(".select2-results__option >> text=Marisol Thackeray")
    page.click("#watchers + .select2 .select2-selection")
    page.click(".select2-results__option >> text=Leofric Dunmore")
    page.click("#watchers + .select2 .select2-selection__choice[title='Marisol Thackeray'] button")
    page.keyboard.press("Escape")
    page.click("#tags + .select2 .select2-selection")
    page.keyboard.type(f"{first} {second} ")
    page.keyboard.press("Escape")
    saved(page, queued_events, "#save", second)
    labels = click_labels(queued_events)
    # The Assignee combobox borrows its name from the element showing the colleague, a
    # read-only textbox: [content]. Select2 picks and removes on mouseup and draws its lists
    # again, so some clicks land on nothing; no click names anyone.
    assert labels[:2] == ["[content]", "[content]"] and labels[-2:] == ["Save", "Done"], labels
    assert set(labels[2:-2]) <= {"[content]", None}, labels
    last = of_type(queued_events(), "observation")[-1]["elements"]
    spans = [e.get("label") for e in last if e.get("tag") == "span"]
    assert spans == ["[content]", "[content]", None, None], spans
    buttons = [e.get("label") for e in last if e.get("tag") == "button"]
    assert buttons == ["[content]", "[content]", "[content]", "Save [typed]", "Done"], buttons
    check_clean(npm_capturing, live_server, [first, second, *NAMES], run_workers)


def test_bootstrap_select_button_showing_a_colleague(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """bootstrap-select: an "Assignee" select drawn as a button showing the chosen colleague
    (role=combobox, aria-haspopup=listbox, the name in its text and title); opened, searched by
    typing, a colleague picked; opened again and closed; a "Priority" of words picked."""
    page = open_app(npm_capturing, pages, queued_events, "/round5/bootstrap-select.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("button[data-id=assignee]")
    page.keyboard.type("Thad")
    page.click(".dropdown-menu.show li a >> text=Thaddeus Wrexham")
    assert page.get_attribute("button[data-id=assignee]", "title") == "Thaddeus Wrexham"
    page.click("button[data-id=assignee]")
    page.keyboard.press("Escape")
    page.click("button[data-id=priority]")
    page.click(".dropdown-menu.show li a >> text=High")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    # The button shows the chosen value: named by it only when it has the shape of UI vocabulary
    # ("Low"), as a native select's chosen option is; a colleague's name is [content] (it was
    # the button's label, in every click and observation). The options are [content].
    labels = click_labels(queued_events)
    assert labels == ["[content]", "[content]", "[content]", "Low", "[content]", "Done"], labels
    last = of_type(queued_events(), "observation")[-1]["elements"]
    pickers = [e.get("label") for e in last if e.get("role") == "combobox" and e["tag"] == "button"]
    assert pickers == ["[content]", "High"], pickers
    check_clean(npm_capturing, live_server, NAMES, run_workers)
