"""A work app's Document Picture-in-Picture window (`documentPictureInPicture.requestWindow()`:
an always-on-top `about:blank` window the page fills with its own elements, as call and
compose widgets do): words typed there and shown back by the page's main window stay masked.
"""

from __future__ import annotations

from tests.e2e.redteam import check_clean, token
from tests.e2e.test_capture import arrived

# The page's own code: "Pop out" moves a draft field into a Picture-in-Picture window, and the
# main window shows the draft in its title and a button's name as it is typed.
POP_OUT = """() => {
    const button = document.createElement("button");
    button.id = "pop-out";
    button.textContent = "Pop out";
    document.body.append(button);
    button.addEventListener("click", async () => {
        const win = await documentPictureInPicture.requestWindow({ width: 320, height: 200 });
        const draft = win.document.createElement("textarea");
        draft.id = "draft";
        win.document.body.append(draft);
        draft.addEventListener("input", () => {
            document.title = "Draft " + draft.value;
            document.querySelector("#save").setAttribute("aria-label", "Save " + draft.value);
        });
    });
}"""


def test_words_typed_in_a_picture_in_picture_window_stay_masked(
    capturing, pages, queued_events, live_server
):
    home = pages.url("/app/home")
    page = capturing.open(home)
    arrived(queued_events, "page_view", url=home)
    assert page.evaluate("'documentPictureInPicture' in window")
    page.evaluate(POP_OUT)
    with page.context.expect_page(timeout=10000) as opened:
        page.click("#pop-out")
    window = opened.value
    words = [token(), token()]
    window.click("#draft")
    window.keyboard.type(" ".join(words) + " ")
    assert words[1] in page.title()
    page.click("#save")
    click = arrived(queued_events, "click", target__selector="#save")
    assert click["title"] == "Draft [typed]"  # a run of typed words is one mask
    assert click["target"]["label"] == "Save [typed]"
    check_clean(capturing, live_server, words)
