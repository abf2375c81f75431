"""Marshmallow schemas of the events extensions send, and `validate_event` (no Flask here)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from .aria import ARIA_ROLES
from .clock import now_ms as clock_now_ms
from .elements import all_valid, clean_elements, element_errors, size_bound
from .fastpath import WireForm, compile_schema
from .frames import find_bad_string
from .origins import drop_default_port
from .vocabulary import (
    CATEGORY_OF,
    CHANGE_TARGETS,
    COMMAND_KEYS,
    MAX_CLOCK_SKEW_MS,
    MAX_ELEMENTS,
    MAX_EVENT_AGE_MS,
    MAX_GOAL,
    MAX_LABEL,
    MAX_OBSERVATION_BYTES,
    MAX_SELECTOR,
    MAX_TAG,
    MAX_TITLE,
    MAX_URL,
)

# Episode ids (session, tab, page, task) are short random tokens made by the extension.
EPISODE_ID = validate.Regexp(
    r"^[A-Za-z0-9_-]{8,32}$", error="a random token: 8-32 of A-Z a-z 0-9 _ -"
)
BID = validate.Regexp(r"^b[0-9]{1,6}$", error='an element id of an observation: "b" and digits')
MAX_STEP = 2**53 - 1  # a JavaScript number stays exact up to here
EPISODE_FIELDS = ("session", "tab", "page", "step")


@functools.cache
def _episode_split(required: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """Return the episode fields an event must have and the others, which come all or none."""
    return frozenset(required), frozenset(EPISODE_FIELDS) - frozenset(required)


class Flag(fields.Boolean):
    """A JSON true or false, never 1, "yes" or "on"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def _flag():
    return Flag()


def _episode_id(**kwargs):
    return fields.String(validate=EPISODE_ID, **kwargs)


# A lower-case HTML tag name (custom elements have dashes), never a run of 6+ digits.
TAG_NAME = validate.Regexp(
    rf"^(?!.*\d{{6}})[a-z][a-z0-9-]{{0,{MAX_TAG - 1}}}$",
    error=f"an HTML tag name (lower case, at most {MAX_TAG})",
)


# URLs are kept as a browser writes them, without the scheme's default port: the same page is
# then the same text in every record (the fast path runs this post_load as marshmallow does).
def _url():
    return fields.String(
        required=True, validate=validate.Length(min=1, max=MAX_URL), post_load=drop_default_port
    )


def _optional_url(**kwargs):
    return fields.String(
        validate=validate.Length(max=MAX_URL),
        allow_none=True,
        post_load=drop_default_port,
        **kwargs,
    )


class TargetSchema(Schema):
    """An element described without its content: selector, tag, role, redacted label."""

    class Meta:
        unknown = EXCLUDE

    selector = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SELECTOR))
    tag = fields.String(required=True, validate=TAG_NAME)
    role = fields.String(
        validate=validate.OneOf(ARIA_ROLES, error="a known ARIA role"), allow_none=True
    )
    label = fields.String(validate=validate.Length(max=MAX_LABEL), allow_none=True)
    bid = fields.String(validate=BID)


class EventSchema(Schema):
    """Fields every event has; unknown fields (employee, team, anything else) are dropped."""

    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(tuple(CATEGORY_OF)))
    ts = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    url = _url()
    title = fields.String(validate=validate.Length(max=MAX_TITLE), allow_none=True)
    # Episode: which browser start, tab and page visit the event belongs to; `step` orders a tab.
    session = _episode_id()
    tab = _episode_id()
    page = _episode_id()
    step = fields.Integer(strict=True, validate=validate.Range(0, MAX_STEP))
    task = _episode_id()  # set while the employee has a task open
    # The episode fields this type requires; the other ones of EPISODE_FIELDS are optional but
    # come together (a tab without its page and step cannot be ordered).
    episode_fields: tuple[str, ...] = EPISODE_FIELDS

    # Run beside other fields' errors too, so one answer names every missing field; presence is
    # read from the input, so a field given but not valid gets only its own error.
    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _episode_whole(self, data, original, **_):
        """Refuse an event without its required episode fields, or with only some of the others."""
        if not isinstance(original, Mapping):
            return  # marshmallow has refused it already: not an object
        required, optional = _episode_split(self.episode_fields)
        keys = original.keys()
        if keys >= required and (keys >= optional or keys.isdisjoint(optional)):
            return  # the common case, decided in C
        errors = {n: ["required: every event belongs to an episode"] for n in required - keys}
        given = sorted(optional & keys)
        if given:
            message = f"required with {', '.join(given)}: a tab's events come with page and step"
            errors.update({n: [message] for n in optional - keys})
        if errors:
            raise ValidationError(errors)


