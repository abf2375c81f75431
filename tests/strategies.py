"""hypothesis strategies for hostile /ws frames and events: valid, invalid and malicious.

Each frame is JSON text (or not): structured frames of every type with valid and mutated fields,
lone surrogates, deep nesting, unhashable values where scalars belong, huge numbers, Unicode
digits, and plain garbage.
"""

from __future__ import annotations

import json
import time
import uuid

from hypothesis import strategies as st

from backend.core.vocabulary import CATEGORY_OF, MAX_EVENTS_PER_FRAME

WORK_ORIGIN = "https://app.example.com"

# Text with everything, lone surrogates (category Cs) included.
any_text = st.text(st.characters(codec=None, categories=None), max_size=40)
surrogate = st.sampled_from(["\ud800", "\udfff", "a\udc00b", "\ud83d"])
unicode_digits = st.sampled_from(
    ["\u00b2", "\u0661\u0662", "\u0663", "\U0001d7d8", "\u2468", "\u216b"]
)
huge_int = st.integers(min_value=2**63, max_value=10**300) | st.integers(max_value=-(2**63))
scalar = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | huge_int
    | st.floats(allow_nan=False, allow_infinity=False)
    | any_text
    | surrogate
    | unicode_digits
)
json_value = st.recursive(
    scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)
# Where a scalar belongs: an unhashable, a wrong-typed or a hostile value.
hostile_value = st.just({}) | st.just([]) | st.just({"a": [1]}) | scalar | json_value


def valid_event(kind: str, now_ms: int) -> dict:
    """Return a valid event of `kind`."""
    event = {
        "id": str(uuid.uuid4()),
        "type": kind,
        "ts": now_ms,
        "url": f"{WORK_ORIGIN}/page",
        "title": "Page",
    }
    target = {"selector": "#save", "tag": "button", "role": "button", "label": "Save"}
    extra = {
        "click": {"target": target},
        "submit": {"target": target, "fields": 3},
        "scroll": {"depth": 40},
        "visibility": {"state": "hidden"},
        "input_activity": {"target": target, "count": 4},
        "page_view": {"referrer": f"{WORK_ORIGIN}/"},
        "route_change": {"from": f"{WORK_ORIGIN}/a"},
    }
    event.update(extra.get(kind, {}))
    return event


@st.composite
def events(draw) -> object:
    """An event of any type: valid, or with one field (or one target field) made hostile."""
    event = valid_event(draw(st.sampled_from(sorted(CATEGORY_OF))), int(time.time() * 1000))
    mutation = draw(st.sampled_from(["none", "field", "target", "drop", "extra", "whole"]))
    if mutation == "field":
        event[draw(st.sampled_from(sorted(event)))] = draw(hostile_value)
    elif mutation == "target" and "target" in event:
        field = draw(st.sampled_from(["selector", "tag", "role", "label"]))
        event["target"] = {**event["target"], field: draw(hostile_value)}
    elif mutation == "drop":
        event.pop(draw(st.sampled_from(sorted(event))))
    elif mutation == "extra":
        event[draw(any_text)] = draw(json_value)
    elif mutation == "whole":
        return draw(hostile_value)
    return event


@st.composite
def structured_frames(draw, token: str) -> object:
    """A frame of any type, with valid or hostile fields."""
    kind = draw(
        st.sampled_from(["events", "events", "events", "hello", "pause_applied", "ping", "pong"])
        | hostile_value
    )
    frame: dict = {"type": kind}
    if kind == "events":
        frame["seq"] = draw(st.integers(0, 2**31) | hostile_value)
        over = MAX_EVENTS_PER_FRAME + 1
        frame["events"] = draw(
            st.lists(events(), max_size=8)
            | st.integers(over, over + 5).map(lambda n: [valid_event("click", 0)] * n)
            | hostile_value
        )
    elif kind == "hello":
        frame["token"] = draw(st.just(token) | hostile_value)
        frame["dropped"] = draw(st.integers(0, 10) | hostile_value)
        frame["signals"] = draw(st.just({"gpc": False}) | hostile_value)
    elif kind == "pause_applied":
        frame["pause_id"] = draw(st.just("p_unknown") | hostile_value)
    if draw(st.booleans()):
        frame[draw(any_text)] = draw(json_value)
    return frame


def _dumps(value: object) -> str:
    # Lone surrogates leave json.dumps escaped (valid JSON text); huge ints may refuse to print.
    try:
        return json.dumps(value)
    except ValueError:
        return '{"type": "ping", "n": ' + "9" * 5000 + "}"


deep_nesting = st.integers(30, 5000).flatmap(
    lambda d: st.sampled_from(
        [
            '{"a":' * d + "1" + "}" * d,
            "[" * d + "]" * d,
            "[" * d,
            '{"type": ' + "[" * d + "]" * d + "}",
        ]
    )
)
huge_number_frames = st.sampled_from(
    [
        '{"type": "events", "seq": ' + "9" * 5000 + ', "events": []}',
        '{"type": "events", "seq": 1e999, "events": []}',
        '{"type": "events", "seq": -0.0, "events": []}',
        '{"type": "events", "seq": NaN, "events": []}',
        '{"type": "events", "seq": Infinity, "events": []}',
    ]
)
garbage = st.text(max_size=200) | st.sampled_from(["", "{", "}", "null", "[]", '"x"', "\x00"])


def frames(token: str = "ovt_x"):
    """Frames as text: structured (as JSON), deeply nested, huge numbers, or garbage."""
    structured = structured_frames(token).map(_dumps)
    return st.one_of(structured, structured, structured, deep_nesting, huge_number_frames, garbage)
