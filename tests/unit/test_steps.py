"""The steps export's episodes (backend/core/steps.py), from records as shards hold them."""

import ast
import json
import random

import pyarrow.parquet as pq
import pytest

from backend.core.datasets import encode_shard, read_shard
from backend.core.steps import SessionGroups, build_episodes, episode_line, export_steps

URL = "https://app.example.com/quotes"
BASE = {"contributor": "p_0123456789abcdef01234567", "session": "s_session01", "url": URL}
TASK = "k_quotetask1"
ELEMENTS = [{"bid": "b1", "tag": "button", "label": "Save", "box": [0, 0, 64, 32]}]


def event(kind: str, ts: int, tab: str | None, step: int | None, **extra) -> dict:
    record = {**BASE, "id": f"id-{ts}", "type": kind, "ts": ts, "category": "x", **extra}
    if tab is not None:
        record.update(tab=tab, page=f"p_{tab[2:]}page", step=step)
    return record


def quote_task(start_tab: str | None, end_tab: str | None) -> list[dict]:
    """A task begun with the popup over tab two, acted on in tab one, then two, then ended."""
    click = {"target": {"selector": "#s", "tag": "button", "bid": "b1"}, "task": TASK}
    start_step = 0 if start_tab else None
    end_step = 2 if end_tab else None
    return [
        event("task_start", 1000, start_tab, start_step, task=TASK, goal="Create a quote"),
        event("observation", 1001, "t_tabone01", 0, elements=ELEMENTS, task=TASK),
        event("click", 1002, "t_tabone01", 1, **click),
        event("click", 1003, "t_tabtwo01", 1, **click),
        event("task_end", 1004, end_tab, end_step, task=TASK, outcome="done"),
    ]


def test_task_events_with_a_tab_are_no_steps_and_number_no_tab():
    """task_start and task_end may carry their tab, page and step: the episode's steps and the
    tabs' numbers (by their first action) are those of the same events without them."""
    without = build_episodes(quote_task(None, None))
    with_tabs = build_episodes(quote_task("t_tabtwo01", "t_tabone01"))
    assert with_tabs == without
    (episode,) = with_tabs
    assert (episode["goal"], episode["outcome"]) == ("Create a quote", "done")
    steps = [(s["tab"], s["action"]) for s in episode["steps"]]
    assert steps == [(0, 'click("b1")'), (1, "tab_focus(1)"), (1, 'click("b1")')]


def labelled(label: str) -> list[dict]:
    return [{**ELEMENTS[0], "label": label}]


def test_a_tab_interrupted_by_a_task_gives_two_runs_each_with_the_latest_observation():
    """A tab's records before and after a task are two episodes, and the action after the task
    sees the observation made during it (the tab's latest), not the one before it."""
    click = {"target": {"selector": "#s", "tag": "button", "bid": "b1"}}
    tab = "t_tabone01"
    records = [
        event("observation", 1000, tab, 0, elements=labelled("before")),
        event("click", 2000, tab, 1, **click),
        event("task_start", 3000, None, None, task=TASK, goal="Create a quote"),
        event("observation", 4000, tab, 2, elements=labelled("during"), task=TASK),
        event("click", 5000, tab, 3, **click, task=TASK),
        event("task_end", 6000, None, None, task=TASK, outcome="done"),
        event("click", 7000, tab, 4, **click),
    ]
    episodes = build_episodes(records)
    runs = [(e["kind"], e["start"], e["end"], len(e["steps"])) for e in episodes]
    assert runs == [("tab", 1000, 2000, 1), ("task", 3000, 6000, 1), ("tab", 7000, 7000, 1)]
    assert len({e["episode"] for e in episodes}) == 3, "every episode has its own id"
    seen = [s["observation"]["elements"][0]["label"] for e in episodes for s in e["steps"]]
    assert seen == ["before", "during", "during"]


