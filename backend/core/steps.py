"""Sealed records as agent trajectories: episodes of (observation, action) steps.

An episode is a task (every record carrying its `task` id, in every tab), or else a run of one
tab's records outside any task. Steps are written the way web-agent toolkits write actions
(`click("b12")`, `select_option("b7", "Customer")`, `press("Enter")`, ...), each with the latest
observation of its tab before the action. The output is JSON Lines, one episode per line, with the
same keys on every line, and a README.md whose features type them, so `datasets.load_dataset(DIR)`
reads it with no custom code.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable
from pathlib import Path

from .dataset_readme import README
from .dataset_storage import open_storage
from .datasets import SHARD_GLOB, read_shard
from .steps_card import STEPS, steps_card

# A page view this soon after an action on the page is that action's effect, not a `goto`.
NAVIGATION_EFFECT_MS = 2000
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
    if kind == "key":
        return f"press({quote(key_combo(event))})"
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


class EpisodeBuilder:
    """Turns one episode's ordered events into steps."""

    def __init__(self, events: list[dict], earlier: dict | None = None):
        self.events = events
        # (contributor, session, tab) -> ([steps], [observations]), of every record exported
        self.earlier = observation_index(events) if earlier is None else earlier
        self.tabs: list[tuple] = []  # (session, tab) in order of first appearance
        self.last_action_ms: dict[tuple, int] = {}
        self.scroll_y: dict[tuple, int] = {}
        self.focused: tuple | None = None  # the tab of the last step
        self.steps: list[dict] = []

    def build(self) -> list[dict]:
        """Return the steps of the episode."""
        for event in self.events:
            if event["type"] in TASK_EVENTS or "tab" not in event:
                continue  # a tab is numbered by its first step, not by the task's start
            tab = (event["session"], event["tab"])
            if tab not in self.tabs:
                self.tabs.append(tab)
            action = self.action(event, tab)
            if action is None:
                continue
            if self.focused is not None and tab != self.focused and not action.startswith("tab_"):
                # The person switched tabs (a focus event may be missing): say so first.
                self.add_step(event, tab, f"tab_focus({self.tabs.index(tab)})", "tab_focus")
            self.focused = tab
            self.add_step(event, tab, action)
        return self.steps

    def action(self, event: dict, tab: tuple) -> str | None:
        """Return the action an event stands for, updating what the episode knows."""
        kind = event["type"]
        if kind == "observation":
            return None  # found by step when an action needs it (observed_before)
        if kind in ELEMENT_ACTIONS:
            self.last_action_ms[tab] = event["ts"]
            return element_action(event)
        if kind in ("page_view", "route_change"):
            self.scroll_y.pop(tab, None)
            since = event["ts"] - self.last_action_ms.get(tab, -(10**15))
            return None if since < NAVIGATION_EFFECT_MS else f"goto({quote(event['url'])})"
        if kind == "scroll" and "y" in event:
            dy = event["y"] - self.scroll_y.get(tab, 0)
            self.scroll_y[tab] = event["y"]
            return f"scroll(0, {dy})" if dy else None
        if kind == "tab_focus" and self.focused is not None and tab != self.focused:
            return f"tab_focus({self.tabs.index(tab)})"
        return None

    def add_step(self, event: dict, tab: tuple, action: str, kind: str | None = None) -> None:
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


def episode(key: tuple, events: list[dict], earlier: dict | None = None) -> dict:
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
        "steps": EpisodeBuilder(events, earlier).build(),
    }


def build_episodes(records: Iterable[dict]) -> list[dict]:
    """Return the episodes of `records` that have at least one step, in order of their start."""
    records = list(records)
    earlier = observation_index(records)
    out = [episode(k, evs, earlier) for k, evs in group_episodes(records).items()]
    return sorted((e for e in out if e["steps"]), key=lambda e: (e["start"], e["episode"]))


def write_steps(episodes: Iterable[dict], out_dir: Path) -> Path:
    """Write episodes as `steps.jsonl` in `out_dir`, with its card; return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _replace(out_dir / README, [steps_card()])
    lines = (json.dumps(ep, ensure_ascii=False, separators=(",", ":")) + "\n" for ep in episodes)
    return _replace(out_dir / STEPS, lines)


def _replace(path: Path, chunks: Iterable[str]) -> Path:
    """Write `chunks` to a temporary file beside `path`, then rename it over `path`."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.writelines(chunks)
    tmp.replace(path)
    return path


def read_records(datasets) -> list[dict]:
    """Return every record of every sealed shard (`datasets`: a path, URL or Storage)."""
    storage = open_storage(datasets)
    records: list[dict] = []
    for shard in storage.glob(SHARD_GLOB):
        records.extend(read_shard(shard, storage))
    return records


def export_steps(datasets: Path, out_dir: Path) -> tuple[Path, int, int]:
    """Write the episodes of the sealed shards to `out_dir`; return (path, episodes, steps)."""
    episodes = build_episodes(read_records(datasets))
    path = write_steps(episodes, out_dir)
    return path, len(episodes), sum(len(e["steps"]) for e in episodes)
