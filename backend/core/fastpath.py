"""Fast validators compiled from marshmallow schemas: the schemas stay the only definition.

`compile_schema(schema)` reads a schema's fields, their options and validators once and returns
`check(data)`: the dict that `schema.load(data)` would return, or `None` when the fast path
cannot vouch for the input. `None` is never an error: the caller then runs marshmallow itself,
which accepts or gives the typed error. The fast path therefore only has to be right about what
it accepts, and it accepts only plain JSON values of the expected type (str, int without bool,
dict, list, canonical lower-case UUID text); anything else (and any field type, option or hook
it does not know) goes to marshmallow.

Validators are honoured as marshmallow runs them: `Length`, `Range`, `OneOf` and `Regexp` are
compiled to the same comparisons, any other validator (a function of the schema module, say) is
called as it is, and a failure of any of them means `None`. Field-level `pre_load`/`post_load`
functions run in marshmallow's order, and the schema's `validates_schema` methods run on the
converted result as marshmallow runs them (with the original input where they ask for it). A
schema with other load hooks (`pre_load`, `post_load`, `validates`) is not compiled: its check
always answers `None`. A field type the compiler does not know is deserialised by the field
itself, exactly as marshmallow would.

`tests/unit/test_fastpath.py` generates valid and invalid inputs with hypothesis and checks that
both paths accept and reject the same inputs with identical output.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate
from marshmallow.decorators import VALIDATES_SCHEMA
from marshmallow.utils import missing

# A UUID written as `str(uuid.UUID(...))` writes it: marshmallow turns it into the same UUID.
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class _Decline(Exception):
    """The fast path cannot vouch for this input: marshmallow decides."""


Converter = Callable[[Any], Any]

# Field types compiled to plain comparisons; any other type deserialises values itself.
KNOWN_FIELDS = frozenset(
    {
        fields.Constant,
        fields.Raw,
        fields.String,
        fields.Integer,
        fields.Boolean,
        fields.UUID,
        fields.Nested,
        fields.List,
    }
)


class Unsupported(Exception):
    """A field type, option or hook the compiler does not know."""


def compile_schema(schema: Schema) -> Callable[[Any], dict | None]:
    """Return `check(data)`: `schema.load(data)`'s result, or None to let marshmallow decide."""
    try:
        load = _compile(schema)
    except Unsupported:
        return lambda data: None

    def check(data: Any) -> dict | None:
        try:
            return load(data)
        except (_Decline, ValidationError):  # ValidationError: from a field's pre/post_load
            return None

    check.compiled = True  # type: ignore[attr-defined]
    return check


# Hooks that only touch serialisation: loading never runs them.
DUMP_HOOKS = frozenset({"pre_dump", "post_dump"})


def _compile(schema: Schema, unknown: str | None = None) -> Converter:
    hooks = getattr(schema, "_hooks", {})
    other = [tag for tag in hooks if hooks[tag] and tag not in DUMP_HOOKS | {VALIDATES_SCHEMA}]
    if other:
        raise Unsupported(f"{type(schema).__name__} has {other[0]} hooks")
    unknown = unknown or schema.unknown
    if unknown not in (EXCLUDE, RAISE):
        raise Unsupported(f"unknown={unknown!r}")
    validators = _schema_validators(schema, hooks.get(VALIDATES_SCHEMA, ()), unknown)
    plan = []
    for attr, field in schema.load_fields.items():
        key = field.data_key if field.data_key is not None else attr
        plan.append((key, attr, _field(field), field.required, field.load_default))
    known = frozenset(key for key, *_ in plan)

    def load(data: Any) -> dict:
        if type(data) is not dict:
            raise _Decline
        if unknown == RAISE and not known.issuperset(data):
            raise _Decline
        out = {}
        for key, attr, convert, required, default in plan:
            value = data.get(key, missing)
            if value is missing:
                if required:
                    raise _Decline
                if default is not missing:
                    out[attr] = default() if callable(default) else default
                continue
            out[attr] = convert(value)
        for validator in validators:
            validator(out, data)
        return out

    return load