def random_records(seed: int, n: int) -> list[dict]:
    """Records of a few contributors, sessions, tabs and tasks, made to find where a bounded
    export could part from one over all records: tasks across tabs and across two sessions,
    ids shared by two contributors, tied clocks, repeated steps, popup events with no tab,
    records with no episode fields, observations of other pages, unicode."""
    rng = random.Random(seed)
    contributors = [f"p_{i:024x}" for i in range(3)]
    sessions = ["s_shared0001", "s_other00002", "s_third00003"]
    tabs = ["t_tabone001", "t_tabtwo002", "t_tabthree03"]
    tasks = ["k_task000001", "k_task000002", "s_shared0001:t_tabone001:0"]  # an episode-like id
    steps: dict[tuple, int] = {}
    out = []
    for i in range(n):
        who, session, tab = rng.choice(contributors), rng.choice(sessions), rng.choice(tabs)
        kind = rng.choice(
            ["observation"] * 3
            + ["click", "change", "key", "submit", "input_activity", "page_view"]
            + ["route_change", "scroll", "tab_focus", "visibility", "task_start", "task_end"]
        )
        record = {
            "id": f"id-{i}",
            "type": kind,
            "category": "x",
            "ts": 1_000_000 + rng.randrange(0, 40_000, 250),  # many ties
            "url": rng.choice([URL, URL + "/é", "https://app.example.com/"]),
            "contributor": who,
        }
        if rng.random() < 0.03:
            out.append(record)  # from before episode fields: in no episode
            continue
        record["session"] = session
        task = rng.choice([None, None, *tasks])
        if kind in ("task_start", "task_end"):
            task = task or tasks[0]
            record["goal" if kind == "task_start" else "outcome"] = "Gôal" if i % 2 else "done"
        if task:
            record["task"] = task
        if kind not in ("task_start", "task_end") or rng.random() < 0.5:
            key = (who, session, tab)
            step = steps.get(key, 0) - (rng.random() < 0.05)  # now and then a repeated step
            steps[key] = step + 1
            page = f"p_page{rng.randrange(3)}"
            record.update(tab=tab, page=page, step=max(step, 0))
        bid = rng.choice(["b1", "b2", "b9"])
        if kind == "observation":
            record["title"] = rng.choice([None, "Quotes — ünïcode"])
            record["elements"] = [
                {
                    "bid": f"b{j}",
                    "tag": "button",
                    "label": rng.choice([None, "Save", "Sä\u2028ve"]),
                    "state": {"checked": rng.random() < 0.5} if j % 2 else None,
                    "box": [j, 0, 64, 32],
                }
                for j in range(1, rng.randrange(1, 6))
            ]
        elif kind in ("click", "change", "submit", "input_activity"):
            if rng.random() < 0.8:
                record["target"] = {"selector": "#s", "tag": "button", "bid": bid}
            if kind == "change":
                record.update({"value": "Ça"} if rng.random() < 0.5 else {"checked": True})
        elif kind == "key":
            record.update(key="s", mods=rng.choice([[], ["ctrl"], ["shift", "meta"]]))
            if rng.random() < 0.5:
                record["target"] = {"selector": "#s", "tag": "input", "bid": bid}
        elif kind == "scroll":
            record["y"] = rng.randrange(0, 2000, 200)
        out.append(record)
    return out


def write_shards(root, records: list[dict], size: int) -> None:
    for n, i in enumerate(range(0, len(records), size)):
        path = root / "data" / f"2026-01-0{1 + n % 3}" / f"b{n:04d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            encode_shard(
                [{k: v for k, v in r.items() if v is not None} for r in records[i : i + size]]
            )
        )


@pytest.mark.parametrize("seed", range(6))
def test_bounded_export_writes_what_all_records_at_once_give(tmp_path, seed):
    """export_steps, reading a few sessions at a time, writes byte for byte the lines of
    build_episodes over every record (the export before it was bounded), for any group size."""
    records = random_records(seed, 1500)
    if seed % 2:
        records.sort(key=lambda r: (r["contributor"], r.get("session", ""), r.get("tab", "")))
    write_shards(tmp_path / "ds", records, 250)
    reference = [
        r for shard in sorted((tmp_path / "ds").glob("data/*/*.parquet")) for r in read_shard(shard)
    ]
    expected = b"".join(episode_line(e) for e in build_episodes(reference))
    assert expected.count(b"\n") > 20
    for weight in (1, 50, 700, None):
        out = tmp_path / f"out-{weight}"
        path, episodes, steps = export_steps(tmp_path / "ds", out, group_weight=weight)
        assert path.read_bytes() == expected, weight
        assert episodes == expected.count(b"\n")
        assert steps == sum(len(json.loads(line)["steps"]) for line in expected.splitlines())
        assert sorted(p.name for p in out.iterdir()) == ["README.md", "steps.jsonl"]


