"""Marshmallow schemas of the events extensions send, and `validate_event` (no Flask here)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from .aria import ARIA_ROLES
from .clock import now_ms as clock_now_ms
from .fastpath import compile_schema
from .frames import find_bad_string
from .vocabulary import (
    CATEGORY_OF,
    MAX_CLOCK_SKEW_MS,
    MAX_EVENT_AGE_MS,
    MAX_LABEL,
    MAX_SELECTOR,
    MAX_TAG,
    MAX_TITLE,
    MAX_URL,
)

# A lower-case HTML tag name (custom elements have dashes), never a run of 6+ digits.
TAG_NAME = validate.Regexp(
    rf"^(?!.*\d{{6}})[a-z][a-z0-9-]{{0,{MAX_TAG - 1}}}$",
    error=f"an HTML tag name (lower case, at most {MAX_TAG})",
)


def _url():
    return fields.String(required=True, validate=validate.Length(min=1, max=MAX_URL))


def _optional_url(**kwargs):
    return fields.String(validate=validate.Length(max=MAX_URL), allow_none=True, **kwargs)


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


class EventSchema(Schema):
    """Fields every event has; unknown fields (employee, team, anything else) are dropped."""

    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(tuple(CATEGORY_OF)))
    ts = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    url = _url()
    title = fields.String(validate=validate.Length(max=MAX_TITLE), allow_none=True)


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
}


# The same schemas compiled to a fast check (backend/core/fastpath.py); marshmallow itself runs
# only for what the fast check does not vouch for, and gives the typed error.
FAST_EVENT_SCHEMAS = {kind: compile_schema(schema) for kind, schema in EVENT_SCHEMAS.items()}


class EventRejected(Exception):
    """One event failed validation; `code` is the typed reason sent back in the ack."""

    def __init__(self, code: str, errors: dict | None = None):
        super().__init__(code)
        self.code = code
        self.errors = errors or {}


def validate_event(raw: object, now_ms: int | None = None) -> dict:
    """Return the cleaned event, or raise EventRejected with a typed code."""
    if not isinstance(raw, dict):
        raise EventRejected("invalid_event", {"_schema": ["event must be an object"]})
    bad = find_bad_string(raw)
    if bad:
        raise EventRejected("bad_string", {"_schema": [f"a string at {bad} is not valid Unicode"]})
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in EVENT_SCHEMAS:
        raise EventRejected("unknown_type", {"type": [f"unknown event type {str(kind)[:40]!r}"]})
    event = FAST_EVENT_SCHEMAS[kind](raw)
    if event is None:
        try:
            event = EVENT_SCHEMAS[kind].load(raw)
        except ValidationError as err:
            raise EventRejected("invalid_event", err.normalized_messages()) from None
    now_ms = clock_now_ms() if now_ms is None else now_ms
    if event["ts"] > now_ms + MAX_CLOCK_SKEW_MS:
        raise EventRejected("future_timestamp", {"ts": ["timestamp is in the future"]})
    if event["ts"] < now_ms - MAX_EVENT_AGE_MS:
        raise EventRejected("stale_timestamp", {"ts": ["timestamp is older than 7 days"]})
    return _to_wire(event)


def _to_wire(event: dict) -> dict:
    """Turn loaded data back into the wire field names with JSON-ready values."""
    out = {k.rstrip("_") if k in ("from_", "fields_") else k: v for k, v in event.items()}
    out["id"] = str(out["id"])
    return {k: v for k, v in out.items() if v is not None}
