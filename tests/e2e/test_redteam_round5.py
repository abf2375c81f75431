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

A failing test here is a leak (its message names the event type, the field and the value).
"""

from __future__ import annotations

import pytest

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import of_type
from tests.e2e.redteam import check_clean, token
from tests.e2e.test_label_policy import arrived, open_app
from tests.e2e.test_redteam_round3 import saved
from tests.e2e.test_redteam_round4 import click_labels


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
