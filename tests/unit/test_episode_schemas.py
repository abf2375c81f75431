"""Episode fields and the trajectory event types: what is accepted, and each refusal's reason."""

import json

import pytest

from backend.core.events import EventRejected, validate_event
from backend.core.vocabulary import MAX_ELEMENTS, MAX_OBSERVATION_BYTES
from tests.helpers import make_event

EPISODE = {"session": "s_4f9a2c1e", "tab": "t_0b7d33aa", "page": "p_91c2e0ff", "step": 0}


def errors_of(event) -> dict:
    with pytest.raises(EventRejected) as info:
        validate_event(event)
    assert info.value.code == "invalid_event"
    return info.value.errors


def element(i: int, label: str = "Save") -> dict:
    return {
        "bid": f"b{i}",
        "role": "button",
        "tag": "button",
        "label": label,
        "box": [0, 8 * i, 64, 24],
    }


def test_episode_fields_are_kept():
    """session, tab, page, step and task come back as sent."""
    event = make_event("click", **EPISODE, task="k_2c4e6a8b0d")
    cleaned = validate_event(event)
    assert {k: cleaned[k] for k in [*EPISODE, "task"]} == {**EPISODE, "task": "k_2c4e6a8b0d"}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"session": "short"}, "session"),
        ({"tab": "has space 1234"}, "tab"),
        ({"page": "x" * 33}, "page"),
        ({"step": -1}, "step"),
        ({"step": 1.5}, "step"),
        ({"step": "3"}, "step"),
        ({"task": "k/../../etc"}, "task"),
    ],
)
def test_bad_episode_fields(change, field):
    """Ids are short random tokens; a step is a non-negative integer."""
    assert field in errors_of(make_event("click", **{**EPISODE, **change}))


def test_episode_fields_are_required():
    """An event without its episode cannot be ordered in a trajectory: refused."""
    event = make_event("click")
    for name in EPISODE:
        del event[name]
    assert set(errors_of(event)) == set(EPISODE)


@pytest.mark.parametrize("kind", ["page_view", "click", "observation"])
def test_every_missing_field_is_named_at_once(kind):
    """The episode fields are named with the other missing ones, not only once those are given."""
    errors = errors_of({"type": kind})
    assert {"id", "ts", "url", *EPISODE} <= set(errors), errors
    assert errors["session"] == ["required: every event belongs to an episode"]


def test_a_bad_episode_field_is_not_called_missing():
    """A session given but not valid, beside another field's error: its own message only."""
    event = {**make_event("click"), **EPISODE, "session": "short", "ts": "soon"}
    errors = errors_of(event)
    assert set(errors) == {"ts", "session"}
    assert errors["session"] == ["a random token: 8-32 of A-Z a-z 0-9 _ -"]


def test_a_partial_tab_is_named_beside_other_errors():
    """A task event's tab without page and step is named even when its goal is missing too."""
    event = {**make_event("task_start"), "tab": "t_0b7d33aa"}
    del event["goal"]
    assert set(errors_of(event)) == {"goal", "page", "step"}


def test_episode_fields_come_together():
    """A tab without its session, page and step cannot be ordered: refused, naming each."""
    event = make_event("click", tab="t_0b7d33aa")
    for name in ("session", "page", "step"):
        del event[name]
    assert set(errors_of(event)) == {"session", "page", "step"}


def test_task_events_belong_to_the_session():
    """task_start and task_end come from the popup: a session is enough."""
    assert validate_event(make_event("task_start", session=EPISODE["session"]))["goal"]
    event = make_event("task_end")
    del event["session"]
    assert set(errors_of(event)) == {"session"}


@pytest.mark.parametrize("kind", ["task_start", "task_end"])
def test_task_events_may_carry_their_tab(kind):
    """A task event may also name the tab it was made over: tab, page and step are kept."""
    cleaned = validate_event(make_event(kind, **EPISODE))
    assert {k: cleaned[k] for k in EPISODE} == EPISODE


@pytest.mark.parametrize(
    "change, errors",
    [
        ({"tab": "t_0b7d33aa"}, {"page", "step"}),
        ({"tab": "t_0b7d33aa", "page": "p_91c2e0ff"}, {"step"}),
        ({"step": 3}, {"tab", "page"}),
        ({**EPISODE, "tab": "has space 1234"}, {"tab"}),
        ({**EPISODE, "step": -1}, {"step"}),
        ({**EPISODE, "page": "x" * 33}, {"page"}),
    ],
)
def test_task_event_tab_fields_are_checked_and_come_together(change, errors):
    """Validated as on any event; a tab without its page and step cannot be ordered."""
    event = {**make_event("task_start"), **change}
    assert set(errors_of(event)) == errors


@pytest.mark.parametrize("kind, field", [("task_start", "goal"), ("task_end", "outcome")])
def test_task_fields_required(kind, field):
    event = make_event(kind)
    del event[field]
    assert field in errors_of(event)


def test_task_outcome_is_done_or_abandoned():
    assert "outcome" in errors_of(make_event("task_end", outcome="gave up"))


