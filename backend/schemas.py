"""Marshmallow schemas for WebSocket frames and API bodies (event schemas: core/events.py)."""

from __future__ import annotations

import re
from typing import ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from .core.css_selectors import selector_problem
from .core.events import Flag
from .core.origins import DEFAULT_PORTS, port_problem
from .core.vocabulary import CATEGORIES, MAX_EVENTS_PER_FRAME, MAX_SEQ

# Every boolean of a frame or a request body is a Flag (backend/core/events.py): a JSON true or
# false only. marshmallow's Boolean reads "yes", "on" or 1 as true, and opt-in consent must not.


class ClientSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    version = fields.String(validate=validate.Length(max=40))
    user_agent = fields.String(validate=validate.Length(max=400))


class SignalsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    gpc = Flag(load_default=False)
    dnt = Flag(load_default=False)


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
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_SEQ))
    # A null item is an event like any other that is not an object: `validate_event` rejects it
    # alone (`invalid_event`), as it does 5 or "x" (docs/protocol.md, "Rejection codes").
    events = fields.List(
        fields.Raw(allow_none=True),
        required=True,
        validate=validate.Length(max=MAX_EVENTS_PER_FRAME),
    )


class PauseAppliedSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.Constant("pause_applied")
    pause_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class FullMatch(validate.Regexp):
    """A Regexp the whole value must match: re.match's `$` also lets a final newline through."""

    def __call__(self, value):
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


# The one rule for employee and team names, used by enrollment, pause scopes and the CLI.
NAME_RULE = "1-128 characters: letters, digits, . _ @ + -, starting with a letter or digit"
NAME = FullMatch(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$", error=NAME_RULE)
# A pause's reason, shown to employees: the same for the API and `overt pause --reason`.
MAX_REASON = 500
REASON = validate.And(
    validate.Length(max=MAX_REASON, error=f"at most {MAX_REASON} characters"),
    FullMatch(r"^.*\S.*$", flags=re.DOTALL, error="must not be empty or only spaces"),
)
# The same checks as a list, for fields: apispec (backend/openapi.py) reads a Length from a
# list, not from inside validate.And.
REASON_CHECKS = list(REASON.validators)
PAUSE_ID = validate.Length(min=1, max=64, error="1-64 characters")


class ScopeField(fields.Field):
    """A pause scope: "all", {"team": T} or {"employee": E}, loaded as a normalised dict."""

    default_error_messages: ClassVar[dict] = {
        "invalid": 'scope must be "all", {{"team": T}} or {{"employee": E}}'
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "all" or (value == {"all": True} and value["all"] is True):  # not 1
            return {"all": True}
        if isinstance(value, dict) and len(value) == 1:
            ((k, v),) = value.items()
            if k in ("team", "employee") and isinstance(v, str):
                try:
                    NAME(v)  # a name enrollment refuses could never be resumed by the CLI
                except ValidationError as err:
                    raise ValidationError({k: err.messages}) from None
                return {k: v}
        raise self.make_error("invalid")


class PauseRequestSchema(Schema):
    scope = ScopeField(required=True)
    reason = fields.String(required=True, validate=REASON_CHECKS)
    purge = Flag(load_default=False)


class ResumeRequestSchema(Schema):
    pause_id = fields.String(validate=PAUSE_ID)
    scope = ScopeField()

    @validates_schema
    def _one_of(self, data, **_):
        if ("pause_id" in data) == ("scope" in data):
            raise ValidationError("give exactly one of pause_id or scope", "_schema")


class EraseRequestSchema(Schema):
    """An admin's erasure of an employee's data: why, kept in the audit log."""

    reason = fields.String(required=True, validate=REASON_CHECKS)


class AdminTokenRequestSchema(Schema):
    """A labelled admin token to issue (the label's rules: backend/admin_auth.py)."""

    label = fields.String(required=True)


class AdminSignInSchema(Schema):
    """The console's sign-in: an admin token traded for a session cookie."""

    token = fields.String(required=True)


class EnrollSchema(Schema):
    employee = fields.String(required=True, validate=NAME)
    # Omitted: the employee's current team ("default" for a new one); another team moves them.
    team = fields.String(validate=NAME)


MAX_MASK_SELECTORS = 100
HOST = re.compile(
    r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\]"
)


class Origin(FullMatch):
    """A work app's origin exactly as a browser writes it, so that it can match one.

    Browsers write `scheme://host[:port]` in lower case, without user info, a path or the
    scheme's default port: anything else could never match an event's URL.
    """

    def __init__(self):
        super().__init__(r"^https?://[^/\s?#]+$", error="an origin: scheme://host[:port], no path")

    def __call__(self, value):
        if isinstance(value, str) and "@" in value:
            raise ValidationError("no user name or password: an origin is scheme://host[:port]")
        if isinstance(value, str) and value != value.lower():
            raise ValidationError(
                f"origins are lower-case, as browsers write them: {value.lower()}"
            )
        super().__call__(value)
        problem = _host_port_problem(*value.split("://", 1))
        if problem:
            raise ValidationError(problem)
        return value


def _host_port_problem(scheme: str, rest: str) -> str | None:
    """Return why `host[:port]` of an origin is not one a browser writes, or None."""
    host, colon, port = rest.rpartition(":") if not rest.endswith("]") else ("", "", "")
    if not colon:
        host, port = rest, ""
    if port and port_problem(port):
        return port_problem(port)
    if colon and not port:
        return "an empty port: leave out the colon"
    if port and (int(port) == DEFAULT_PORTS[scheme] or port.startswith("0")):
        shown = "" if int(port) == DEFAULT_PORTS[scheme] else f":{int(port)}"
        return f"browsers write this origin {scheme}://{host}{shown}"
    if not HOST.fullmatch(host) or len(host) > 253:
        return f"{host!r} is not a host name or IP address"
    return None


def css_selector(value: str) -> None:
    """Refuse a mask selector no browser matches elements with (backend/core/css_selectors.py)."""
    problem = selector_problem(value)
    if problem:
        raise ValidationError(problem)


class PolicySchema(Schema):
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)), required=True)
    # What employees consent to: never blank (a purpose of spaces was stored and asked for).
    purpose = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=2000),
            FullMatch(r"^.*\S.*$", flags=re.DOTALL, error="must not be empty or only spaces"),
        ],
    )
    retention_days = fields.Integer(required=True, strict=True, validate=validate.Range(1, 3650))
    allowed_origins = fields.List(fields.String(validate=Origin()), required=True)
    # k of the rarity gate (backend/core/rarity.py); omitted keeps the current value.
    min_contributors = fields.Integer(strict=True, validate=validate.Range(1, 1000))
    # CSS selectors whose elements get structural labels only (extension/shared/label-policy.js),
    # each one a browser accepts (the extension drops one that does not parse there, so saving it
    # would mask nothing); omitted keeps the current list.
    mask_selectors = fields.List(
        fields.String(
            validate=[
                validate.Regexp(r"^[^\x00-\x1f]{1,200}$", error="1-200 characters"),
                css_selector,
            ]
        ),
        validate=validate.Length(max=MAX_MASK_SELECTORS),
    )


class ConsentSchema(Schema):
    categories = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CATEGORIES)),
        values=Flag(),
        required=True,
    )
    confirm = Flag(load_default=False)
