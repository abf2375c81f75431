"""Event and frame schemas: every type validates, every bad field gets a typed code."""

import uuid

import pytest
from marshmallow import Schema, ValidationError, fields

from backend import schemas
from backend.core.clock import now_ms
from backend.core.events import EventRejected, Flag, validate_event
from backend.core.vocabulary import CATEGORY_OF
from backend.schemas import (
    ConsentSchema,
    EventsFrameSchema,
    HelloSchema,
    PauseRequestSchema,
    PolicySchema,
)
from tests.helpers import EPISODE, make_event


@pytest.mark.parametrize("kind", sorted(CATEGORY_OF))
def test_every_event_type_validates(kind):
    """A well-formed event of each type comes back with its wire field names."""
    event = make_event(kind)
    cleaned = validate_event(event)
    assert cleaned["id"] == event["id"] and cleaned["type"] == kind
    if kind == "route_change":
        assert cleaned["from"] == event["from"]
    if kind == "submit":
        assert cleaned["fields"] == 3


def rejected(event) -> EventRejected:
    with pytest.raises(EventRejected) as info:
        validate_event(event)
    return info.value


def test_unknown_type_is_typed():
    """An unknown type is rejected as unknown_type, not as a generic error."""
    assert rejected({**make_event(), "type": "keystroke"}).code == "unknown_type"


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("keystroke", "unknown event type 'keystroke'"),
        ("None", "unknown event type 'None'"),
        (None, "must be a string, got null"),
        (5, "must be a string, got 5"),
        (["click"], 'must be a string, got ["click"]'),
        ("absent", "Missing data for required field."),
    ],
)
def test_unknown_type_says_what_was_sent(kind, message):
    """A missing or non-string `type` is told apart from the string "None" (all were
    "unknown event type 'None'" or the repr of a Python value)."""
    event = make_event()
    if kind == "absent":
        del event["type"]
    else:
        event["type"] = kind
    err = rejected(event)
    assert (err.code, err.errors) == ("unknown_type", {"type": [message]})


def test_non_object_event():
    """An event that is not an object is an invalid_event."""
    assert rejected(["click"]).code == "invalid_event"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"ts": "1700000000000"}, "ts"),
        ({"url": ""}, "url"),
        ({"url": "https://x/" + "a" * 3000}, "url"),
        ({"target": {"selector": "#a"}}, "target"),
        ({"target": {"selector": "#a", "tag": "a", "label": "x" * 81}}, "target"),
        ({"title": "t" * 301}, "title"),
    ],
)
def test_bad_fields_name_the_field(change, field):
    """Missing, mistyped and oversized fields are rejected naming the field."""
    err = rejected({**make_event("click"), **change})
    assert err.code == "invalid_event" and field in err.errors


def test_scroll_depth_is_bounded():
    """Scroll depth is a percentage."""
    assert rejected(make_event("scroll", depth=101)).code == "invalid_event"


def test_identity_in_payload_is_ignored():
    """employee/team in an event are dropped: identity comes from the token only."""
    cleaned = validate_event({**make_event(), "employee": "mallory", "team": "root"})
    assert "employee" not in cleaned and "team" not in cleaned


def test_unknown_fields_do_not_pass_through():
    """Fields outside the contract (e.g. a typed value) never reach the queue."""
    cleaned = validate_event({**make_event("input_activity"), "value": "hunter2"})
    assert "value" not in cleaned


def test_timestamps_far_in_future_or_past():
    """Clock skew beyond 5 minutes ahead or events older than 7 days are refused, typed."""
    assert rejected(make_event(ts=now_ms() + 10 * 60 * 1000)).code == "future_timestamp"
    assert rejected(make_event(ts=now_ms() - 8 * 24 * 3600 * 1000)).code == "stale_timestamp"
    assert validate_event(make_event(ts=now_ms() - 6 * 24 * 3600 * 1000))


def test_events_frame_is_bounded():
    """An events frame holds at most 100 events and needs an integer seq."""
    with pytest.raises(ValidationError) as info:
        EventsFrameSchema().load({"type": "events", "seq": 1, "events": [{}] * 101})
    assert "events" in info.value.messages
    with pytest.raises(ValidationError):
        EventsFrameSchema().load({"type": "events", "seq": "1", "events": []})


def test_hello_defaults():
    """hello needs a token; signals and dropped default to off and zero."""
    hello = HelloSchema().load({"type": "hello", "token": "ovt_x"})
    assert hello["signals"] == {"gpc": False, "dnt": False} and hello["dropped"] == 0
    with pytest.raises(ValidationError):
        HelloSchema().load({"type": "hello"})


@pytest.mark.parametrize(
    "scope, expected",
    [
        ("all", {"all": True}),
        ({"team": "t"}, {"team": "t"}),
        ({"employee": "e"}, {"employee": "e"}),
    ],
)
def test_pause_scopes(scope, expected):
    """Pause scopes normalise to one dict shape."""
    assert PauseRequestSchema().load({"scope": scope, "reason": "r"})["scope"] == expected


@pytest.mark.parametrize("scope", ["some", {"team": ""}, {"team": "a", "employee": "b"}, {"x": 1}])
def test_bad_pause_scopes(scope):
    """Anything else is a validation error on scope."""
    with pytest.raises(ValidationError) as info:
        PauseRequestSchema().load({"scope": scope, "reason": "r"})
    assert "scope" in info.value.messages


