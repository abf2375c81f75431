"""The compiled fast path and marshmallow accept and reject the same inputs, with equal output.

Inputs are generated from the schemas themselves: a valid event or frame of every type, then
mutations of its fields by the field's kind (wrong types, None, bools for integers, strings at
and past their limits, lone surrogates, non-canonical UUIDs, non-objects where an object is
expected), missing fields and unknown keys; and changes on every kind of control (a select, a
checkbox, a text field, no role), since the target decides whether a change is valid.
"""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from backend.core import events
from backend.core.clock import now_ms
from backend.core.events import EVENT_SCHEMAS, FAST_EVENT_SCHEMAS, EventRejected
from backend.core.fastpath import compile_schema
from backend.core.vocabulary import MAX_EVENTS_PER_FRAME
from backend.schemas import EventsFrameSchema, HelloSchema, PauseAppliedSchema
from tests.helpers import make_event

NOW = now_ms()
FRAME_SCHEMAS = {
    "hello": HelloSchema(),
    "events": EventsFrameSchema(),
    "pause_applied": PauseAppliedSchema(),
}
FAST_FRAMES = {kind: compile_schema(schema) for kind, schema in FRAME_SCHEMAS.items()}

TEXT = st.text(alphabet=st.characters(codec=None), max_size=20)  # lone surrogates included
ANY_JSON = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT,
    st.lists(st.integers(), max_size=2), st.dictionaries(TEXT, st.integers(), max_size=2),
)  # fmt: skip


# URLs with a port, default or not (URL fields drop a default one, on both paths).
PORTED_URLS = [
    "https://app.example.com:443/x",
    "http://app.example.com:80",
    "https://app.example.com:8443/",
    "https://app.example.com:/a?q=1",
    "HTTPS://app.example.com:0443#f",
    "http://app.example.com:443/",
    "https://app.example.com:443\N{SUPERSCRIPT TWO}/",
]


def limit_of(field: fields.Field) -> int | None:
    for v in field.validators:
        if isinstance(v, validate.Length):
            return v.max
        if isinstance(v, validate.Range):
            return v.max
    return None


def odd_value(field: fields.Field) -> st.SearchStrategy:
    """Values of the field's own kind that are wrong, at a limit, or just unusual."""
    limit = limit_of(field)
    common = [ANY_JSON]
    if isinstance(field, fields.String):
        common.append(TEXT)
        if limit:
            common.append(st.integers(limit - 1, limit + 1).map(lambda n: "x" * n))
        common.append(st.sampled_from(["", "\ud800", "a\udfffb", "button", "visible", "hidden"]))
        common.append(st.sampled_from(["select", "input", "checkbox", "combobox", "textbox"]))
        common.append(st.sampled_from(PORTED_URLS))
    elif isinstance(field, fields.Integer):
        common.append(st.integers(-3, 3) | st.sampled_from([True, False, 1.0, "7", 2**63]))
        if limit is not None:
            common.append(st.integers(limit - 1, limit + 1))
    elif isinstance(field, fields.UUID):
        u = uuid.uuid4()
        common.append(
            st.sampled_from([str(u), str(u).upper(), u.hex, f"{{{u}}}", f"urn:uuid:{u}", "x"])
        )
    elif isinstance(field, fields.Nested):
        common.append(st.builds(lambda d: d, st.dictionaries(TEXT, TEXT, max_size=3)))
        common.append(mutated(field.schema, {"selector": "#a", "tag": "a"}))
    elif isinstance(field, fields.List):
        common.append(
            st.integers(0, MAX_EVENTS_PER_FRAME + 2).map(lambda n: [{"type": "click"}] * n)
        )
    return st.one_of(common)


def mutated(schema: Schema, base: dict) -> st.SearchStrategy:
    """`base` with some fields replaced by odd values, some removed, some unknown keys added."""
    keys = {(f.data_key or name): f for name, f in schema.load_fields.items() if not f.dump_only}

    @st.composite
    def build(draw):
        out = dict(base)
        for key, field in keys.items():
            action = draw(st.sampled_from(["keep", "keep", "keep", "odd", "drop"]))
            if action == "odd":
                out[key] = draw(odd_value(field))
            elif action == "drop":
                out.pop(key, None)
        if draw(st.booleans()):
            out[draw(TEXT)] = draw(ANY_JSON)
        return out

    return build()


