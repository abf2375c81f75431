"""Sealed records as agent trajectories: episodes of (observation, action) steps.

An episode is a task (every record carrying its `task` id, in every tab), or else a run of one
tab's records outside any task. Steps are written as BrowserGym's actions (`click("b12")`,
`select_option("b7", "Customer")`, `press("b3", "Enter")`, `go_back()`, ...), each with the latest
observation of its tab before the action. The output is JSON Lines, one episode per line, with the
same keys on every line, and a README.md whose features type them, so `datasets.load_dataset(DIR)`
reads it with no custom code.
"""

from __future__ import annotations

import bisect
import json
import pickle
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .dataset_readme import README
from .dataset_schema import from_table
from .dataset_storage import open_storage
from .datasets import open_shard, read_shard_checked, shards_and_head
from .steps_card import STEPS, steps_card

# A page view this soon after an action on the page is that action's effect, not a `goto`.
NAVIGATION_EFFECT_MS = 2000
# A box's change this soon after a click on a label is that click's effect.
LABEL_CLICK_MS = 1000
ELEMENT_ACTIONS = ("click", "change", "key", "submit", "input_activity")
# The popup's events: an episode's goal and outcome, never a step, with or without a tab.
TASK_EVENTS = ("task_start", "task_end")
STATES = ("checked", "selected", "expanded", "disabled")


def episode_key(record: dict) -> tuple | None:
    """Return the episode a record belongs to, or None for a record without episode fields."""
    if record.get("task"):
        return ("task", record["contributor"], record["task"])
    if "step" not in record:
        return None
    return ("tab", record["contributor"], record["session"], record["tab"])


def group_episodes(records: Iterable[dict]) -> dict[tuple, list[dict]]:
    """Group records into episodes, each ordered exactly (by tab step, then across tabs by time)."""
    grouped: dict[tuple, list[dict]] = {}
    for record in records:
        key = episode_key(record)
        if key is not None:
            grouped.setdefault(key, []).append(record)
    episodes = split_runs(grouped)
    for events in episodes.values():
        # task_start and task_end come from the popup: they may have no tab or step.
        events.sort(key=lambda e: (e["ts"], e.get("tab", ""), e.get("step", -1)))
        _restore_tab_order(events)
    return episodes


def split_runs(grouped: dict[tuple, list[dict]]) -> dict[tuple, list[dict]]:
    """Split each tab's records outside tasks into runs: a task in the tab ends a run.

    A run's key ends with its first step, so a tab's runs before and after a task are two
    episodes, never one that skips the task's steps.
    """
    task_steps: dict[tuple, list[int]] = {}
    for key, events in grouped.items():
        if key[0] == "task":
            for e in events:
                if "tab" in e and e["type"] not in TASK_EVENTS:
                    task_steps.setdefault((e["contributor"], e["session"], e["tab"]), []).append(
                        e["step"]
                    )
    runs: dict[tuple, list[dict]] = {}
    for key, events in grouped.items():
        if key[0] == "task":
            runs[key] = events
            continue
        marks = sorted(task_steps.get(key[1:], ()))
        by_run: dict[int, list[dict]] = {}
        for e in events:  # records before the same number of task steps make one run
            by_run.setdefault(bisect.bisect_left(marks, e["step"]), []).append(e)
        for run in by_run.values():
            runs[(*key, str(min(e["step"] for e in run)))] = run
    return runs


def _restore_tab_order(events: list[dict]) -> None:
    """Within each tab, put events in step order (clocks can tie or step back; steps cannot)."""
    slots: dict[tuple, list[int]] = {}
    for i, e in enumerate(events):
        if "step" in e:
            slots.setdefault((e["session"], e["tab"]), []).append(i)
    for positions in slots.values():
        ordered = sorted((events[i] for i in positions), key=lambda e: e["step"])
        for i, e in zip(positions, ordered, strict=True):
            events[i] = e


def element(raw: dict) -> dict:
    """Return an observation's element with every key present (one schema for every line)."""
    state = raw.get("state") or {}
    return {
        "bid": raw["bid"],
        "role": raw.get("role"),
        "tag": raw["tag"],
        "label": raw.get("label"),
        "state": {name: bool(state.get(name, False)) for name in STATES},
        "box": list(raw["box"]),
    }


def quote(text: str) -> str:
    """Return `text` as a double-quoted action argument."""
    return json.dumps(text, ensure_ascii=False)


