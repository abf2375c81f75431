"""Red team, round 7: the limits docs/privacy.md listed after round 6
(tests/e2e/test_redteam_round6.py): file and folder names taken through the File System Access
API, drafts encoded otherwise than in base64, menus tied to their trigger by aria-controls only,
Radix's DropdownMenu as a picker of colleagues. Pages are tests/e2e/pages/round7/; the search for
leaks is tests/e2e/redteam.py.

- test_folder_dropped_and_read (as handles, as entries): a folder
  from the disk (its files named by new words) dropped on a zone that reads the drop as
  handles (getAsFileSystemHandle, then entries(), values(), keys() and the folder's async
  iterator) or as entries (webkitGetAsEntry, readEntries, as upload libraries read a dropped
  folder), and shows the entries' names in a list, tabs, an output and the title: the drop's
  own files (the folder, a file) were learnt, the folder's entries were not, and left in the
  tabs' labels and the title, until content/page-world.js handed the names of what the user
  chose over as page text.
- test_file_system_access_pickers: showOpenFilePicker, showSaveFilePicker and
  showDirectoryPicker, the name chosen shown in the heading, the title, a tab and a list, a
  folder's entries too. Headless Chromium cannot choose in these pickers: with
  Page.setInterceptFileChooserDialog it reports them (Page.fileChooserOpened, without a node)
  and aborts them, and DOM.setFileInputFiles needs a file input. So a script the test adds
  before the page's own (and before content/page-world.js), pages/round7/picker-stand-in.js,
  stands in for the browser's dialogs, returning real handles of the origin's private file
  system named by new words. The names leaked (tabs, title) until content/page-world.js
  handed them over. The page's own folder in that file system ("Archive", a button) keeps its
  name: only what the user chose is learnt.
- test_draft_in_a_hex_or_lz_string_share_link: a draft's typed title and body kept in the
  hash route and the title as hex of UTF-8, or compressed by lz-string (npm,
  compressToEncodedURIComponent, compressToBase64): the route and the title carried the
  encoded draft until typed-words.js decoded hex runs and lz-string runs (the package's own
  file, vendored under extension/vendor/) and masked those holding a typed word.
- test_portal_menus_tied_by_aria_controls: menus drawn at the end of the body, tied to their
  trigger by aria-controls or aria-owns only: their items (menuitems, links) were named after
  the colleagues until an element an open popup trigger names so was known as its popup. An
  accordion's panel (aria-controls, no popup) keeps its commands' names.
  The colleague chosen, shown elsewhere in a span role=button chip and a button holding
  spans (no popup semantics), was named so until the names the policy held as [content] as
  choices on the page were noted (as hashes) and a name holding one was [content] too; a div
  role=button "Sign Out" keeps its name.
- test_radix_dropdown_menu_as_a_picker: Radix's DropdownMenu (React, bundled by esbuild):
  items and radio items named after colleagues, the trigger showing the one chosen. Its menu
  is aria-labelledby the trigger's generated id, which the app's own id on the trigger
  replaces, so it was not known as a popup and its items were named after the colleagues
  (observations) until the open trigger's aria-controls tied them.

A failing test here is a leak (its message names the event type, the field and the value).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import serve_bundle
from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import of_type
from tests.e2e.redteam import check_clean, token
from tests.e2e.test_label_policy import arrived, open_app
from tests.e2e.test_redteam_round4 import click_labels

NAMES = ["Perpetua", "Holloway", "Thaddeus", "Wrexham", "Ottoline", "Marchbank"]
PAGES = Path(__file__).parent / "pages" / "round7"


def drop_files(page, selector: str, paths: list[Path]) -> None:
    """Drop files and folders from the disk on `selector`, as from a file manager: a trusted
    drag through CDP (Input.dispatchDragEvent with the paths)."""
    box = page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    data = {"items": [], "files": [str(p) for p in paths], "dragOperationsMask": 1}
    for kind in ("dragEnter", "dragOver", "drop"):
        cdp.send("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data})
    cdp.detach()


def a_folder(tmp_path: Path) -> tuple[Path, list[str]]:
    """A folder named by a new word holding three files named by new words; (it, the words)."""
    name = token()
    folder = tmp_path / name
    folder.mkdir()
    words = [name]
    for _ in range(3):
        word = token()
        (folder / f"{word}.txt").write_text("notes\n")
        words.append(word)
    return folder, words


@pytest.mark.parametrize("read_as", ["handles", "entries"])
def test_folder_dropped_and_read(
    npm_capturing, pages, live_server, queued_events, run_workers, tmp_path, read_as
):
    """A folder and a file from the disk dropped on the zone, read as handles or as entries;
    the folder's entries shown as tabs and a list, in an output and the title; each tab
    clicked."""
    folder, words = a_folder(tmp_path)
    loose = token()
    (tmp_path / f"{loose}.pdf").write_text("%PDF\n")
    page = open_app(
        npm_capturing, pages, queued_events, f"/round7/file-handles.html?drop={read_as}"
    )
    page.wait_for_selector("body[data-ready=yes]")
    drop_files(page, "#drop", [folder, tmp_path / f"{loose}.pdf"])
    wait_for(lambda: page.locator("#tabs button").count() == 5, 5, message="the entries' tabs")
    for word in words[1:]:
        page.click(f"#tabs button >> text={word}.txt")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events)
    assert labels == ["[typed]", "[typed]", "[typed]", "Done"], labels
    check_clean(npm_capturing, live_server, [*words, loose], run_workers)


STAND_IN = PAGES / "picker-stand-in.js"


def test_file_system_access_pickers(npm_capturing, pages, live_server, queued_events, run_workers):
    """A file opened, a file saved under a name other than the one suggested, a folder opened
    (its entries listed in tabs, a list, an output and the title); the tabs clicked; the
    page's own "Archive" folder's button clicked."""
    chosen = {
        "open": f"{token()}.docx",
        "save": f"{token()}.txt",
        "folder": token(),
        "entries": [f"{token()}.md", f"{token()}.csv"],
    }
    words = [chosen["open"][:-5], chosen["save"][:-4], chosen["folder"]]
    words += [name.split(".")[0] for name in chosen["entries"]]
    npm_capturing.context.add_init_script(
        STAND_IN.read_text().replace("CHOSEN", json.dumps(chosen))
    )
    page = open_app(npm_capturing, pages, queued_events, "/round7/file-handles.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("#open")
    wait_for(lambda: words[0] in page.title(), 5, message="the file's name in the title")
    page.click("#save")
    wait_for(lambda: words[1] in page.title(), 5, message="the saved file's name in the title")
    page.click("#folder")
    wait_for(lambda: page.locator("#tabs button").count() == 5, 5, message="the entries' tabs")
    for name in [chosen["open"], chosen["save"], *chosen["entries"]]:
        page.click(f"#tabs button >> text={name}")
    page.click("#own")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events)
    assert labels == [
        "Open file",
        "Save as",
        "Open folder",
        "[typed]",
        "[typed]",
        "[typed]",
        "[typed]",
        "Archive",
        "Done",
    ], labels
    check_clean(npm_capturing, live_server, words, run_workers)


@pytest.mark.parametrize("style", ["hex", "lz-uri", "lz-base64"])
def test_draft_in_a_hex_or_lz_string_share_link(
    npm_capturing, pages, live_server, queued_events, run_workers, style
):
    """A draft's title and body typed, then "Share": the page puts them, as JSON in hex or
    lz-string, in its hash route and its title, and links to it; the link clicked."""
    first, second, third = token(), token(), token()
    page = open_app(
        npm_capturing, pages, queued_events, f"/round7/encoded-draft.html?style={style}"
    )
    page.wait_for_selector("body[data-ready=yes]")
    page.click("#title")
    page.keyboard.type(f"{first} {second}")
    page.click("#body")
    page.keyboard.type(f"Call {third}")
    page.click("#share")
    code = page.evaluate("location.hash").removeprefix("#/share/")
    assert len(code) > 20 and first not in code, code
    page.click("#link")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    route = arrived(queued_events, "route_change")[0]
    assert route["url"].endswith("#/share/[typed]"), route["url"]
    urls = {e["url"] for e in queued_events()}
    assert all("share/" not in url or url.endswith("#/share/[typed]") for url in urls), urls
    titles = {e["title"] for e in of_type(queued_events(), "click")}
    assert titles == {"Draft", "Draft [typed]"}, titles
    labels = click_labels(queued_events)
    assert labels == ["Title", "Body", "Share", "Open shared draft", "Done"], labels
    # The search for leaks looks for the encoded text too.
    check_clean(npm_capturing, live_server, [first, second, third, code], run_workers)


def test_portal_menus_tied_by_aria_controls(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """An "Assignee" menu (aria-controls) and a "Reviewer" menu (aria-owns) of colleagues drawn
    at the end of the body: each opened, a colleague chosen, opened again and closed with
    Escape; a "Status" of words; an accordion opened and its "Export As CSV" clicked; the chip
    and the card showing the assignee clicked, and a div role=button "Sign Out"."""
    page = open_app(npm_capturing, pages, queued_events, "/round7/portal-menus.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("#assignee")
    page.click("#assignee-menu >> text=Thaddeus Wrexham")
    assert page.inner_text("#assignee") == "Thaddeus Wrexham"
    page.click("#assignee")
    page.keyboard.press("Escape")
    page.click("#reviewer")
    page.click("#reviewer-menu >> text=Perpetua Holloway")
    page.click("#status")
    page.click("#status-menu >> text=In progress")
    page.click("#more")
    page.click("#export")
    page.click("#assignee-chip")
    page.click("#assignee-card")
    page.click("#sign-out")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events)
    assert labels == [
        "Unassigned",
        "[content]",
        "[content]",
        "Nobody",
        "[content]",
        "Open",
        "In progress",
        "More actions",
        "Export As CSV",
        "[content]",
        "[content]",
        "Sign Out",
        "Done",
    ], labels
    escape = arrived(queued_events, "key", key="Escape")[0]
    assert escape["target"].get("label") == "[content]", escape["target"]
    items = {
        e.get("label")
        for o in of_type(queued_events(), "observation")
        for e in o["elements"]
        if e.get("role") in ("menuitem", "link")
    }
    assert {"In progress", "Closed"} <= items, items
    check_clean(npm_capturing, live_server, NAMES, run_workers)


@pytest.fixture
def radix_capturing(npm_capturing, npm_packages, pages, tmp_path):
    """npm_capturing, with pages/round7/radix-menus.jsx bundled by esbuild (React and Radix's
    DropdownMenu from NPM_PACKAGES) and served under /bundle."""
    serve_bundle(npm_packages, pages, tmp_path, PAGES / "radix-menus.jsx")
    return npm_capturing


def test_radix_dropdown_menu_as_a_picker(
    radix_capturing, pages, live_server, queued_events, run_workers
):
    """Radix's DropdownMenu as pickers: an "Owner" of colleagues (items) and an approver
    (radio items), each opened with the keyboard and a colleague chosen, opened again and
    closed with Escape; a "Status" of words."""
    page = open_app(radix_capturing, pages, queued_events, "/round7/radix-menus.html")
    page.wait_for_selector("body[data-ready=yes]")
    for trigger, name in (("#owner", "Thaddeus Wrexham"), ("#approver", "Ottoline Marchbank")):
        page.focus(trigger)
        page.keyboard.press("Enter")
        page.click(f"[role=menu] >> text={name}")
        wait_for(lambda t=trigger, n=name: page.inner_text(t) == n, 5, message="the choice shown")
        page.focus(trigger)
        page.keyboard.press("Enter")
        page.wait_for_selector("[role=menu]")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Escape")
    page.focus("#status")
    page.keyboard.press("Enter")
    page.click("[role=menu] >> text=In progress")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    items = {
        e.get("label")
        for o in of_type(queued_events(), "observation")
        for e in o["elements"]
        if e.get("role") in ("menuitem", "menuitemradio")
    }
    assert "In progress" in items and "[content]" in items, items
    check_clean(radix_capturing, live_server, NAMES, run_workers)