class PageViewSchema(EventSchema):
    referrer = _optional_url()


class RouteChangeSchema(EventSchema):
    from_ = _optional_url(data_key="from")


class ClickSchema(EventSchema):
    target = fields.Nested(TargetSchema, required=True)


class SubmitSchema(EventSchema):
    target = fields.Nested(TargetSchema, required=True)
    fields_ = fields.Integer(
        data_key="fields", required=True, strict=True, validate=validate.Range(0, 10_000)
    )


class ScrollSchema(EventSchema):
    depth = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    y = fields.Integer(strict=True, validate=validate.Range(0, 10**8))  # scrollY, px


def _choice_error(field: str) -> str:
    tags, roles = CHANGE_TARGETS[field]
    named = sorted(role for role in roles if role is not None) + ["none"] * (None in roles)
    listed = ", ".join(named[:-1]) + " or " + named[-1]
    return f"{field} is only for a choice control: tag {' or '.join(sorted(tags))}, role {listed}"


# Why a change's target is refused, per field it carries.
CHOICE_ERRORS = {field: _choice_error(field) for field in CHANGE_TARGETS}


class ChangeSchema(EventSchema):
    """A choice in a select, checkbox, radio or switch: the option's label or the checked state.

    The target must be such a control (`CHANGE_TARGETS`): a text field's change is refused, so
    what was typed in it can never ride in `value`.
    """

    target = fields.Nested(TargetSchema, required=True)
    value = fields.String(validate=validate.Length(max=MAX_LABEL))
    checked = _flag()

    @validates_schema
    def _one_of(self, data, **_):
        if ("value" in data) == ("checked" in data):
            raise ValidationError("give exactly one of value or checked", "_schema")

    @validates_schema
    def _choice_control(self, data, **_):
        field = "value" if "value" in data else "checked"
        if field not in data or ("value" in data and "checked" in data):
            return  # _one_of says what is wrong
        tags, roles = CHANGE_TARGETS[field]
        target = data["target"]
        if target["tag"] not in tags or target.get("role") not in roles:
            raise ValidationError(CHOICE_ERRORS[field], "target")


MODIFIERS = ("alt", "ctrl", "meta", "shift")


class KeySchema(EventSchema):
    """A key that is a command (Enter, Escape, Tab, arrows) or a shortcut with Ctrl/Cmd; no text."""

    key = fields.String(required=True, validate=validate.Length(min=1, max=16))
    mods = fields.List(
        fields.String(validate=validate.OneOf(MODIFIERS)),
        load_default=list,
        validate=validate.Length(max=4),
    )
    target = fields.Nested(TargetSchema)

    @validates_schema
    def _not_text(self, data, **_):
        if data["key"] in COMMAND_KEYS:
            return
        shortcut = {"ctrl", "meta"} & set(data.get("mods", ()))
        if not (
            shortcut and len(data["key"]) == 1 and data["key"].isascii() and data["key"].isalnum()
        ):
            raise ValidationError("a command key, or a letter or digit with ctrl or meta", "key")