def test_a_task_joins_the_sessions_it_was_made_in():
    """A unit of the bounded export is a session with the tasks made in it, and the sessions
    those tasks were also made in; records in no episode are in no unit."""
    groups = SessionGroups()
    a = groups.node("p_1", "s_1", None, 0)
    b = groups.node("p_1", "s_2", None, 0)
    c = groups.node("p_2", "s_1", None, 0)
    assert len({groups.find(n) for n in (a, b, c)}) == 3
    groups.node("p_1", "s_2", "k_1", 4)
    groups.node("p_1", None, "k_1", None)  # the popup's task_start, no session
    assert groups.find(b) == groups.find(("task", "p_1", "k_1")) != groups.find(a)
    groups.node("p_1", "s_1", "k_1", 7)
    assert groups.find(a) == groups.find(b) != groups.find(c)
    assert groups.node("p_1", "s_1", None, None) is None


def test_bounded_export_of_no_records_and_of_older_shards(tmp_path):
    """No shard: an empty steps.jsonl with its card. Shards of an older schema (fewer columns,
    here no `y`, `task`, `goal` or `outcome`) beside newer ones: the same bytes as all at once."""
    path, episodes, steps = export_steps(tmp_path / "none", tmp_path / "out-none")
    assert (path.read_bytes(), episodes, steps) == (b"", 0, 0)
    assert (tmp_path / "out-none" / "README.md").read_text().startswith("---\n")
    records = [r for r in random_records(9, 3000) if "task" not in r]
    write_shards(tmp_path / "ds", records, 200)
    older = sorted((tmp_path / "ds").glob("data/*/*.parquet"))[0]
    table = pq.read_table(older)
    pq.write_table(table.drop_columns(["y", "task", "goal", "outcome"]), older)
    reference = [
        r for shard in sorted((tmp_path / "ds").glob("data/*/*.parquet")) for r in read_shard(shard)
    ]
    assert not any("y" in r for r in reference[:200]) and any("y" in r for r in reference)
    expected = b"".join(episode_line(e) for e in build_episodes(reference))
    path, _, _ = export_steps(tmp_path / "ds", tmp_path / "out", group_weight=40)
    assert path.read_bytes() == expected and expected


def test_a_scroll_is_the_change_from_the_pages_last_position_made_before_the_episode_too():
    """`scroll(0, dy)` is the change of the scroll position on the page. A page scrolled to 600
    before a task began, then to 800 in it, is `scroll(0, 200)`: the episode counted from 0 and
    said `scroll(0, 800)`, an action that overshoots by the whole earlier scroll. The same for a
    tab's run after a task, and across a bounded export's groups. A new page starts at 0."""
    tab = "t_tabone01"
    records = [
        event("page_view", 1000, tab, 0),
        event("scroll", 2000, tab, 1, y=600, depth=40),
        event("task_start", 3000, None, None, task=TASK, goal="Read the terms"),
        event("scroll", 4000, tab, 2, y=800, depth=60, task=TASK),
        event("task_end", 5000, None, None, task=TASK, outcome="done"),
        event("scroll", 6000, tab, 3, y=500, depth=60),
        event("route_change", 7000, tab, 4),
        event("scroll", 8000, tab, 5, y=300, depth=20),
    ]
    for record in records[-2:]:  # a route drawn is a page of its own
        record["page"] = "p_otherroute"
    episodes = build_episodes(records)
    actions = [[s["action"] for s in e["steps"]] for e in episodes]
    assert actions == [
        [f'goto("{URL}")', "scroll(0, 600)"],
        ["scroll(0, 200)"],
        ["scroll(0, -300)", f'goto("{URL}")', "scroll(0, 300)"],
    ]


def test_a_page_loaded_by_a_click_made_before_the_episode_is_that_clicks_effect():
    """A page view within 2 s of an action *in that tab* is the action's effect, not a
    `goto`, also when the action was made before the episode began (a click, then the popup's
    task start): each episode knew only its own actions and said `goto(...)`, an action the
    person never took."""
    tab = "t_tabone01"
    click = {"target": {"selector": "a", "tag": "a", "bid": "b1"}}
    records = [
        event("observation", 1000, tab, 0, elements=ELEMENTS),
        event("click", 1100, tab, 1, **click),
        event("task_start", 1200, None, None, task=TASK, goal="Open the quote"),
        event("page_view", 1900, tab, 2, task=TASK),
        event("observation", 2000, tab, 3, elements=ELEMENTS, task=TASK),
        event("click", 2500, tab, 4, **click, task=TASK),
        event("task_end", 3000, None, None, task=TASK, outcome="done"),
        event("page_view", 9000, tab, 5),
    ]
    episodes = build_episodes(records)
    actions = [[s["action"] for s in e["steps"]] for e in episodes]
    assert actions == [['click("b1")'], ['click("b1")'], [f'goto("{URL}")']]