def test_policy_origins_are_origins():
    """Allowed origins are scheme://host[:port], without a path."""
    body = {"categories": ["clicks"], "purpose": "p", "retention_days": 5}
    assert PolicySchema().load({**body, "allowed_origins": ["http://127.0.0.1:8000"]})
    with pytest.raises(ValidationError):
        PolicySchema().load({**body, "allowed_origins": ["https://app.example.com/path"]})


@pytest.mark.parametrize(
    "origin, says",
    [
        ("https://a.com:99999", "1-65535"),
        ("https://a.com:0", "1-65535"),
        ("https://a.com:", "empty port"),
        ("https://user:pw@a.com", "no user name or password"),
        ("https://a.com@evil.example", "no user name or password"),
        ("HTTPS://A.COM", "lower-case, as browsers write them: https://a.com"),
        ("https://App.Example.com", "lower-case"),
        ("https://a.com:443", "browsers write this origin https://a.com"),
        ("http://a.com:80", "browsers write this origin http://a.com"),
        ("https://a..com", "not a host name"),
        ("ftp://a.com", "scheme://host[:port]"),
    ],
)
def test_policy_origins_a_browser_could_never_send(origin, says):
    """An origin no browser writes (bad port, user info, capitals, default port) is refused,
    saying why: it could never match an event's URL."""
    body = {"categories": ["clicks"], "purpose": "p", "retention_days": 5}
    with pytest.raises(ValidationError) as info:
        PolicySchema().load({**body, "allowed_origins": [origin]})
    (message,) = info.value.messages["allowed_origins"][0]
    assert says in message, message


def test_policy_origins_browsers_write():
    """Hosts, IPv4 and IPv6 addresses, with a port other than the default, are origins."""
    body = {"categories": ["clicks"], "purpose": "p", "retention_days": 5}
    origins = ["https://app.example.com", "http://localhost:5173", "http://[::1]:8080"]
    assert PolicySchema().load({**body, "allowed_origins": origins})["allowed_origins"] == origins


def test_uuid_ids_round_trip_as_strings():
    """Ids stay strings on the wire."""
    event_id = str(uuid.uuid4())
    assert validate_event(make_event(id=event_id))["id"] == event_id


def test_target_role_and_tag_are_not_free_text():
    """role must be a known ARIA role and tag an HTML tag name: free text is a typed rejection."""
    import time
    import uuid

    import pytest

    from backend.core.events import EventRejected, validate_event

    def click(**target):
        return {
            "id": str(uuid.uuid4()),
            "type": "click",
            "ts": int(time.time() * 1000),
            "url": "https://app.example.com/",
            "target": {"selector": "#a", "tag": "button", **target},
            **EPISODE,
        }

    assert validate_event(click(role="button", tag="my-widget"))["target"]["role"] == "button"
    for bad in (
        {"role": "jane@corp.example"},
        {"role": "12345678"},
        {"tag": "jane@corp"},
        {"tag": "x1234567"},
        {"tag": "BUTTON"},
        {"tag": "a" * 40},
    ):
        with pytest.raises(EventRejected) as err:
            validate_event(click(**bad))
        assert err.value.code == "invalid_event" and "target" in err.value.errors


NOT_BOOLEANS = ["yes", "on", "true", "no", "false", 1, 0, None, [], {}]


@pytest.mark.parametrize("value", NOT_BOOLEANS)
def test_request_booleans_are_json_true_or_false_only(value):
    """ "yes", "on", 1, "false", 0 ... are refused naming the field: never read as true or false."""
    loads = [
        (PauseRequestSchema(), {"scope": "all", "reason": "r", "purge": value}, "purge"),
        (ConsentSchema(), {"categories": {"clicks": True}, "confirm": value}, "confirm"),
        (ConsentSchema(), {"categories": {"clicks": value}}, "categories"),
        (HelloSchema(), {"type": "hello", "token": "ovt_x", "signals": {"gpc": value}}, "signals"),
        (HelloSchema(), {"type": "hello", "token": "ovt_x", "signals": {"dnt": value}}, "signals"),
    ]
    for schema, body, field in loads:
        with pytest.raises(ValidationError) as info:
            schema.load(body)
        assert field in info.value.messages, (body, info.value.messages)


def test_request_booleans_accept_json_true_and_false():
    """A real true or false loads as itself."""
    assert ConsentSchema().load({"categories": {"clicks": True, "scroll": False}, "confirm": True})
    hello = HelloSchema().load({"type": "hello", "token": "t", "signals": {"gpc": True}})
    assert hello["signals"] == {"gpc": True, "dnt": False}
    assert (
        PauseRequestSchema().load({"scope": "all", "reason": "r", "purge": False})["purge"] is False
    )


def test_scope_all_needs_a_real_true():
    """{"all": 1} is not the scope {"all": true}."""
    with pytest.raises(ValidationError):
        PauseRequestSchema().load({"scope": {"all": 1}, "reason": "r"})


def _boolean_fields(schema: Schema):
    for field in schema.fields.values():
        if isinstance(field, fields.Nested):
            yield from _boolean_fields(field.schema)
        for inner in (field, getattr(field, "value_field", None), getattr(field, "inner", None)):
            if isinstance(inner, fields.Boolean):
                yield inner


def test_every_boolean_of_a_request_schema_is_strict():
    """No schema of backend/schemas.py uses marshmallow's lenient Boolean."""
    found = []
    for name in dir(schemas):
        cls = getattr(schemas, name)
        if isinstance(cls, type) and issubclass(cls, Schema) and cls.__module__ == schemas.__name__:
            found.extend((name, type(f)) for f in _boolean_fields(cls()))
    assert found and all(kind is Flag for _, kind in found), found