@pytest.mark.parametrize(
    "key, mods, ok",
    [
        ("Enter", [], True),
        ("Escape", [], True),
        ("ArrowDown", ["shift"], True),
        ("s", ["ctrl"], True),
        ("S", ["meta", "shift"], True),
        ("a", [], False),
        ("a", ["shift"], False),
        ("A", ["alt"], False),
        ("é", ["ctrl"], False),
        (" ", ["ctrl"], False),
        ("Backspace", [], False),
        ("Enter", ["hyper"], False),
    ],
)
def test_key_is_a_command_never_text(key, mods, ok):
    """Command keys pass; a printable character passes only as a Ctrl/Cmd shortcut."""
    event = make_event("key", key=key, mods=mods)
    if ok:
        assert validate_event(event)["key"] == key
    else:
        errors_of(event)


CHECKBOX = {"selector": "#urgent", "tag": "input", "role": "checkbox", "label": "Urgent"}


def test_change_has_a_value_or_checked():
    """Exactly one of value (an option's label) or checked (a real boolean)."""
    assert validate_event(make_event("change", value="Customer"))["value"] == "Customer"
    box = make_event("change", target=CHECKBOX, checked=True)
    del box["value"]
    assert validate_event(box)["checked"] is True
    errors_of(make_event("change", checked=False))  # both
    errors_of({**box, "checked": 1})
    neither = make_event("change")
    del neither["value"]
    errors_of(neither)


TEXT_FIELDS = [
    {"selector": "#notes", "tag": "input", "role": "textbox", "label": "Notes"},
    {"selector": "#q", "tag": "input", "role": "searchbox"},
    {"selector": "#q", "tag": "input", "role": "combobox"},  # an autocomplete field
    {"selector": "#q", "tag": "input"},
    {"selector": "#body", "tag": "textarea", "role": "textbox"},
    {"selector": "#body", "tag": "div", "role": "textbox"},  # contenteditable
    {"selector": "#kind", "tag": "select", "role": "textbox"},
    {"selector": "#kind", "tag": "div", "role": "listbox"},
    {"selector": "#kind", "tag": "div", "role": "option"},
    {"selector": "#kind", "tag": "div"},
]


def change(target: dict, **choice) -> dict:
    event = make_event("change", target=target)
    del event["value"]
    return {**event, **choice}


@pytest.mark.parametrize("target", TEXT_FIELDS)
def test_change_value_only_from_a_select(target):
    """What a text field holds never rides in a change: a value needs a select target."""
    errors = errors_of(change(target, value="my secret diary note"))
    assert set(errors) == {"target"}


@pytest.mark.parametrize(
    "target",
    [
        {"selector": "#kind", "tag": "select", "role": "combobox", "label": "Kind"},
        {"selector": "#kinds", "tag": "select", "role": "listbox"},
        {"selector": "#kind", "tag": "select"},
    ],
)
def test_change_value_from_a_select_is_kept(target):
    """A select's chosen option, as the extension sends it (extension/content/capture.js)."""
    assert validate_event(change(target, value="Customer"))["value"] == "Customer"


@pytest.mark.parametrize("role", ["checkbox", "radio", "switch", "menuitemcheckbox"])
def test_change_checked_from_a_checkable_input_is_kept(role):
    """A checkbox, radio or switch input's state."""
    target = {**CHECKBOX, "role": role}
    assert validate_event(change(target, checked=False))["checked"] is False


@pytest.mark.parametrize(
    "target",
    [
        *TEXT_FIELDS,
        {"selector": "#urgent", "tag": "input", "role": "button"},
        {"selector": "#urgent", "tag": "div", "role": "checkbox"},
        {"selector": "#kind", "tag": "select", "role": "combobox"},
    ],
)
def test_change_checked_only_from_a_checkable_input(target):
    """A checked state needs an input with a checkbox, radio or switch role."""
    assert set(errors_of(change(target, checked=True))) == {"target"}


def test_target_bid():
    """An action's target names an element of an observation: "b" and digits."""
    target = {"selector": "#save", "tag": "button", "bid": "b12"}
    assert validate_event(make_event("click", target=target))["target"]["bid"] == "b12"
    assert "target" in errors_of(make_event("click", target={**target, "bid": "../x"}))


def test_observation_elements():
    """Elements keep bid, role, tag, label, state and box; states are real booleans."""
    elements = [element(1), {**element(2), "state": {"checked": True, "disabled": False}}]
    cleaned = validate_event(make_event("observation", elements=elements))
    assert cleaned["elements"][1]["state"] == {"checked": True, "disabled": False}
    assert cleaned["elements"][0]["box"] == [0, 8, 64, 24]
    errors_of(make_event("observation", elements=[{**element(1), "state": {"checked": "yes"}}]))
    errors_of(make_event("observation", elements=[{**element(1), "box": [0, 0, 8]}]))
    errors_of(make_event("observation", elements=[element(1), element(1)]))


def test_observation_limits():
    """At most MAX_ELEMENTS elements and MAX_OBSERVATION_BYTES of JSON."""
    many = [element(i) for i in range(MAX_ELEMENTS + 1)]
    assert "elements" in errors_of(make_event("observation", elements=many))
    full = {"checked": False, "selected": False, "expanded": False, "disabled": False}
    fits = [
        {**element(i, "Label " + "x" * 74), "role": "menuitemcheckbox", "state": full}
        for i in range(MAX_ELEMENTS)
    ]
    size = len(json.dumps(fits, separators=(",", ":")))
    assert size > MAX_OBSERVATION_BYTES, "the test needs elements over the byte limit"
    assert "elements" in errors_of(make_event("observation", elements=fits))
    assert validate_event(make_event("observation", elements=fits[:100]))