class ElementsField(fields.Field):
    """An observation's elements, each checked by backend/core/elements.py (fast, same rules)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError("a list of elements")
        if len(value) > MAX_ELEMENTS:
            raise ValidationError(f"at most {MAX_ELEMENTS} elements")
        if not all_valid(value):
            errors = {i: e for i, raw in enumerate(value) if (e := element_errors(raw))}
            if errors:
                raise ValidationError(errors)
        return clean_elements(value)


class ObservationSchema(EventSchema):
    elements = ElementsField(required=True)

    @validates_schema(pass_original=True)
    def _small(self, data, original, **_):
        elements = original.get("elements")
        if data.get("elements") is elements:  # only known fields, checked: a bound may do
            bound = size_bound(elements)
            if bound is not None and bound <= MAX_OBSERVATION_BYTES:
                return
        # UTF-8 bytes of compact JSON, as the extension counts them (extension/shared/observe.js)
        text = json.dumps(original.get("elements"), separators=(",", ":"), ensure_ascii=False)
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_OBSERVATION_BYTES:
            raise ValidationError(
                f"elements take {size} bytes, over {MAX_OBSERVATION_BYTES}", "elements"
            )

    @validates_schema
    def _unique(self, data, **_):
        bids = [e["bid"] for e in data.get("elements", ())]
        if len(bids) != len(set(bids)):
            raise ValidationError("every element has its own bid", "elements")


class TaskStartSchema(EventSchema):
    """The popup starts a task: it belongs to the browser session, and may name the tab (with
    its page and step) the popup was opened over."""

    episode_fields = ("session",)
    task = _episode_id(required=True)
    goal = fields.String(required=True, validate=validate.Length(min=1, max=MAX_GOAL))


class TaskEndSchema(EventSchema):
    episode_fields = ("session",)
    task = _episode_id(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(("done", "abandoned")))


class TabFocusSchema(EventSchema):
    pass


class VisibilitySchema(EventSchema):
    state = fields.String(required=True, validate=validate.OneOf(("visible", "hidden")))


class InputActivitySchema(EventSchema):
    target = fields.Nested(TargetSchema, required=True)
    count = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100_000))


EVENT_SCHEMAS: dict[str, Schema] = {
    "page_view": PageViewSchema(),
    "route_change": RouteChangeSchema(),
    "click": ClickSchema(),
    "submit": SubmitSchema(),
    "scroll": ScrollSchema(),
    "tab_focus": TabFocusSchema(),
    "visibility": VisibilitySchema(),
    "input_activity": InputActivitySchema(),
    "change": ChangeSchema(),
    "key": KeySchema(),
    "observation": ObservationSchema(),
    "task_start": TaskStartSchema(),
    "task_end": TaskEndSchema(),
}


# Loaded names that differ on the wire (`from` and `fields` are Python keywords or clash).
WIRE_NAMES = {"from_": "from", "fields_": "fields"}
# The wire form `_to_wire` makes: wire names, the id as text, no None values.
WIRE = WireForm(rename=WIRE_NAMES, as_text=frozenset({"id"}))
# The same schemas compiled to a fast check (backend/core/fastpath.py); marshmallow itself runs
# only for what the fast check does not vouch for, and gives the typed error. Each check's
# `.wire` gives the event in its wire form directly.
FAST_EVENT_SCHEMAS = {
    kind: compile_schema(schema, wire=WIRE) for kind, schema in EVENT_SCHEMAS.items()
}


class EventRejected(Exception):
    """One event failed validation; `code` is the typed reason sent back in the ack."""

    def __init__(self, code: str, errors: dict | None = None):
        super().__init__(code)
        self.code = code
        self.errors = errors or {}


def _unknown_type_message(raw: dict) -> str:
    """Say what is wrong with an event's `type`: missing, not a string, or not a known type."""
    if "type" not in raw:
        return "Missing data for required field."
    kind = raw["type"]
    if isinstance(kind, str):
        return f"unknown event type {kind[:40]!r}"
    return f"must be a string, got {json.dumps(kind)[:40]}"


def validate_event(raw: object, now_ms: int | None = None, strings_checked: bool = False) -> dict:
    """Return the cleaned event, or raise EventRejected with a typed code.

    `strings_checked`: the caller knows no string in `raw` holds a lone surrogate (see
    `frames.may_hold_lone_surrogate`), so the event is not searched for one again.
    """
    if not isinstance(raw, dict):
        raise EventRejected("invalid_event", {"_schema": ["event must be an object"]})
    if not strings_checked:
        bad = find_bad_string(raw)
        if bad:
            message = f"a string at {bad} is not valid Unicode"
            raise EventRejected("bad_string", {"_schema": [message]})
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in EVENT_SCHEMAS:
        raise EventRejected("unknown_type", {"type": [_unknown_type_message(raw)]})
    fast = FAST_EVENT_SCHEMAS[kind]
    wire = getattr(fast, "wire", None)
    event = wire(raw) if wire is not None else None
    if event is None:
        event = fast(raw)
        if event is None:
            try:
                event = EVENT_SCHEMAS[kind].load(raw)
            except ValidationError as err:
                raise EventRejected("invalid_event", err.normalized_messages()) from None
        event = _to_wire(event)
    now_ms = clock_now_ms() if now_ms is None else now_ms
    if event["ts"] > now_ms + MAX_CLOCK_SKEW_MS:
        raise EventRejected("future_timestamp", {"ts": ["timestamp is in the future"]})
    if event["ts"] < now_ms - MAX_EVENT_AGE_MS:
        raise EventRejected("stale_timestamp", {"ts": ["timestamp is older than 7 days"]})
    return event


def _to_wire(event: dict) -> dict:
    """Turn loaded data back into the wire field names with JSON-ready values."""
    out = {WIRE_NAMES.get(k, k): v for k, v in event.items()}
    out["id"] = str(out["id"])
    return {k: v for k, v in out.items() if v is not None}
