"""Trajectories through the real pipeline: episode order in shards, consent, the steps export."""

import json
import time

import datasets
import pandas
import pyarrow as pa
import pytest

from backend.core.employees import authenticate
from backend.core.intake import Intake
from backend.core.steps import build_episodes, episode_line, export_steps
from tests.conftest import WORK_ORIGIN
from tests.helpers import assert_license_header, make_event
from tests.integration.processes import overt_env, run

URL = WORK_ORIGIN + "/quotes/new"
SESSION = "s_trajtest01"


@pytest.fixture
def alice(admin):
    """alice, consented to everything; k = 1 so labels are not masked as rare."""
    body = {**admin.set_policy(), "min_contributors": 1}
    admin.call("PUT", "/admin/api/policy", {k: body[k] for k in _POLICY_KEYS})
    token = admin.enroll("alice", "sales")
    admin.set_consent(token, dict.fromkeys(body["categories"], True))
    return token


_POLICY_KEYS = ("categories", "allowed_origins", "purpose", "retention_days", "min_contributors")


@pytest.fixture
def send(redis_conn):
    intake = Intake(redis_conn, lambda: None)

    def send_(token, events):
        return intake.accept(authenticate(redis_conn, token), 1, events, [WORK_ORIGIN])

    return send_


class Tab:
    """Makes one tab's events as the extension does: ids, page visit and a step counter."""

    def __init__(self, name: str, task: str | None = None, ts: int | None = None):
        self.tab, self.page, self.step, self.task = name, "p_" + name[2:] + "pg", 0, task
        self.ts = ts or int(time.time() * 1000)

    def event(self, kind: str, **extra) -> dict:
        event = make_event(kind, url=URL, session=SESSION, tab=self.tab, page=self.page)
        if "checked" in extra:
            event.pop("value")
        event.update(step=self.step, ts=self.ts, **extra)
        if self.task:
            event["task"] = self.task
        self.step += 1
        return event


OBSERVATION = [
    {"bid": "b1", "role": "combobox", "tag": "select", "label": "Kind", "box": [8, 8, 160, 32]},
    {"bid": "b2", "role": "checkbox", "tag": "input", "label": "Returning", "box": [8, 48, 16, 16]},
    {"bid": "b3", "role": "button", "tag": "button", "label": "Save quote", "box": [8, 88, 96, 32]},
]


def quote_run(tab: Tab) -> list[dict]:
    """An observation, then a select, a checkbox, a click on Save and an Enter."""
    target = {"selector": "#x", "tag": "select", "role": "combobox", "label": "Kind", "bid": "b1"}
    return [
        tab.event("page_view"),
        tab.event("observation", elements=OBSERVATION),
        tab.event("change", target=target, value="Customer"),
        tab.event(
            "change",
            target={**target, "tag": "input", "role": "checkbox", "bid": "b2"},
            checked=True,
        ),
        tab.event("click", target={**target, "tag": "button", "label": "Save quote", "bid": "b3"}),
        tab.event("key", key="Enter", mods=[]),
    ]


def test_shard_orders_each_tab_by_step(alice, send, run_workers):
    """Two tabs' events, all in one millisecond and sent shuffled, seal in step order per tab."""
    ts = int(time.time() * 1000)
    one, two = Tab("t_tabone01", ts=ts), Tab("t_tabtwo01", ts=ts)
    events = quote_run(one) + quote_run(two)
    sent = sorted(events, key=lambda e: e["id"])  # random order, like UUIDs
    assert send(alice, sent)["rejected"] == []
    records = run_workers()
    tabs = {}
    for record in records:
        tabs.setdefault(record["tab"], []).append((record["step"], record["type"]))
    assert set(tabs) == {"t_tabone01", "t_tabtwo01"}
    for run_ in tabs.values():
        assert [step for step, _ in run_] == list(range(6))
        assert [kind for _, kind in run_] == [e["type"] for e in quote_run(Tab("t_other001"))]
    positions = [records.index(r) for r in records if r["tab"] == "t_tabone01"]
    assert positions == list(range(positions[0], positions[0] + 6)), "a tab's run is contiguous"


def test_observation_labels_pass_the_rarity_gate(admin, alice, send, run_workers):
    """With k = 2 and one employee, element labels and chosen values are masked; the goal is not."""
    body = {**admin.call("GET", "/admin/api/policy"), "min_contributors": 2}
    admin.call("PUT", "/admin/api/policy", {k: body[k] for k in _POLICY_KEYS})
    tab = Tab("t_tabone01", task="k_quotetask1")
    start = make_event("task_start", url=URL, session=SESSION, task="k_quotetask1")
    start["goal"] = "Quote for Zyxwv at jo@corp.example.com"
    send(alice, [start, *quote_run(tab)])
    records = {r["type"]: r for r in run_workers()}
    assert {e["label"] for e in records["observation"]["elements"]} == {"[rare]"}
    assert records["change"]["target"]["label"] == "[rare]"
    assert records["task_start"]["goal"] == "Quote for Zyxwv at [email]", "redacted, not gated"


