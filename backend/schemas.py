"""Marshmallow schemas for WebSocket frames, events and API bodies (no Flask here)."""

from __future__ import annotations

import time
from typing import ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

SCHEMA_VERSION = "1"

CATEGORIES = ("navigation", "clicks", "forms", "scroll", "focus", "typing")
CATEGORY_OF = {
    "page_view": "navigation",
    "route_change": "navigation",
    "click": "clicks",
    "submit": "forms",
    "scroll": "scroll",
    "tab_focus": "focus",
    "visibility": "focus",
    "input_activity": "typing",
}

MAX_URL = 2048
MAX_TITLE = 300
MAX_SELECTOR = 300
MAX_LABEL = 80
# A client may hold events in its outbox while offline; older than this is refused.
MAX_EVENT_AGE_MS = 7 * 24 * 3600 * 1000
MAX_CLOCK_SKEW_MS = 5 * 60 * 1000
MAX_EVENTS_PER_FRAME = 100


def _url():
    return fields.String(required=True, validate=validate.Length(min=1, max=MAX_URL))


def _optional_url(**kwargs):
    return fields.String(validate=validate.Length(max=MAX_URL), allow_none=True, **kwargs)


class TargetSchema(Schema):
    """An element described without its content: selector, tag, role, redacted label."""

    class Meta:
        unknown = EXCLUDE

    selector = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SELECTOR))
    tag = fields.String(required=True, validate=validate.Length(min=1, max=32))
    role = fields.String(validate=validate.Length(max=64), allow_none=True)
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
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in EVENT_SCHEMAS:
        raise EventRejected("unknown_type", {"type": [f"unknown event type {str(kind)[:40]!r}"]})
    try:
        event = EVENT_SCHEMAS[kind].load(raw)
    except ValidationError as err:
        raise EventRejected("invalid_event", err.normalized_messages()) from None
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
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


class ClientSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    version = fields.String(validate=validate.Length(max=40))
    user_agent = fields.String(validate=validate.Length(max=400))


class SignalsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    gpc = fields.Boolean(load_default=False)
    dnt = fields.Boolean(load_default=False)


class HelloSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.Constant("hello")
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    client = fields.Nested(ClientSchema, load_default=dict)
    signals = fields.Nested(SignalsSchema, load_default=lambda: {"gpc": False, "dnt": False})
    dropped = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 10**9))


class EventsFrameSchema(Schema):
    """The envelope only: events are validated one by one so one bad event rejects only itself."""

    class Meta:
        unknown = EXCLUDE

    type = fields.Constant("events")
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    events = fields.List(
        fields.Raw(), required=True, validate=validate.Length(max=MAX_EVENTS_PER_FRAME)
    )


class PauseAppliedSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.Constant("pause_applied")
    pause_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ScopeField(fields.Field):
    """A pause scope: "all", {"team": T} or {"employee": E}, loaded as a normalised dict."""

    default_error_messages: ClassVar[dict] = {
        "invalid": 'scope must be "all", {{"team": T}} or {{"employee": E}}'
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "all" or value == {"all": True}:
            return {"all": True}
        if isinstance(value, dict) and len(value) == 1:
            ((k, v),) = value.items()
            if k in ("team", "employee") and isinstance(v, str) and 0 < len(v) <= 128:
                return {k: v}
        raise self.make_error("invalid")


class PauseRequestSchema(Schema):
    scope = ScopeField(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    purge = fields.Boolean(load_default=False)


class ResumeRequestSchema(Schema):
    pause_id = fields.String(validate=validate.Length(min=1, max=64))
    scope = ScopeField()

    @validates_schema
    def _one_of(self, data, **_):
        if ("pause_id" in data) == ("scope" in data):
            raise ValidationError("give exactly one of pause_id or scope", "_schema")


NAME = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$", error="letters, digits, . _ @ + -")


class EnrollSchema(Schema):
    employee = fields.String(required=True, validate=NAME)
    team = fields.String(load_default="default", validate=NAME)


MAX_MASK_SELECTORS = 100


class PolicySchema(Schema):
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)), required=True)
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    retention_days = fields.Integer(required=True, strict=True, validate=validate.Range(1, 3650))
    allowed_origins = fields.List(
        fields.String(
            validate=validate.Regexp(
                r"^https?://[^/\s?#]+$", error="an origin: scheme://host[:port], no path"
            )
        ),
        required=True,
    )
    # CSS selectors whose elements get structural labels only (extension/shared/label-policy.js);
    # the extension drops one that does not parse there.
    mask_selectors = fields.List(
        fields.String(validate=validate.Regexp(r"^[^\x00-\x1f]{1,200}$", error="1-200 characters")),
        load_default=list,
        validate=validate.Length(max=MAX_MASK_SELECTORS),
    )


class ConsentSchema(Schema):
    categories = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CATEGORIES)),
        values=fields.Boolean(),
        required=True,
    )
    confirm = fields.Boolean(load_default=False)