def pages_visited(tab: str, visits: list[tuple[str, bool]], task: str | None = None) -> list[dict]:
    """A tab's records: for each (path, clicked) a page view of the path, 5 s after the last,
    made by a click on the page before (`clicked`: the view is the click's effect) or not (Back,
    Forward, an address typed, a reload)."""
    records, ts, step = [], 10_000, 0
    marks = {"task": task} if task else {}
    for path, clicked in visits:
        url = f"https://app.example.com{path}"
        if clicked:
            target = {"target": {"selector": "a", "tag": "a", "bid": "b1"}}
            records.append(event("click", ts - 500, tab, step, url=records[-1]["url"], **target))
            step += 1
        records.append(event("page_view", ts, tab, step, url=url, **marks))
        ts, step = ts + 5000, step + 1
    return records


def test_back_and_forward_are_read_from_the_tabs_history():
    """A page no action opened that is the tab's entry just before (after) where it is, is
    `go_back()` (`go_forward()`): the person pressed Back or Forward. It was `goto(url)`."""
    records = pages_visited(
        "t_tabone01",
        [
            ("/home", False),
            ("/quotes", True),
            ("/quotes/new", True),
            ("/quotes", False),  # Back
            ("/home", False),  # Back
            ("/quotes", False),  # Forward
            ("/quotes", False),  # a reload: the same entry
            ("/home", False),  # Back again: the reload added no entry
            ("/orders", True),  # a new entry: /quotes and /quotes/new are gone from ahead
            ("/quotes", False),  # so this was typed, or a bookmark
            ("/orders", False),  # Back
        ],
    )
    (episode,) = build_episodes(records)
    actions = [s["action"] for s in episode["steps"] if not s["action"].startswith("click")]
    home, quotes = "https://app.example.com/home", "https://app.example.com/quotes"
    assert actions == [
        f'goto("{home}")',
        "go_back()",
        "go_back()",
        "go_forward()",
        f'goto("{quotes}")',
        "go_back()",
        f'goto("{quotes}")',
        "go_back()",
    ]
    backs = [s for s in episode["steps"] if s["action"] == "go_back()"]
    assert [s["action_type"] for s in backs] == ["page_view"] * 4
    assert backs[0]["url"] == quotes


def test_back_reaches_the_page_an_episode_began_on_but_not_before_it():
    """A task begun on a page loaded before it: Back to that page is `go_back()` (the tab's
    first record in the episode is on it); Back past it, to a page left before the task began,
    is `goto(url)`: a replay starts where the episode does, with no entry before it."""
    tab = "t_tabone01"
    before = pages_visited(tab, [("/home", False), ("/quotes", True)])  # steps 0-2
    start = event("task_start", 20_000, None, None, task=TASK, goal="Open a quote")
    quotes, home = "https://app.example.com/quotes", "https://app.example.com/home"
    click = {"target": {"selector": "a", "tag": "a", "bid": "b1"}, "task": TASK}
    during = [
        event("observation", 21_000, tab, 3, url=quotes, elements=ELEMENTS, task=TASK),
        event("click", 22_000, tab, 4, url=quotes, **click),
        event("page_view", 22_500, tab, 5, url=f"{quotes}/7", task=TASK),
        event("page_view", 40_000, tab, 6, url=quotes, task=TASK),
        event("page_view", 45_000, tab, 7, url=home, task=TASK),
    ]
    end = event("task_end", 50_000, None, None, task=TASK, outcome="done")
    episodes = build_episodes([*before, start, *during, end])
    task = next(e for e in episodes if e["kind"] == "task")
    assert [s["action"] for s in task["steps"]] == [
        'click("b1")',
        "go_back()",
        f'goto("{home}")',
    ]