def test_task_events_with_their_tab_are_sealed_with_it(
    alice, send, run_workers, settings, tmp_path
):
    """task_start and task_end naming their tab, page and step are accepted and sealed with
    them; the steps export reads the same episode as without them."""
    task = "k_quotetask1"
    tab = Tab("t_tabone01", task=task)
    start = tab.event("task_start", goal="Create a quote")
    events = [start, *quote_run(tab), tab.event("task_end", outcome="done")]
    assert events[0]["step"] == 0 and events[-1]["step"] == 7
    ack = send(alice, events)
    assert ack["rejected"] == [] and ack["accepted"] == 8
    records = {r["type"]: r for r in run_workers()}
    for kind, step in (("task_start", 0), ("task_end", 7)):
        sealed = records[kind]
        assert (sealed["tab"], sealed["page"], sealed["step"]) == (tab.tab, tab.page, step)
    _, episodes, steps = export_steps(settings.data_dir / "datasets", tmp_path / "out")
    lines = (tmp_path / "out" / "steps.jsonl").read_text().splitlines()
    (episode,) = [json.loads(line) for line in lines]
    assert (episodes, steps) == (1, 5)
    assert (episode["goal"], episode["outcome"]) == ("Create a quote", "done")
    assert [s["action"] for s in episode["steps"]] == [
        f'goto("{URL}")',
        'select_option("b1", "Customer")',
        'check("b2")',
        'click("b3")',
        'keyboard_press("Enter")',
    ]


def test_page_structure_refused_without_consent(admin, alice, send, run_workers):
    """With page_structure withdrawn, the server refuses observations: nothing is sealed."""
    admin.set_consent(alice, {"page_structure": False})
    tab = Tab("t_tabone01")
    ack = send(alice, [tab.event("observation", elements=OBSERVATION), tab.event("page_view")])
    assert [(x["index"], x["code"]) for x in ack["rejected"]] == [(0, "no_consent")]
    assert [r["type"] for r in run_workers()] == ["page_view"]


