"""Trajectories from real Chromium: two tabs, observations, choices, keys, a task, the export."""

from __future__ import annotations

import json

import datasets
import pandas
import pytest

from backend.core.steps import export_steps
from tests.e2e.e2e_harness import EXTENSION_ID, wait_for
from tests.e2e.events_helpers import EVERYTHING, capture_everything, sent_events

POPUP = f"chrome-extension://{EXTENSION_ID}/popup/popup.html"
ACTIONS = ("click", "change", "key", "submit", "page_view")
GOAL = "Create a quote for a returning customer"
TYPED = "Zqxwy Holdings"


@pytest.fixture
def browser(admin, live_server, launch_browser, pages):
    """A capturing browser consented to every category; k = 1 so labels stay readable."""

    def start(consent=EVERYTHING):
        return capture_everything(live_server, admin, launch_browser, pages, consent)

    return start


def arrived(live_server, predicate, message):
    return wait_for(lambda: [e for e in sent_events(live_server) if predicate(e)], 15, 0.1, message)


def page_in(live_server, pages, path):
    """Wait for the page view of `path` (the content script is listening then)."""
    arrived(live_server, lambda e: e["type"] == "page_view" and e["url"] == pages.url(path), path)


def views_of(live_server, url, n):
    """Wait for the n-th page view of `url`."""
    wait_for(
        lambda: (
            len(
                [
                    e
                    for e in sent_events(live_server)
                    if e["type"] == "page_view" and e["url"] == url
                ]
            )
            >= n
        ),
        15,
        0.1,
        f"{n} page views of {url}",
    )


def by_tab(records):
    tabs: dict[str, list[dict]] = {}
    for r in records:
        if "tab" in r:
            tabs.setdefault(r["tab"], []).append(r)
    return {t: sorted(rs, key=lambda r: r["step"]) for t, rs in tabs.items()}