def event_bases() -> dict[str, dict]:
    bases = {}
    for kind in EVENT_SCHEMAS:
        event = make_event(kind, title="Orders")
        event["ts"] = NOW
        bases[kind] = event
    return bases


BASES = event_bases()
# A change on each kind of control: the target decides whether `value` or `checked` may come.
MISSING = object()
CHANGE_TAGS = ["select", "input", "textarea", "div", "button", "option"]
CHANGE_ROLES = [MISSING, None, "combobox", "listbox", "menu", "option", "checkbox", "radio",
                "switch", "menuitemcheckbox", "menuitemradio", "textbox", "searchbox",
                "button"]  # fmt: skip
SELECT_ROLES = (MISSING, None, "combobox", "listbox", "menu")
CHECKABLE_ROLES = ("checkbox", "radio", "switch", "menuitemradio")
CHOICES = [("select", role, ("value",)) for role in SELECT_ROLES]
CHOICES += [("input", role, ("checked",)) for role in CHECKABLE_ROLES]
ANY_CHOICE = st.tuples(
    st.sampled_from(CHANGE_TAGS),
    st.sampled_from(CHANGE_ROLES),
    st.sampled_from([("value",), ("checked",), ("value", "checked"), ()]),
)


@st.composite
def change_events(draw) -> dict:
    """A change on a choice control with the field it makes, or any target with any fields."""
    event = {k: v for k, v in BASES["change"].items() if k != "value"}
    tag, role, given = draw(st.sampled_from(CHOICES) if draw(st.booleans()) else ANY_CHOICE)
    event["target"] = {"selector": "#c", "tag": tag}
    if role is not MISSING:
        event["target"]["role"] = role
    if "value" in given:
        event["value"] = draw(st.sampled_from(["Customer", ""]))
    if "checked" in given:
        event["checked"] = draw(st.booleans())
    return event


CHANGES = change_events().flatmap(
    lambda e: st.one_of(st.just(e), mutated(EVENT_SCHEMAS["change"], e))
)
KINDS_EVENTS = st.one_of(
    st.sampled_from(sorted(BASES)).flatmap(
        lambda kind: mutated(EVENT_SCHEMAS[kind], BASES[kind]).map(lambda e: (kind, e))
    ),
    CHANGES.map(lambda e: ("change", e)),
)
EVENTS = KINDS_EVENTS.map(lambda item: item[1])
FRAME_BASES = {
    "hello": {"type": "hello", "token": "ovt_x", "client": {"version": "1"}, "dropped": 0},
    "events": {"type": "events", "seq": 1, "events": [BASES["click"]]},
    "pause_applied": {"type": "pause_applied", "pause_id": "p_1"},
}
FRAMES = st.sampled_from(sorted(FRAME_BASES)).flatmap(
    lambda kind: mutated(FRAME_SCHEMAS[kind], FRAME_BASES[kind]).map(lambda f: (kind, f))
)


def marshmallow_load(schema: Schema, data):
    try:
        return schema.load(data)
    except ValidationError:
        return ValidationError


def same(fast, slow) -> None:
    """The fast path's result is marshmallow's: equal values and the same key order."""
    assert fast == slow
    if isinstance(fast, dict):
        assert list(fast) == list(slow)
        for key in fast:
            same(fast[key], slow[key])


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(KINDS_EVENTS)
def test_events_both_paths_agree(item):
    kind, raw = item  # the schema of the type the event was made as, whatever "type" became
    fast = FAST_EVENT_SCHEMAS[kind](raw)
    slow = marshmallow_load(EVENT_SCHEMAS[kind], raw)
    if fast is not None:
        assert slow is not ValidationError, "the fast path accepted what marshmallow rejects"
        same(fast, slow)


