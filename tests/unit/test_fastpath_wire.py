"""The fast path's wire form is `_to_wire` of marshmallow's result, and a queued entry encoded
once per frame is the entry `Entry.encode` writes.

The events are the ones tests/unit/test_fastpath.py generates from the schemas: valid events of
every type, and mutations of their fields.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields

from backend.core.events import EVENT_SCHEMAS, FAST_EVENT_SCHEMAS, _to_wire
from backend.core.fastpath import compile_schema
from backend.core.records import Entry, dumps_event, employee_needle, parse, queued_encoder
from tests.unit.test_fastpath import BASES, KINDS_EVENTS, TEXT, marshmallow_load, same


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(KINDS_EVENTS)
def test_wire_form_is_to_wire_of_marshmallow(item):
    """Accepted by the wire check: marshmallow accepts it too, and `_to_wire` of its result is
    the wire check's result, key order included."""
    kind, raw = item
    wire = FAST_EVENT_SCHEMAS[kind].wire(raw)
    slow = marshmallow_load(EVENT_SCHEMAS[kind], raw)
    assert (wire is None) == (FAST_EVENT_SCHEMAS[kind](raw) is None)
    if wire is not None:
        assert isinstance(slow, dict), "the wire check accepted what marshmallow rejects"
        same(wire, _to_wire(slow))


def test_every_valid_event_has_a_wire_form():
    """Valid events of every type are decided by the wire check, not sent to marshmallow."""
    for kind, event in BASES.items():
        wire = FAST_EVENT_SCHEMAS[kind].wire(event)
        assert wire is not None, kind
        same(wire, _to_wire(EVENT_SCHEMAS[kind].load(event)))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=800)
@given(
    event=st.dictionaries(TEXT, JSON_VALUES, max_size=5),
    employee=TEXT,
    device=st.none() | TEXT,
    policy=st.none() | TEXT,
)
def test_queued_encoder_writes_what_entry_encode_writes(event, employee, device, policy):
    """Same bytes as `Entry.encode`, read back as the entry; the employee's needle is found."""
    entry = Entry(employee, "team", "clicks", 7, device, event, policy_version=policy)
    encode = queued_encoder(employee, "team", device, 7, policy)
    raw = encode("clicks", event)
    assert raw == entry.encode().encode("utf-8", "surrogatepass")
    assert encode("clicks", event) == raw  # the head is cached per category
    back = Entry.decode(raw)
    assert json.dumps(back.event, sort_keys=True) == json.dumps(
        json.loads(json.dumps(event)), sort_keys=True
    )
    assert (back.employee, back.device, back.policy_version) == (employee, device, policy)
    assert employee_needle(employee) in raw


@given(event=st.dictionaries(TEXT, JSON_VALUES, max_size=5))
def test_dumps_event_reads_back_as_json_dumps(event):
    """orjson or the json module: the event parses back to what json.dumps gives."""
    expected = json.dumps(json.loads(json.dumps(event)), sort_keys=True)
    assert json.dumps(parse(dumps_event(event)), sort_keys=True) == expected


def test_dumps_event_falls_back_where_orjson_differs():
    """Huge integers, lone surrogates, NaN: written by the json module, as before."""
    for event in ({"n": 2**70}, {"s": "\ud800"}, {"f": float("nan")}, {"x": None}):
        assert dumps_event(event) == json.dumps(event, separators=(",", ":")).encode()
    assert dumps_event({"a": "é"}) == '{"a":"é"}'.encode()


def test_field_hooks_and_list_items_load_as_marshmallow_loads_them():
    """Field pre_load/post_load functions, None, and List items of every kind: same result, or
    the fast path declines where marshmallow refuses."""

    def strip(value):
        return value.strip() if isinstance(value, str) else value

    class Hooked(Schema):
        a = fields.String(pre_load=[strip], post_load=[str.upper], allow_none=True)
        b = fields.List(fields.Integer(post_load=[lambda n: n * 2]))
        c = fields.Integer(pre_load=[lambda v: 5 if v == "five" else v])
        d = fields.List(fields.Raw(allow_none=True))
        e = fields.List(fields.Raw())

    schema = Hooked()
    check = compile_schema(schema)
    inputs = [
        {"a": " x ", "b": [1, 2]},
        {"a": None},
        {"a": " y", "c": 3},
        {"c": None},
        {"c": "five"},
        {"b": [None]},
        {"b": [True]},
        {"a": 1},
        {"d": [None, 1]},
        {"e": [{}, 1]},
        {"e": [1, None]},
    ]
    for raw in inputs:
        slow = marshmallow_load(schema, raw)
        fast = check(raw)
        if not isinstance(slow, dict):
            assert fast is None, raw
        else:
            assert fast is not None, raw
            same(fast, slow)