def test_two_tabs_a_task_and_the_steps_export(
    browser, live_server, pages, run_workers, settings, tmp_path, monkeypatch
):
    """Sealed records rebuild each tab's actions; bids resolve; a task wraps what happened in it."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    b = browser()
    one = b.open(pages.url("/crm/customers.html"))
    page_in(live_server, pages, "/crm/customers.html")
    one.click("#sort-name")  # before the task

    popup = b.context.new_page()
    popup.goto(POPUP)
    popup.fill("#task-goal", GOAL)
    popup.click("#task-start button")
    popup.wait_for_selector("#task-done", state="visible")

    one.bring_to_front()
    one.click("#filter")
    one.click("#to-quotes")
    page_in(live_server, pages, "/crm/quotes.html")
    # A tab opened within 2 s of a click is taken as the click's (a link opened in a new tab).
    one.wait_for_timeout(2100)
    two = b.open(pages.url("/crm/quotes.html?tab=2"))
    views_of(live_server, pages.url("/crm/quotes.html"), 2)  # the query is stripped
    two.focus("#kind")
    two.keyboard.press("ArrowDown")  # a trusted change (select_option dispatches untrusted ones)
    two.check("#urgent")
    two.fill("#company", TYPED)
    two.press("#company", "Enter")
    two.wait_for_selector("#saved", state="visible")
    one.bring_to_front()
    one.click("#add-line")
    one.click("#remove-line")  # appeared after the last observation: a fresh one comes first

    popup.bring_to_front()
    popup.click("#task-done")
    popup.wait_for_selector("#task-goal", state="visible")
    one.bring_to_front()
    one.click("#to-customers")  # after the task
    views_of(live_server, pages.url("/crm/customers.html"), 2)
    wait_for(lambda: b.outbox_size() == 0, 15, 0.1, "everything acknowledged")
    records = run_workers()

    # Each tab's exact sequence of actions, rebuilt from sealed records alone.
    tabs = by_tab(records)
    assert len(tabs) == 2
    seqs = {}
    for rs in tabs.values():
        assert [r["step"] for r in rs] == list(range(len(rs))), "steps are gap-free per tab"
        seqs[rs[0]["url"]] = [
            (r["type"], (r.get("target") or {}).get("selector") or r.get("key") or r["url"])
            for r in rs
            if r["type"] in ACTIONS
        ]
    customers, quotes = pages.url("/crm/customers.html"), pages.url("/crm/quotes.html")
    assert seqs[customers] == [
        ("page_view", customers),
        ("click", "#sort-name"),
        ("click", "#filter"),
        ("click", "#to-quotes"),
        ("page_view", quotes),
        ("click", "#add-line"),
        ("click", "#remove-line"),
        ("click", "#to-customers"),
        ("page_view", customers),
    ]
    assert seqs[quotes] == [
        ("page_view", quotes),
        ("key", "#kind"),
        ("change", "#kind"),
        ("click", "#urgent"),  # Playwright's check() clicks
        ("change", "#urgent"),
        ("key", "#company"),
        ("click", "#save-quote"),  # Enter submits through the default button
        ("submit", "#quote"),
    ], seqs[quotes]

    # Every click's bid is an element of the preceding observation, same role and label.
    for rs in tabs.values():
        latest = None
        for r in rs:
            if r["type"] == "observation":
                latest = r
            elif r["type"] in ("click", "change") and "bid" in r["target"]:
                assert latest is not None and latest["page"] == r["page"]
                element = {e["bid"]: e for e in latest["elements"]}[r["target"]["bid"]]
                assert element.get("role") == r["target"].get("role")
                assert element.get("label") == r["target"].get("label")
    clicks = [r for r in records if r["type"] == "click"]
    assert all("bid" in c["target"] for c in clicks), "every clicked element was observed"

    # Choices and keys arrive as change / key; the typed text appears nowhere.
    changes = {r["target"]["selector"]: r for r in records if r["type"] == "change"}
    assert changes["#kind"]["value"] == "Returning customer"
    assert changes["#urgent"]["checked"] is True
    assert [r["key"] for r in records if r["type"] == "key"] == ["ArrowDown", "Enter"]
    text = json.dumps(records)
    assert "Zqxwy" not in text
    assert "Zqxwy" not in json.dumps(sent_events(live_server))

    # The task wraps exactly the events between its start and its end.
    (start,) = [r for r in records if r["type"] == "task_start"]
    (end,) = [r for r in records if r["type"] == "task_end"]
    assert start["goal"] == GOAL and end["outcome"] == "done" and start["task"] == end["task"]
    tagged = [r for r in records if r.get("task") == start["task"] and "step" in r]
    untagged = [r for r in records if "task" not in r and "step" in r]
    assert all(start["ts"] <= r["ts"] <= end["ts"] for r in tagged)
    assert all(not (start["ts"] < r["ts"] < end["ts"]) for r in untagged)
    acted = {(r["type"], r["target"]["selector"]) for r in tagged if "target" in r}
    assert {("click", "#filter"), ("change", "#kind"), ("click", "#remove-line")} <= acted
    assert ("click", "#sort-name") not in acted and ("click", "#to-customers") not in acted

    # The steps export: the typed goal, and every action names an element of its observation.
    path, _, _ = export_steps(settings.data_dir / "datasets", tmp_path / "steps")
    episodes = [json.loads(line) for line in path.read_text().splitlines()]
    (task,) = [e for e in episodes if e["kind"] == "task"]
    assert task["goal"] == GOAL and task["outcome"] == "done"
    actions = [s["action"] for s in task["steps"]]
    assert "select_option" in " ".join(actions)
    # Enter in the company field, named by its bid as BrowserGym's press(bid, key_comb) takes it.
    (enter,) = [s for s in task["steps"] if s["action"].endswith('"Enter")')]
    assert enter["bid"] and enter["action"] == f'press("{enter["bid"]}", "Enter")'
    assert any(a.startswith("tab_focus(") for a in actions)
    # The box ticked by a click is that click alone (the browser sent a click and a change).
    assert not [a for a in actions if a.startswith(("check(", "uncheck("))], actions
    # ArrowDown on the select and the choice it made are the choice alone.
    assert not [a for a in actions if a.endswith('"ArrowDown")')], actions
    # Tab two, opened by the person during the task: a replay opens it, then goes there.
    opened = actions.index("new_tab()")
    assert task["steps"][opened]["tab"] == 1 and actions[opened + 1].startswith("goto(")
    assert "tab_focus(1)" not in actions[:opened]
    for step in task["steps"]:
        if step["bid"]:
            assert step["observation"] is not None, [
                (s["action"], s["observation"] and len(s["observation"]["elements"]))
                for s in task["steps"]
            ]
            assert step["bid"] in {e["bid"] for e in step["observation"]["elements"]}
    # As an ML engineer would load it: pandas and Hugging Face datasets read the same rows.
    assert len(pandas.read_json(path, lines=True)) == len(episodes)
    ds = datasets.load_dataset(
        "json", data_files=str(path), split="train", cache_dir=tmp_path / "hf"
    )
    assert ds.num_rows == len(episodes)
    (loaded,) = [row for row in ds if row["kind"] == "task"]
    assert loaded["goal"] == GOAL and [s["action"] for s in loaded["steps"]] == actions
    for got, written in zip(loaded["steps"], task["steps"], strict=True):
        assert got["observation"] == written["observation"] and got["bid"] == written["bid"]


def test_back_and_forward_in_the_steps_export(
    browser, live_server, pages, run_workers, settings, tmp_path
):
    """Back and Forward in a real tab are `go_back()` and `go_forward()` in the steps export (a
    page view that no action caused, onto the tab's entry before or after), not `goto(url)`."""
    b = browser()
    customers, quotes = pages.url("/crm/customers.html"), pages.url("/crm/quotes.html")
    page = b.open(customers)
    page_in(live_server, pages, "/crm/customers.html")
    page.click("#to-quotes")
    page_in(live_server, pages, "/crm/quotes.html")
    # Read the page a while: a page view within 2 s of a click is taken as the click's effect.
    page.wait_for_timeout(2200)
    page.go_back()
    views_of(live_server, customers, 2)
    page.go_forward()
    views_of(live_server, quotes, 2)
    wait_for(lambda: b.outbox_size() == 0, 15, 0.1, "everything acknowledged")
    run_workers()

    path, _, _ = export_steps(settings.data_dir / "datasets", tmp_path / "steps")
    (run,) = [json.loads(line) for line in path.read_text().splitlines()]
    actions = [s["action"] for s in run["steps"]]
    assert actions[0] == f"goto({json.dumps(customers)})"
    assert actions[1].startswith("click(")
    assert actions[2:] == ["go_back()", "go_forward()"], actions
    assert [s["url"] for s in run["steps"][2:]] == [customers, quotes]


def test_no_observation_without_page_structure_and_none_while_paused(
    browser, admin, live_server, pages
):
    """page_structure off: no observation leaves and clicks carry no bid; a pause stops them too."""
    consent = tuple(c for c in EVERYTHING if c != "page_structure")
    b = browser(consent)
    page = b.open(pages.url("/crm/quotes.html"))
    page_in(live_server, pages, "/crm/quotes.html")
    page.click("#add-line")
    click = arrived(live_server, lambda e: e["type"] == "click", "click")[0]
    assert "bid" not in click["target"]
    assert not [e for e in sent_events(live_server) if e["type"] == "observation"]

    pause_id = admin.pause()
    b.wait_for_status("paused_admin")
    before = len(sent_events(live_server))
    page.click("#remove-line")
    page.evaluate(
        "document.body.append(Object.assign(document.createElement('button'), {id: 'n'}))"
    )
    page.evaluate("document.getElementById('n').textContent = 'New'")
    page.click("text=New")
    admin.resume(pause_id)
    b.wait_for_status("capturing")
    page.click("#save-quote")
    arrived(live_server, lambda e: e["type"] == "submit", "submit after resume")
    during = sent_events(live_server)[before:]
    assert [e["type"] for e in during if e["type"] != "visibility"] in (
        ["click", "submit"],
        ["submit", "click"],
    )


def test_steps_continue_after_a_service_worker_restart(browser, live_server, pages):
    """The step counter and the tab id live in session storage: a restarted worker continues."""
    b = browser()
    page = b.open(pages.url("/crm/customers.html"))
    page_in(live_server, pages, "/crm/customers.html")
    page.click("#sort-name")
    before = arrived(live_server, lambda e: e["type"] == "click", "first click")[0]
    b.stop_service_workers(page)
    page.click("#filter")
    after = arrived(
        live_server,
        lambda e: e["type"] == "click" and e["target"]["selector"] == "#filter",
        "click after the restart",
    )[0]
    assert (after["session"], after["tab"]) == (before["session"], before["tab"])
    steps = sorted(e["step"] for e in sent_events(live_server) if e.get("tab") == before["tab"])
    assert steps == list(range(len(steps))) and after["step"] > before["step"]
