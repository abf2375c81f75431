"""The steps export's episodes (backend/core/steps.py), from records as shards hold them."""

from backend.core.steps import build_episodes

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
