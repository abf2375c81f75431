"""Pages the browser prerenders (speculation rules, and Chromium's own guesses from the address
bar): loaded, run and drawn in a hidden tab before the employee goes there, if ever.

Chromium does not prerender while DevTools drive it ("PrerenderingDisabledByDevTools"), so these
tests start it as a person would, without Playwright; the pages drive themselves, and what they
did is read from the pages server's requests and the events the server received.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.e2e.e2e_harness import CHROMIUM_ARGS, prepare_extension, wait_for
from tests.e2e.events_helpers import of_type, sent_events

HOME = """<!doctype html><html><head><title>Orders</title>
<script type="speculationrules">
{"prerender": [{"source": "list", "urls": ["/site/next.html", "/site/other.html"]}]}
</script></head>
<body style="height: 5000px"><h1>Orders</h1><script>
  // Scrolls a little every second (at least one is seen once capture is on), then leaves.
  let y = 0;
  setInterval(() => window.scrollTo(0, (y += 350)), 1000);
  setTimeout(() => { location.href = "/site/next.html"; }, 12000);
</script></body></html>"""
# Its title says whether it was prerendered: set while its script first runs.
NEXT = """<!doctype html><html><head><title>Checkout</title></head><body><h1>Payment</h1>
<script>
  document.title = document.prerendering ? "Checkout prerendered" : "Checkout loaded";
</script>
</body></html>"""
OTHER = """<!doctype html><html><head><title>Reports</title></head><body><h1>Reports</h1></body>
</html>"""


@pytest.fixture
def prerendering_site(live_server, enrolled, pages, tmp_path, chromium_executable):
    """Chromium (no DevTools) with the capturing extension, on a page that prerenders two pages,
    scrolls every second and goes to one of them after 12 s."""
    site = tmp_path / "site"
    site.mkdir()
    for name, html in (("home.html", HOME), ("next.html", NEXT), ("other.html", OTHER)):
        (site / name).write_text(html)
    pages.mount("/site", site)
    pages.requests.clear()  # the pages server is the session's: only this test's requests
    ext = prepare_extension(tmp_path / "extension", live_server.ws_url, enrolled())
    command = [
        chromium_executable,
        "--headless",
        *CHROMIUM_ARGS,
        f"--disable-extensions-except={ext}",
        f"--load-extension={ext}",
        f"--user-data-dir={tmp_path / 'profile'}",
        pages.url("/site/home.html"),
    ]
    browser = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield pages
    browser.kill()
    browser.wait(10)


def test_a_prerendered_page_is_captured_from_when_it_is_shown_and_never_if_it_is_not(
    prerendering_site, live_server
):
    """The page view of a prerendered page is sent when the employee gets there (after what
    they did on the page before, in the tab's order), and a prerendered page they never open
    sends nothing."""
    pages = prerendering_site
    home, next_, other = (pages.url(f"/site/{n}.html") for n in ("home", "next", "other"))
    view = wait_for(
        lambda: of_type(sent_events(live_server), "page_view", url=next_),
        30,
        message="the page view of the page gone to",
    )[0]
    purposes = dict(pages.requests)
    # Both were prerendered (else this test would prove nothing), and the page gone to was
    # shown from its prerendering, not loaded again.
    assert "prerender" in (purposes.get("/site/other.html") or ""), pages.requests
    assert "prerender" in (purposes.get("/site/next.html") or ""), pages.requests
    assert view["title"] == "Checkout prerendered"

    scrolls = of_type(sent_events(live_server), "scroll", url=home)
    assert scrolls, f"the page view of {next_} came before anything done on the page before"
    scroll = scrolls[-1]
    assert scroll["ts"] < view["ts"]
    assert scroll["tab"] == view["tab"] and scroll["step"] < view["step"]
    wait_for(lambda: len(sent_events(live_server)) >= 3, 5)
    assert [e for e in sent_events(live_server) if e["url"] == other] == []