def test_a_tab_the_person_opens_is_new_tab_and_one_a_click_opens_is_tab_focus():
    """A tab that begins in the episode with no action just before it (the person opened it) is
    `new_tab()`: `tab_focus(1)` named a tab a replay does not have. A tab a click opened (its
    first page view within 2 s of the click, in the other tab) exists once the click is
    replayed, and a tab there before the episode began is no new tab: both stay `tab_focus`."""
    one, two, three = "t_tabone01", "t_tabtwo01", "t_tabthree"
    click = {"target": {"selector": "a", "tag": "a", "bid": "b1"}, "task": TASK}
    quotes = "https://app.example.com/quotes"
    records = [
        event("page_view", 500, three, 0, url=quotes),  # before the task
        event("task_start", 1000, None, None, task=TASK, goal="Compare two quotes"),
        event("observation", 1100, one, 0, elements=ELEMENTS, task=TASK),
        event("click", 1200, one, 1, **click),
        event("page_view", 9000, two, 0, url=f"{quotes}/7", task=TASK),  # opened by the person
        event("observation", 9100, two, 1, elements=ELEMENTS, task=TASK),
        event("click", 9200, two, 2, **click),
        event("click", 9500, one, 2, **click),
        event("click", 9700, two, 3, **click),
        event("page_view", 9900, three, 1, url=quotes, task=TASK),  # there before the task
        event("task_end", 20_000, None, None, task=TASK, outcome="done"),
    ]
    task = next(e for e in build_episodes(records) if e["kind"] == "task")
    assert [(s["tab"], s["action"], s["action_type"]) for s in task["steps"]] == [
        (0, 'click("b1")', "click"),
        (1, "new_tab()", "new_tab"),
        (1, f'goto("{quotes}/7")', "page_view"),
        (1, 'click("b1")', "click"),
        (0, "tab_focus(0)", "tab_focus"),
        (0, 'click("b1")', "click"),
        (1, "tab_focus(1)", "tab_focus"),
        (1, 'click("b1")', "click"),
        (2, "tab_focus(2)", "tab_focus"),
        (2, f'goto("{quotes}")', "page_view"),
    ]

    # The same tab two, opened by the click in tab one 300 ms before its page view.
    records[4] = {**records[4], "ts": 1500}
    task = next(e for e in build_episodes(records) if e["kind"] == "task")
    assert [s["action"] for s in task["steps"]][:3] == [
        'click("b1")',
        "tab_focus(1)",
        'click("b1")',
    ]
    # Its focus event first (the tab came to the front before its page loaded): the same.
    focus = event("tab_focus", 1400, two, 0, task=TASK)
    later = [{**r, "step": r["step"] + 1} if r.get("tab") == two else r for r in records]
    task = next(e for e in build_episodes([*later[:4], focus, *later[4:]]) if e["kind"] == "task")
    assert [s["action"] for s in task["steps"]][:3] == [
        'click("b1")',
        "tab_focus(1)",
        'click("b1")',
    ]


def test_a_new_tabs_focus_event_is_new_tab():
    """A tab the person opened whose first record is its focus event: that event is the
    switch, `new_tab()`, and no `tab_focus(1)` comes before or instead of it."""
    one, two = "t_tabone01", "t_tabtwo01"
    click = {"target": {"selector": "a", "tag": "a", "bid": "b1"}, "task": TASK}
    records = [
        event("task_start", 1000, None, None, task=TASK, goal="Open a second quote"),
        event("observation", 1100, one, 0, elements=ELEMENTS, task=TASK),
        event("click", 1200, one, 1, **click),
        event("tab_focus", 8000, two, 0, task=TASK),
        event("page_view", 9000, two, 1, url="https://app.example.com/quotes/8", task=TASK),
        event("tab_focus", 9500, one, 2, task=TASK),
        event("task_end", 20_000, None, None, task=TASK, outcome="done"),
    ]
    (task,) = build_episodes(records)
    assert [(s["tab"], s["action"], s["action_type"]) for s in task["steps"]] == [
        (0, 'click("b1")', "click"),
        (1, "new_tab()", "new_tab"),
        (1, 'goto("https://app.example.com/quotes/8")', "page_view"),
        (0, "tab_focus(0)", "tab_focus"),
    ]