def _schema_validators(schema: Schema, hooks, unknown: str) -> list[Callable[[dict, Any], None]]:
    """Return the schema's `validates_schema` methods, called as marshmallow calls them on load.

    Fields that passed the fast path have no errors, so `skip_on_field_errors` does not matter;
    a validator's ValidationError means the input is not valid and the fast path declines.
    """
    context = {"partial": schema.partial, "many": False, "unknown": unknown}
    out = []
    for attr_name, pass_collection, options in hooks:
        if pass_collection:
            raise Unsupported("validates_schema(pass_collection=True)")
        method = getattr(schema, attr_name)
        if options.get("pass_original", False):
            out.append(lambda data, original, m=method: m(data, original, **context))
        else:
            out.append(lambda data, original, m=method: m(data, **context))
    return out


def _field(field: fields.Field) -> Converter:
    """Return a converter doing what `field.deserialize` does for a present value."""
    if type(field) not in KNOWN_FIELDS:
        if isinstance(field, (fields.Method, fields.Function)):
            raise Unsupported(f"field type {type(field).__name__}")  # they read the whole input

        # A project field type (say, a Field subclass with its own _deserialize): the field
        # deserialises the value itself, exactly as marshmallow does; its error means "decline".
        def own(value: Any) -> Any:
            return field.deserialize(value, field.name, None)

        return own
    convert = _type(field)
    checks = [_validator(v) for v in field.validators]
    pre, post = list(field.pre_load), list(field.post_load)
    allow_none = field.allow_none

    def run(value: Any) -> Any:
        if value is None and not allow_none:
            raise _Decline
        for func in pre:
            value = func(value)
        if value is None and allow_none:
            return None
        out = convert(value)
        for check in checks:
            check(out)
        for func in post:
            out = func(out)
        return out

    return run


# Field types whose loaded value is the JSON value itself, when it has exactly this Python type
# (so neither True for an Integer nor "7" for an Integer: marshmallow decides those).
EXACT_TYPES = {fields.String: str, fields.Integer: int, fields.Boolean: bool}


def _exactly(python_type: type) -> Converter:
    def check(value: Any) -> Any:
        if type(value) is not python_type:
            raise _Decline
        return value

    return check


def _type(field: fields.Field) -> Converter:
    """Return the type check and conversion of `field` (its `_deserialize`)."""
    kind = type(field)
    if kind is fields.Constant:
        constant = field.constant
        return lambda value: constant
    if kind is fields.Raw:
        return lambda value: value
    if kind in EXACT_TYPES:
        return _exactly(EXACT_TYPES[kind])
    if kind is fields.UUID:

        def uuid_(value):
            if type(value) is not str or not CANONICAL_UUID.fullmatch(value):
                raise _Decline
            return uuid.UUID(value)

        return uuid_
    if kind is fields.Nested:
        if field.many or field.only or field.exclude or getattr(field, "partial", None):
            raise Unsupported("Nested with many/only/exclude/partial")
        return _compile(field.schema, field.unknown)
    if kind is fields.List:
        inner = _field(field.inner)

        def list_(value):
            if type(value) is not list:
                raise _Decline
            return [inner(item) for item in value]

        return list_
    raise Unsupported(f"field type {kind.__name__}")


def _validator(v: Callable) -> Callable[[Any], None]:
    """Return a check that raises _Decline where validator `v` would fail."""
    kind = type(v)
    if kind is validate.Length:
        low, high, equal = v.min, v.max, v.equal

        def length(value):
            n = len(value)
            if equal is not None:
                if n != equal:
                    raise _Decline
            elif (low is not None and n < low) or (high is not None and n > high):
                raise _Decline

        return length
    if kind is validate.Range:
        low, high = v.min, v.max
        low_in, high_in = v.min_inclusive, v.max_inclusive

        def range_(value):
            if low is not None and (value < low if low_in else value <= low):
                raise _Decline
            if high is not None and (value > high if high_in else value >= high):
                raise _Decline

        return range_
    if kind is validate.OneOf:
        try:
            choices = frozenset(v.choices)
        except TypeError:
            return _called(v)

        def one_of(value):
            try:
                if value not in choices:
                    raise _Decline
            except TypeError:  # an unhashable value is not a choice either
                raise _Decline from None

        return one_of
    if kind is validate.Regexp:
        match = v.regex.match

        def regexp(value):
            if match(value) is None:
                raise _Decline

        return regexp
    return _called(v)


def _called(v: Callable) -> Callable[[Any], None]:
    """Run a validator as marshmallow does: an error or a False result fails."""

    def call(value):
        try:
            result = v(value)
        except ValidationError:
            raise _Decline from None
        if result is False:
            raise _Decline

    return call