def key_combo(event: dict) -> str:
    """Return Playwright's name of a key press: "Enter", "Control+s", "Meta+Shift+z"."""
    names = {"ctrl": "Control", "meta": "Meta", "alt": "Alt", "shift": "Shift"}
    mods = [names[m] for m in ("ctrl", "meta", "alt", "shift") if m in event.get("mods", ())]
    return "+".join([*mods, event["key"]])


def element_action(event: dict) -> str | None:
    """Return the action on an element, or None when its target is in no observation."""
    bid = (event.get("target") or {}).get("bid")
    kind = event["type"]
    if kind == "key":  # on a named element as BrowserGym's `press`, else on the page
        combo = quote(key_combo(event))
        return f"keyboard_press({combo})" if bid is None else f"press({quote(bid)}, {combo})"
    if bid is None:
        return None
    if kind == "click":
        return f"click({quote(bid)})"
    if kind == "change" and "value" in event:
        return f"select_option({quote(bid)}, {quote(event['value'])})"
    if kind == "change":
        return f"{'check' if event['checked'] else 'uncheck'}({quote(bid)})"
    if kind == "input_activity":
        return f'fill({quote(bid)}, "[typed]")'
    return None  # a submit is the effect of a click or Enter, already a step


class TabHistory:
    """A tab's history as a browser keeps it: its entries' URLs and the one the tab is on."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.at = -1

    def current(self) -> str | None:
        """The URL of the entry the tab is on (None before its first)."""
        return self.urls[self.at] if self.urls else None

    def traverse(self, url: str) -> str | None:
        """Move to the entry just before (after) the current one when it is `url`, and return
        "go_back()" ("go_forward()"); return None when neither is."""
        if self.at > 0 and self.urls[self.at - 1] == url:
            self.at -= 1
            return "go_back()"
        if self.at + 1 < len(self.urls) and self.urls[self.at + 1] == url:
            self.at += 1
            return "go_forward()"
        return None

    def add(self, url: str) -> None:
        """Open `url` as a new entry after the current one: those ahead of it are gone."""
        del self.urls[self.at + 1 :]
        self.urls.append(url)
        self.at += 1


class EpisodeBuilder:
    """Turns one episode's ordered events into steps."""

    def __init__(
        self, events: list[dict], earlier: dict | None = None, history: dict | None = None
    ):
        self.events = events
        # (contributor, session, tab) -> ([steps], [observations]), of every record exported
        self.earlier = observation_index(events) if earlier is None else earlier
        # The tabs' scrolls and actions, likewise (`tab_history`)
        self.history = tab_history(events) if history is None else history
        self.tabs: list[tuple] = []  # (session, tab) in order of first appearance
        self.visits: dict[tuple, TabHistory] = {}  # each tab's, in the episode (`navigate`)
        self.focused: tuple | None = None  # the tab of the last step
        # Tabs that began in the episode: opened by the person (a step `new_tab()` is due), or
        # by an action just before in another tab (a link opened in a new tab: its first page is
        # that action's effect, and a replay has the tab once the action is made).
        self.opened: set[tuple] = set()
        self.spawned: set[tuple] = set()
        self.acted_at: int | None = None  # the time of the episode's latest action, in any tab
        self.last_tag: str | None = None  # the tag of the last step's target (`merge_with_click`)
        self.steps: list[dict] = []

    def build(self) -> list[dict]:
        """Return the steps of the episode."""
        for event in self.events:
            if event["type"] in TASK_EVENTS or "tab" not in event:
                continue  # a tab is numbered by its first step, not by the task's start
            tab = (event["session"], event["tab"])
            if tab not in self.tabs:
                self.tabs.append(tab)
                if len(self.tabs) > 1 and self.began_here(event):
                    by_click = self.acted_at is not None and (
                        event["ts"] - self.acted_at < NAVIGATION_EFFECT_MS
                    )
                    (self.spawned if by_click else self.opened).add(tab)
            action = self.action(event, tab)
            if event["type"] in ("page_view", "route_change", *ELEMENT_ACTIONS):
                self.spawned.discard(tab)  # only the tab's first page is the action's effect
            if event["type"] in ELEMENT_ACTIONS:
                self.acted_at = event["ts"]
            if action is None:
                continue
            kind = None
            if self.focused is not None and tab != self.focused:
                # The person switched tabs: to a tab they opened, `new_tab()`.
                switch = ("new_tab()", "new_tab") if tab in self.opened else None
                self.opened.discard(tab)
                if action.startswith("tab_focus("):  # the event is the switch itself
                    action, kind = switch or (action, None)
                else:  # a focus event may be missing: say so first
                    switch = switch or (f"tab_focus({self.tabs.index(tab)})", "tab_focus")
                    self.add_step(event, tab, *switch)
            merged = self.merge_with_click(event, tab)
            if merged == "drop":
                continue
            if merged == "replace":
                self.steps.pop()
            self.focused = tab
            self.add_step(event, tab, action, kind)
        return self.steps

    def merge_with_click(self, event: dict, tab: tuple) -> str | None:
        """How a `change` joins the action just before it in the tab, as one: "drop" the change
        when a click toggled the box (on it, or on a label just before), "replace" the click or
        key on the select the change chose in; None when it does not.

        The browser sends both for one gesture; web-agent datasets (and BrowserGym's default
        actions, which have no `check`) record a box ticked by a click as the click, and a
        choice in a select as the choice.
        """
        last = self.steps[-1] if self.steps else None
        if event["type"] != "change" or last is None or last["tab"] != self.tabs.index(tab):
            return None
        bid = (event.get("target") or {}).get("bid")
        if "value" in event:  # a key on the select (an arrow) chose as well
            same = bid is not None and last["bid"] == bid
            return "replace" if same and last["action_type"] in ("click", "key") else None
        if last["action_type"] != "click":
            return None
        on_label = self.last_tag == "label" and event["ts"] - last["ts"] < LABEL_CLICK_MS
        return "drop" if (bid is not None and last["bid"] == bid) or on_label else None

    def began_here(self, event: dict) -> bool:
        """Whether `event`, a tab's first in the episode, is the tab's first record at all."""
        first = self.history["first"].get((event["contributor"], event["session"], event["tab"]))
        return first is None or first >= event["step"]

    def action(self, event: dict, tab: tuple) -> str | None:
        """Return the action an event stands for, updating what the episode knows."""
        kind = event["type"]
        if kind not in ("page_view", "route_change"):
            # The tab is on this event's page: where an episode begins on a page loaded before
            # it, or a page view is missing (navigation not consented), that page is an entry.
            self.navigate(event["url"], tab, caused=True)
        if kind == "observation":
            return None  # found by step when an action needs it (observed_before)
        if kind in ELEMENT_ACTIONS:
            return element_action(event)
        if kind in ("page_view", "route_change"):
            acted = self.before(event, "action")
            since = event["ts"] - (acted if acted is not None else -(10**15))
            caused = since < NAVIGATION_EFFECT_MS or tab in self.spawned
            return self.navigate(event["url"], tab, caused)
        if kind == "scroll" and "y" in event:
            dy = event["y"] - self.scrolled_before(event)
            return f"scroll(0, {dy})" if dy else None
        if kind == "tab_focus" and self.focused is not None and tab != self.focused:
            return f"tab_focus({self.tabs.index(tab)})"
        return None

    def navigate(self, url: str, tab: tuple, caused: bool) -> str | None:
        """Return the action that brought the tab to `url` (None: an action's effect), keeping
        the tab's history as the browser does.

        No record says how a page was reached, so Back and Forward are read from the history: a
        page that no action opened and that is the tab's entry just before (or after) where it
        is becomes `go_back()` (`go_forward()`), anything else `goto(url)`. An address typed
        that equals the entry before reads as `go_back()` too: the same page, as a replay
        reaches it. Only the episode's own history counts: a replay starts where the episode
        does, with nothing to go back to.
        """
        history = self.visits.setdefault(tab, TabHistory())
        if not caused and (move := history.traverse(url)):
            return move
        if history.current() != url:
            history.add(url)
        return None if caused else f"goto({quote(url)})"

    def add_step(self, event: dict, tab: tuple, action: str, kind: str | None = None) -> None:
        self.last_tag = None if kind else (event.get("target") or {}).get("tag")
        observation = self.observed_before(event)
        if observation is not None and observation["page"] != event["page"]:
            observation = None  # the page changed since: that observation shows another page
        self.steps.append(
            {
                "step": len(self.steps),
                "tab": self.tabs.index(tab),
                "url": event["url"],
                "ts": event["ts"],
                "action": action,
                "action_type": kind or event["type"],
                "bid": None if kind else (event.get("target") or {}).get("bid"),
                "observation": None
                if observation is None
                else {
                    "url": observation["url"],
                    "title": observation.get("title"),
                    "elements": [element(e) for e in observation["elements"]],
                },
            }
        )

    def before(self, event: dict, kind: str):
        """The value of the tab's latest `kind` ("scroll", "action") before `event`, by step,
        made in the episode or outside it (before a task began, or in a task that came in
        between); None when there is none."""
        steps, values = self.history[kind].get(
            (event["contributor"], event["session"], event["tab"]), ((), ())
        )
        i = bisect.bisect_left(steps, event["step"])
        return values[i - 1] if i else None

    def scrolled_before(self, event: dict) -> int:
        """The page's scroll position before `event`: the tab's latest scroll before it when
        that was on the same page, else 0 (a page loaded or a route drawn starts at the top)."""
        last = self.before(event, "scroll")
        return last[1] if last is not None and last[0] == event.get("page") else 0

    def observed_before(self, event: dict) -> dict | None:
        """The tab's latest observation before `event`, in the episode or outside it (made
        before a task began, or during a task that interrupted this run of the tab)."""
        steps, observations = self.earlier.get(
            (event["contributor"], event["session"], event["tab"]), ((), ())
        )
        i = bisect.bisect_left(steps, event["step"])
        return observations[i - 1] if i else None