def test_steps_export(alice, send, run_workers, settings, tmp_path, monkeypatch):
    """A task's episode: its goal, and each action on an element of the observation before it."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    task = "k_quotetask1"
    tab = Tab("t_tabone01", task=task)
    start = make_event("task_start", url=URL, session=SESSION, task=task, goal="Create a quote")
    events = [start, *quote_run(tab)]
    end = make_event("task_end", url=URL, session=SESSION, task=task, outcome="done")
    end["ts"] = events[-1]["ts"] + 1
    free = Tab("t_tabtwo01")
    send(alice, [*events, end, free.event("page_view"), free.event("scroll", depth=50, y=600)])
    run_workers()
    path, episodes, _ = export_steps(settings.data_dir / "datasets", tmp_path / "out")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert episodes == len(lines) == 2
    quote = next(e for e in lines if e["kind"] == "task")
    assert quote["goal"] == "Create a quote" and quote["outcome"] == "done"
    assert [s["action"] for s in quote["steps"]] == [
        f'goto("{URL}")',
        'select_option("b1", "Customer")',
        'check("b2")',
        'click("b3")',
        'keyboard_press("Enter")',
    ]
    for step in quote["steps"][1:]:
        if step["bid"]:
            assert step["bid"] in {e["bid"] for e in step["observation"]["elements"]}
    other = next(e for e in lines if e["kind"] == "tab")
    assert other["goal"] is None
    assert [s["action"] for s in other["steps"]] == [f'goto("{URL}")', "scroll(0, 600)"]
    assert set(quote) == set(other), "every line has the same keys"
    table = pandas.read_json(path, lines=True)  # JSON Lines as dataset loaders read them
    assert len(table) == 2 and {"goal", "steps", "episode"} <= set(table.columns)
    assert sorted(table["goal"].dropna()) == ["Create a quote"]
    assert_loads_with_hugging_face(path, tmp_path / "hf-cache")


def assert_loads_with_hugging_face(path, cache_dir):
    """`datasets.load_dataset("json", ...)`, offline: rows, goal, and typed step columns."""
    ds = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=cache_dir)
    assert ds.num_rows == 2
    assert sorted(g for g in ds["goal"] if g) == ["Create a quote"]
    steps = ds.data.schema.field("steps").type
    assert pa.types.is_list(steps) and pa.types.is_struct(steps.value_type)
    step = {f.name: f.type for f in steps.value_type}
    for name in ("action", "action_type", "bid", "url"):
        assert step[name] == pa.string(), name
    assert step["step"] == pa.int64() and step["ts"] == pa.int64()
    observation = {f.name: f.type for f in step["observation"]}
    elements = observation["elements"]
    assert pa.types.is_list(elements), observation
    element = {f.name: f.type for f in elements.value_type}
    assert element["bid"] == element["label"] == element["role"] == pa.string()
    assert element["box"] == pa.list_(pa.int64())
    assert {f.name: f.type for f in element["state"]} == dict.fromkeys(
        ("checked", "selected", "expanded", "disabled"), pa.bool_()
    )
    task = next(row for row in ds if row["goal"])
    actions = [s["action"] for s in task["steps"]]
    assert actions[1:] == [
        'select_option("b1", "Customer")',
        'check("b2")',
        'click("b3")',
        'keyboard_press("Enter")',
    ]
    clicked = task["steps"][3]
    assert clicked["bid"] in [e["bid"] for e in clicked["observation"]["elements"]]
    assert task["steps"][0]["observation"] is None  # the goto comes before any observation


def test_steps_load_typed_when_tasks_come_late(
    alice, send, run_workers, settings, tmp_path, monkeypatch
):
    """A reader guessing types from the first lines (a JSON reader reads 10 MB; here one line)
    would type `goal` null from a tab run and fail on the task: the export's card types it."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    ts = int(time.time() * 1000)
    free, task = Tab("t_tabone01", ts=ts), Tab("t_tabtwo01", task="k_quotetask1", ts=ts + 10)
    start = make_event("task_start", url=URL, session=SESSION, task=task.task, goal="Quote")
    start["ts"] = ts + 5
    send(alice, [*quote_run(free), start, *quote_run(task)])
    run_workers()
    out = tmp_path / "out"
    export_steps(settings.data_dir / "datasets", out)
    kinds = [json.loads(line)["kind"] for line in (out / "steps.jsonl").read_text().splitlines()]
    assert kinds == ["tab", "task"]
    ds = datasets.load_dataset(str(out), split="train", chunksize=1, cache_dir=str(tmp_path / "c"))
    assert ds["goal"] == [None, "Quote"] and ds.features["goal"].dtype == "string"
    elements = ds.features["steps"].feature["observation"]["elements"]
    assert elements.feature["box"].feature.dtype == "int64"


def test_cli_exports_steps(alice, send, run_workers, settings, tmp_path):
    """`overt datasets export --format steps --out DIR` writes steps.jsonl and says how much."""
    tab = Tab("t_tabone01")
    send(alice, quote_run(tab))
    run_workers()
    out = tmp_path / "steps"
    done = run(["datasets", "export", "--format", "steps", "--out", str(out)], overt_env(settings))
    assert done.returncode == 0, done.stderr
    assert "1 episode(s), 5 step(s)" in done.stdout, (done.stdout, done.stderr)
    (line,) = (out / "steps.jsonl").read_text().splitlines()
    assert json.loads(line)["steps"][0]["observation"] is None  # the goto comes before any
    card = (out / "README.md").read_text()
    assert_license_header(card)
    # The export has no purpose or delete-by date of its own: its terms send to the dataset's card.
    terms = card.split("\n## Terms of use\n", 1)[1]
    assert "on that card" in terms and "this card" not in terms, terms


def test_steps_export_reads_a_few_sessions_at_a_time(alice, send, run_workers, settings, tmp_path):
    """Sealed by the real workers, two sessions' tab runs and a task: the export, with one
    session in memory at a time, writes what build_episodes over every record gives."""
    ts = int(time.time() * 1000)
    one, two = Tab("t_tabone01", ts=ts), Tab("t_tabtwo01", ts=ts + 1)
    task = Tab("t_tabone01", task="k_quotetask1", ts=ts + 2)
    task.step = 6  # the same tab, after its run: the task ends that run
    start = make_event("task_start", url=URL, session=SESSION, task=task.task, goal="Quote")
    start["ts"] = ts + 2
    later = [{**e, "session": "s_trajtest02"} for e in quote_run(Tab("t_tabone01", ts=ts + 3))]
    send(alice, [*quote_run(one), *quote_run(two), start, *quote_run(task), *later])
    records = run_workers()
    expected = b"".join(episode_line(e) for e in build_episodes(records))
    assert expected.count(b"\n") == 4
    for weight in (1, None):
        path, episodes, _ = export_steps(settings.data_dir / "datasets", tmp_path / "out", weight)
        assert (path.read_bytes(), episodes) == (expected, 4)
