"""Red team, round 4: editors, spreadsheets, boards and pickers from npm that nobody here wrote,
beyond those rounds 1 to 3 and tests/e2e/test_editor_libraries.py and
tests/e2e/test_grid_libraries.py try. Pages are tests/e2e/pages/round4/; the search for leaks is
tests/e2e/redteam.py.

- test_easymde_words_typed_and_mended: EasyMDE (CodeMirror 5) takes keys in a hidden textarea it
  empties as the caret moves, and draws the text in its own spans; a word is mended in the middle
  after the caret moved back, so no field ever held it whole.

A failing test here is a leak (its message names the event type, the field and the value).
"""

from __future__ import annotations

import pytest

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import of_type
from tests.e2e.redteam import check_clean, token
from tests.e2e.test_label_policy import arrived, open_app


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
    assert route["title"] == "[typed] - Issue", route["title"]
    check_clean(npm_capturing, live_server, [first, second, third, mended(third)], run_workers)