def observation_index(records: Iterable[dict]) -> dict[tuple, tuple[list, list]]:
    """Index every observation by tab, in step order (a task may begin on an observed page)."""
    found: dict[tuple, list[dict]] = {}
    for r in records:
        if r["type"] == "observation" and "step" in r:
            found.setdefault((r["contributor"], r["session"], r["tab"]), []).append(r)
    index = {}
    for tab, observations in found.items():
        observations.sort(key=lambda r: r["step"])
        index[tab] = ([r["step"] for r in observations], observations)
    return index


def tab_history(records: Iterable[dict]) -> dict[str, dict]:
    """Index, by tab and in step order, every scroll's (page, position) and every action's time:
    a page may be scrolled, and a click may load the page, before an episode begins on it. And,
    under "first", each tab's first step: whether the tab was there before an episode began."""
    found: dict[str, dict[tuple, list[dict]]] = {"scroll": {}, "action": {}}
    first: dict[tuple, int] = {}
    for r in records:
        if "step" not in r:
            continue
        tab = (r["contributor"], r["session"], r["tab"])
        if r["step"] < first.get(tab, r["step"] + 1):
            first[tab] = r["step"]
        if r["type"] == "scroll" and "y" in r:
            kind = "scroll"
        elif r["type"] in ELEMENT_ACTIONS:
            kind = "action"
        else:
            continue
        found[kind].setdefault(tab, []).append(r)
    value = {"scroll": lambda r: (r.get("page"), r["y"]), "action": lambda r: r["ts"]}
    index: dict[str, dict] = {"first": first}
    for kind, tabs in found.items():
        index[kind] = {}
        for tab, made in tabs.items():
            made.sort(key=lambda r: r["step"])
            index[kind][tab] = ([r["step"] for r in made], list(map(value[kind], made)))
    return index