def test_a_key_on_a_named_element_is_press_and_one_on_the_page_keyboard_press():
    """Keys are written as BrowserGym's actions take them: `press(bid, key_comb)` on an element
    the tab's observation names, `keyboard_press(key_comb)` on the page (no element named).
    `press("Enter")` was neither: BrowserGym's `press` needs the element."""
    tab = "t_tabone01"
    field = {"selector": "#company", "tag": "input", "bid": "b1"}
    records = [
        event("observation", 1000, tab, 0, elements=ELEMENTS),
        event("key", 2000, tab, 1, key="Enter", mods=[], target=field),
        event("key", 3000, tab, 2, key="s", mods=["ctrl", "shift"]),
        event("key", 4000, tab, 3, key="Escape", mods=[], target={**field, "bid": None}),
    ]
    del records[3]["target"]["bid"]
    (episode,) = build_episodes(records)
    assert [(s["action"], s["bid"]) for s in episode["steps"]] == [
        ('press("b1", "Enter")', "b1"),
        ('keyboard_press("Control+Shift+s")', None),
        ('keyboard_press("Escape")', None),
    ]


# BrowserGym's high-level actions that the export writes: the types of their arguments.
BROWSERGYM = {
    "click": (str,),
    "select_option": (str, str),
    "check": (str,),
    "uncheck": (str,),
    "fill": (str, str),
    "press": (str, str),
    "keyboard_press": (str,),
    "scroll": (int, int),
    "goto": (str,),
    "go_back": (),
    "go_forward": (),
    "new_tab": (),
    "tab_focus": (int,),
}


@pytest.mark.parametrize("seed", range(4))
def test_every_action_is_a_browsergym_call(seed):
    """Every step's action is one call of a BrowserGym action with arguments of its types (so
    BrowserGym's parser takes it as it is), and an action on an element names the step's bid."""
    actions = 0
    for episode in build_episodes(random_records(seed, 3000)):
        for step in episode["steps"]:
            call = ast.parse(step["action"], mode="eval").body
            assert isinstance(call, ast.Call) and not call.keywords, step["action"]
            args = [ast.literal_eval(a) for a in call.args]
            assert tuple(map(type, args)) == BROWSERGYM[call.func.id], step["action"]
            if call.func.id in ("click", "select_option", "check", "uncheck", "fill", "press"):
                assert args[0] == step["bid"], step
            actions += 1
    assert actions > 500


def test_a_click_and_the_change_it_made_are_one_step():
    """The browser sends a click and a change for one gesture. A box ticked by a click (on it,
    or on its label just before) is the click; a choice in a select the click opened, or an
    arrow key made, is the choice. A change with no click before it on that element stays a
    step of its own."""
    tab = "t_tabone01"

    def on(bid: str, tag: str = "input") -> dict:
        return {"target": {"selector": f"#{bid}", "tag": tag, "bid": bid}}

    records = [
        event("observation", 1000, tab, 0, elements=ELEMENTS),
        event("click", 2000, tab, 1, **on("b4")),
        event("change", 2001, tab, 2, checked=True, **on("b4")),
        event("click", 3000, tab, 3, **on("b5", "label")),
        event("change", 3002, tab, 4, checked=False, **on("b4")),
        event("click", 4000, tab, 5, **on("b7", "select")),
        event("change", 6500, tab, 6, value="Customer", **on("b7", "select")),
        event("change", 7000, tab, 7, checked=True, **on("b8")),  # Space on a focused box
        event("click", 8000, tab, 8, **on("b9", "button")),
        event("change", 8001, tab, 9, checked=True, **on("b8")),  # the page ticked it
        event("click", 9000, tab, 10, **on("b6", "label")),
        event("change", 11000, tab, 11, checked=True, **on("b8")),  # not that click's
        event("key", 12000, tab, 12, key="ArrowDown", mods=[], **on("b7", "select")),
        event("change", 12001, tab, 13, value="Supplier", **on("b7", "select")),
    ]
    (episode,) = build_episodes(records)
    assert [(s["step"], s["action"]) for s in episode["steps"]] == [
        (0, 'click("b4")'),
        (1, 'click("b5")'),
        (2, 'select_option("b7", "Customer")'),
        (3, 'check("b8")'),
        (4, 'click("b9")'),
        (5, 'check("b8")'),
        (6, 'click("b6")'),
        (7, 'check("b8")'),
        (8, 'select_option("b7", "Supplier")'),
    ]
