"""Driving the popup as a page about one tab, and reading a tab's badge."""

from __future__ import annotations

from tests.e2e.e2e_harness import EXTENSION_ID

POPUP = f"chrome-extension://{EXTENSION_ID}/popup/popup.html"


def tab_id(browser, url: str) -> int:
    """The id of the open tab showing `url`."""
    tabs = browser.evaluate("chrome.tabs.query({}).then(ts => ts.map(t => [t.id, t.url]))")
    return next(i for i, u in tabs if u == url)


def badge(browser, tab: int) -> tuple[str, str]:
    """(text, tooltip) of the toolbar badge for one tab."""
    return tuple(
        browser.evaluate(
            "t => Promise.all([chrome.action.getBadgeText({tabId: t}),"
            " chrome.action.getTitle({tabId: t})])",
            tab,
        )
    )


def popup_for(browser, url: str):
    """Open the popup as a page about the tab showing `url` (as if opened over that tab)."""
    popup = browser.context.new_page()
    popup.goto(f"{POPUP}?tab={tab_id(browser, url)}")
    return popup