def episode(
    key: tuple, events: list[dict], earlier: dict | None = None, history: dict | None = None
) -> dict:
    """Return one episode as a JSON-ready object (the same keys for tasks and tab runs)."""
    start = next((e for e in events if e["type"] == "task_start"), None)
    end = next((e for e in events if e["type"] == "task_end"), None)
    first = events[0]
    return {
        "episode": ":".join(key[2:]),
        "kind": key[0],
        "contributor": first["contributor"],
        "goal": start["goal"] if start else None,
        "outcome": end["outcome"] if end else None,
        "start": min(e["ts"] for e in events),
        "end": max(e["ts"] for e in events),
        "steps": EpisodeBuilder(events, earlier, history).build(),
    }


def build_episodes(records: Iterable[dict]) -> list[dict]:
    """Return the episodes of `records` that have at least one step, in order of their start."""
    records = list(records)
    earlier, history = observation_index(records), tab_history(records)
    out = [episode(k, evs, earlier, history) for k, evs in group_episodes(records).items()]
    return sorted((e for e in out if e["steps"]), key=lambda e: (e["start"], e["episode"]))


def episode_line(ep: dict) -> bytes:
    """Return one line of steps.jsonl: an episode as compact JSON, UTF-8."""
    return (json.dumps(ep, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _replace(path: Path, chunks: Iterable[bytes]) -> Path:
    """Write `chunks` to a temporary file beside `path`, then rename it over `path`."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.writelines(chunks)
    tmp.replace(path)
    return path


def export_steps(datasets, out_dir: Path, group_weight: int | None = None) -> tuple[Path, int, int]:
    """Write the episodes of the sealed shards to `out_dir`; return (path, episodes, steps).

    The lines are `episode_line` of each of `build_episodes(<every record>)`, in that order,
    byte for byte, but the records are never all in memory: see `SessionGroups` and
    `_episode_lines`.
    """
    storage = open_storage(datasets)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shards, count, head = shards_and_head(storage)
    groups = SessionGroups.plan(storage, shards, group_weight or GROUP_WEIGHT)
    with tempfile.TemporaryDirectory(prefix=".steps-", dir=out_dir) as tmp:
        parts = groups.partition(storage, shards, Path(tmp))
        lines, index, steps = _episode_lines(parts, Path(tmp) / "episodes")
        _replace(out_dir / README, [steps_card(count, head).encode()])
        path = _replace(out_dir / STEPS, _in_order(lines, index))
    return path, len(index), steps


# What one group of sessions may weigh, in records plus observed elements: a group's records
# are in memory together, as dicts (1 to 2 KB a record or an element, bench/steps.py). A
# session, with the tasks that touch it, is never split: a session alone heavier than this is a
# group of its own. Smaller groups cost no time (docs/trajectories.md, "Memory of the export").
GROUP_WEIGHT = 10_000
# Columns an episode reads (EpisodeBuilder, episode, group_episodes); the others are not read.
COLUMNS = (
    "type", "ts", "url", "title", "contributor", "session", "tab", "page", "step", "target",
    "y", "elements", "value", "checked", "key", "mods", "task", "goal", "outcome",
)  # fmt: skip
BATCH_ROWS = 4096  # rows of a shard decoded at once
# The keys that place a record in a unit (SessionGroups.node), in its argument order.
KEY_COLUMNS = ("contributor", "session", "task", "step")


class SessionGroups:
    """Which records make one unit of the export, and which units are read together.

    Every key an episode or an observation is found by holds the contributor and the session
    (`episode_key`, `observation_index`), except a task's (contributor, task): a task joins the
    sessions its records were made in. So a unit is a session with its tasks, and any sessions
    a task joins; the episodes of a unit are those `build_episodes` makes from all records.
    Units are packed into groups of about `weight` records and elements each.
    """

    def __init__(self) -> None:
        self.parent: dict[tuple, tuple] = {}
        self.weight: dict[tuple, int] = {}
        self.group: dict[tuple, int] = {}  # unit (its root) -> group
        self.groups = 0

    @classmethod
    def plan(cls, storage, shards: list[str], weight: int) -> SessionGroups:
        """Read the key columns of every shard and pack its units into groups."""
        plan = cls()
        for shard in shards:
            file = open_shard(read_shard_checked(storage, shard), shard)
            names = set(file.schema_arrow.names)
            columns = [c for c in KEY_COLUMNS if c in names]
            if "elements" in names:
                columns.append("elements.list.element.bid")  # only to count elements
            for batch in file.iter_batches(BATCH_ROWS, columns=columns):
                sizes = [1] * batch.num_rows
                if "elements" in batch.schema.names:
                    counts = pc.list_value_length(batch.column("elements")).fill_null(0)
                    sizes = [1 + n for n in counts.to_pylist()]
                for row, size in zip(_rows(batch), sizes, strict=True):
                    node = plan.node(*row)
                    if node is not None:
                        root = plan.find(node)
                        plan.weight[root] = plan.weight.get(root, 0) + size
        load = 0  # the weight of the group being filled (the last one)
        for node in plan.parent:
            root = plan.find(node)
            if root in plan.group:
                continue
            if not plan.groups or (load and load + plan.weight[root] > weight):
                plan.groups, load = plan.groups + 1, 0
            plan.group[root] = plan.groups - 1
            load += plan.weight[root]
        return plan

    def node(self, contributor, session, task, step) -> tuple | None:
        """Return the unit node of a record's keys (joining a task to its session), or None
        for a record in no episode and no observation index."""
        if task:
            node = ("task", contributor, task)
            if session is not None:
                self.union(node, ("session", contributor, session))
            return node
        return ("session", contributor, session) if step is not None else None

    def find(self, node: tuple) -> tuple:
        """Return the root of `node`'s unit (a new node is a unit of its own)."""
        root = self.parent.setdefault(node, node)
        while self.parent[root] != root:
            root = self.parent[root]
        while node != root:  # every node on the way now points at the root
            node, self.parent[node] = self.parent[node], root
        return root

    def union(self, a: tuple, b: tuple) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
            self.weight[ra] = self.weight.get(ra, 0) + self.weight.pop(rb, 0)

    def partition(self, storage, shards: list[str], tmp: Path) -> list[Path]:
        """Copy each group's rows (the columns in COLUMNS, each with its row number in the
        whole dataset) to a file of its own; return the files, one per group."""
        parts = [tmp / f"group-{g}.pickle" for g in range(self.groups)]
        base = 0  # rows of the shards before this one
        for shard in shards:
            file = open_shard(read_shard_checked(storage, shard), shard)
            names = set(file.schema_arrow.names)
            columns = [c for c in COLUMNS if c in names]
            keys = [c for c in KEY_COLUMNS if c in names]
            for batch in file.iter_batches(BATCH_ROWS, columns=columns):
                rows: dict[int, list[int]] = {}
                for i, row in enumerate(_rows(batch.select(keys))):
                    node = self.node(*row)
                    if node is not None:
                        rows.setdefault(self.group[self.find(node)], []).append(i)
                for group, taken in rows.items():
                    with open(parts[group], "ab") as fh:
                        numbers = [base + i for i in taken]
                        pickle.dump((numbers, batch.take(taken)), fh, pickle.HIGHEST_PROTOCOL)
                base += batch.num_rows
        return [p for p in parts if p.exists()]


def _rows(batch) -> Iterable[tuple]:
    """Return (contributor, session, task, step) of each row of `batch` (None when absent)."""
    names = batch.schema.names
    columns = [
        batch.column(c).to_pylist() if c in names else [None] * batch.num_rows for c in KEY_COLUMNS
    ]
    return zip(*columns, strict=True)


def _read_part(path: Path) -> tuple[list[int], list[dict]]:
    """Return a group's row numbers and records, in the order of the dataset."""
    numbers: list[int] = []
    records: list[dict] = []
    with open(path, "rb") as fh:
        while True:
            try:
                rows, batch = pickle.load(fh)
            except EOFError:
                return numbers, records
            numbers += rows
            records += from_table(pa.Table.from_batches([batch]))


def _episode_lines(parts: list[Path], path: Path) -> tuple[Path, pa.Table, int]:
    """Write each group's episodes with steps to `path` as lines, in no order; return it, the
    index that orders them, and the number of steps.

    `build_episodes` sorts episodes by (start, episode) keeping the order `group_episodes` made
    them in (a key's first record in the dataset, then its runs' first records); the index
    holds those four and where each line is, in Arrow columns (a few dozen bytes an episode).
    """
    tables = [INDEX_SCHEMA.empty_table()]
    steps = at = 0
    with open(path, "wb") as out:
        for part in parts:
            numbers, records = _read_part(part)
            number = {id(r): n for r, n in zip(records, numbers, strict=True)}
            earlier, history = observation_index(records), tab_history(records)
            episodes = group_episodes(records)
            first: dict[tuple, int] = {}  # episode key (before runs) -> its first record
            runs = {}
            for key, events in episodes.items():
                runs[key] = min(number[id(e)] for e in events)
                base = key if key[0] == "task" else key[:-1]
                first[base] = min(first.get(base, runs[key]), runs[key])
            index: list[tuple] = []
            for key, events in episodes.items():
                ep = episode(key, events, earlier, history)
                if not ep["steps"]:
                    continue
                line = episode_line(ep)
                out.write(line)
                base = key if key[0] == "task" else key[:-1]
                index.append((ep["start"], ep["episode"], first[base], runs[key], at, len(line)))
                at += len(line)
                steps += len(ep["steps"])
            columns = zip(*index, strict=True) if index else [()] * len(INDEX_SCHEMA)
            tables.append(pa.table(list(map(list, columns)), schema=INDEX_SCHEMA))
    table = pa.concat_tables(tables)
    order = pc.sort_indices(table, [(k, "ascending") for k in ("start", "episode", "first", "run")])
    return path, table.take(order), steps


INDEX_SCHEMA = pa.schema(
    [
        ("start", pa.int64()),
        ("episode", pa.string()),  # UTF-8 sorts as Python's str: by code point
        ("first", pa.int64()),
        ("run", pa.int64()),
        ("at", pa.int64()),
        ("size", pa.int64()),
    ]
)


def _in_order(lines: Path, index: pa.Table) -> Iterable[bytes]:
    """Yield the lines of `lines` in the order of `index`."""
    with open(lines, "rb") as fh:
        for batch in index.select(["at", "size"]).to_batches(BATCH_ROWS):
            for at, size in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                fh.seek(at)
                yield fh.read(size)