def test_both_paths_drop_a_default_port():
    """url, referrer and from lose a default port, on the fast path as in marshmallow."""
    cases = [
        ("page_view", "referrer", "http://intranet:80/a", "http://intranet/a"),
        ("route_change", "from", "https://app.example.com:443/b", "https://app.example.com/b"),
        ("click", "url", "https://app.example.com:443/c?q", "https://app.example.com/c?q"),
        ("click", "url", "https://app.example.com:8443/c", "https://app.example.com:8443/c"),
    ]
    for kind, name, given_url, kept in cases:
        raw = {**BASES[kind], "url": "https://app.example.com:443/p", name: given_url}
        fast, slow = FAST_EVENT_SCHEMAS[kind](raw), EVENT_SCHEMAS[kind].load(raw)
        same(fast, slow)
        wire = events.validate_event(raw, NOW)
        assert wire[name] == kept, (kind, name, wire)
        if name != "url":
            assert wire["url"] == "https://app.example.com/p"


@settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow])
@given(FRAMES)
def test_frames_both_paths_agree(item):
    kind, frame = item
    fast = FAST_FRAMES[kind](frame)
    slow = marshmallow_load(FRAME_SCHEMAS[kind], frame)
    if fast is not None:
        assert slow is not ValidationError, "the fast path accepted what marshmallow rejects"
        same(fast, slow)


def validate_with(fast_schemas, raw):
    saved = dict(events.FAST_EVENT_SCHEMAS)
    events.FAST_EVENT_SCHEMAS.update(fast_schemas)
    try:
        return events.validate_event(raw, NOW)
    except EventRejected as err:
        return (err.code, err.errors)
    finally:
        events.FAST_EVENT_SCHEMAS.update(saved)


@settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow])
@given(EVENTS)
def test_validate_event_is_the_same_with_and_without_the_fast_path(raw):
    """Same cleaned event, or the same typed code and messages, from both paths."""
    off = {kind: (lambda data: None) for kind in EVENT_SCHEMAS}
    with_fast = validate_with({}, raw)
    without = validate_with(off, raw)
    assert with_fast == without
    if isinstance(with_fast, dict):
        assert list(with_fast) == list(without)


def test_valid_events_and_frames_take_the_fast_path():
    """The fast path is not a formality: every valid event and frame is decided by it."""
    checkbox = {"selector": "#c", "tag": "input", "role": "switch"}
    toggled = {**BASES["change"], "target": checkbox, "checked": True}
    del toggled["value"]
    for kind, event in [*BASES.items(), ("change", toggled)]:
        assert FAST_EVENT_SCHEMAS[kind](event) is not None, kind
        same(FAST_EVENT_SCHEMAS[kind](event), EVENT_SCHEMAS[kind].load(event))
    for kind, frame in FRAME_BASES.items():
        assert FAST_FRAMES[kind](frame) is not None, kind
        same(FAST_FRAMES[kind](frame), FRAME_SCHEMAS[kind].load(frame))


def test_other_field_types_deserialise_themselves_and_load_hooks_decline():
    """A field type without a compiled check runs its own deserialise; load hooks other than
    validates_schema are never guessed: the check always declines."""
    from marshmallow import post_load, pre_load, validates_schema

    class Odd(Schema):
        when = fields.DateTime()

    class Computed(Schema):
        name = fields.Function(deserialize=lambda value: value.upper())

    class Checked(Schema):
        name = fields.String()

        @validates_schema
        def _check(self, data, **_):
            if data.get("name") == "bad":
                raise ValidationError("not that one", "name")

    class Original(Schema):
        class Meta:
            unknown = EXCLUDE

        name = fields.String()

        @validates_schema(pass_original=True)
        def _check(self, data, original, **_):
            if "extra" in original:
                raise ValidationError("no extras")

    class Before(Schema):
        name = fields.String()

        @pre_load
        def _before(self, data, **_):
            return data

    class After(Schema):
        name = fields.String()

        @post_load
        def _after(self, data, **_):
            return data

    raw = {"when": "2024-01-01T00:00:00"}
    assert compile_schema(Odd())(raw) == Odd().load(raw)
    assert compile_schema(Odd())({"when": "yesterday"}) is None
    assert compile_schema(Computed())({"name": "x"}) is None
    assert compile_schema(Checked())({"name": "x"}) == {"name": "x"}
    assert compile_schema(Checked())({"name": "bad"}) is None
    assert compile_schema(Original())({"name": "x"}) == {"name": "x"}
    assert compile_schema(Original())({"name": "x", "extra": 1}) is None
    assert compile_schema(Before())({"name": "x"}) is None
    assert compile_schema(After())({"name": "x"}) is None
