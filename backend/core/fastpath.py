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

Each schema becomes one generated Python function (`_Generator`): the fields' type checks and
validators are inline comparisons, not a function call and a closure per field, so a valid
event costs a few attribute-free comparisons per field. `compile_schema(schema, wire=...)` also
gives `check.wire`: the same check returning the result in its wire form (`WireForm`), so a
caller that would rename fields and turn UUIDs back into text afterwards gets that in the same
pass.

`tests/unit/test_fastpath.py` generates valid and invalid inputs with hypothesis and checks that
both paths accept and reject the same inputs with identical output;
`tests/unit/test_fastpath_wire.py` does the same for the wire form.
"""

from __future__ import annotations

import functools
import operator
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate
from marshmallow.decorators import VALIDATES_SCHEMA
from marshmallow.utils import missing

# A UUID written as `str(uuid.UUID(...))` writes it: marshmallow turns it into the same UUID.
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class _Decline(Exception):
    """The fast path cannot vouch for this input: marshmallow decides."""


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
# Field types whose loaded value is the JSON value itself, when it has exactly this Python type
# (so neither True for an Integer nor "7" for an Integer: marshmallow decides those).
EXACT_TYPES = {fields.String: str, fields.Integer: int, fields.Boolean: bool}


_new, _set, _UNKNOWN_SAFETY = object.__new__, object.__setattr__, uuid.SafeUUID.unknown


def _uuid_of(text: str) -> uuid.UUID:
    """Return `uuid.UUID(text)` for canonical UUID text, built as its `__init__` builds it
    (its two slots) without parsing the other forms it accepts: half the time."""
    value = _new(uuid.UUID)
    _set(value, "int", int(text.replace("-", ""), 16))
    _set(value, "is_safe", _UNKNOWN_SAFETY)
    return value


class Unsupported(Exception):
    """A field type, option or hook the compiler does not know."""


@dataclass(frozen=True)
class WireForm:
    """How a loaded result becomes its wire form, at the top level only.

    Fields named in `rename` take the new name in place; the fields in `as_text` (UUIDs) become
    `str(value)`; then every field whose value is None is left out.
    """

    rename: Mapping[str, str] = dataclass_field(default_factory=dict)
    as_text: frozenset[str] = frozenset()


def compile_schema(schema: Schema, wire: WireForm | None = None) -> Callable[[Any], dict | None]:
    """Return `check(data)`: `schema.load(data)`'s result, or None to let marshmallow decide.

    With `wire`, `check.wire(data)` returns that result in its wire form (or None likewise).
    """
    try:
        check = _Generator().compile(schema, None)
        check_wire = _Generator().compile(schema, wire) if wire is not None else None
    except Unsupported:
        return lambda data: None
    check.compiled = True  # type: ignore[attr-defined]
    if check_wire is not None:
        check.wire = check_wire  # type: ignore[attr-defined]
    return check


# Hooks that only touch serialisation: loading never runs them.
DUMP_HOOKS = frozenset({"pre_dump", "post_dump"})


class _Generator:
    """Writes one Python function per schema (nested ones included) and compiles them."""

    def __init__(self):
        self.ns: dict[str, Any] = {
            "_Decline": _Decline,
            "ValidationError": ValidationError,
            "missing": missing,
            "_UUID": _uuid_of,
            "_uuid_text": CANONICAL_UUID.fullmatch,
            "_is_none": functools.partial(operator.is_, None),
        }
        self.sources: list[str] = []
        self.count = 0

    def compile(self, schema: Schema, wire: WireForm | None) -> Callable[[Any], dict | None]:
        """Return `check(data)` for `schema`: the loaded dict or None."""
        top = self.schema(schema, None, wire)
        self.sources.append(
            "def check(data):\n"
            "    try:\n"
            f"        return {top}(data)\n"
            "    except (_Decline, ValidationError):\n"
            "        return None\n"
        )
        check = self.run(schema)["check"]
        check.source = "\n".join(self.sources)
        return check

    def run(self, owner: object) -> dict[str, Any]:
        source = "\n".join(self.sources)
        exec(compile(source, f"<fastpath {type(owner).__name__}>", "exec"), self.ns)
        return self.ns

    def name(self, prefix: str, value: Any = None) -> str:
        """Return a fresh global name of the generated code, bound to `value`."""
        self.count += 1
        name = f"_{prefix}{self.count}"
        self.ns[name] = value
        return name

    def constant(self, value: Any) -> str:
        """Return a literal for ints, strings and None, else a global name bound to `value`."""
        if value is None or type(value) in (int, str, bool):
            return repr(value)
        return self.name("c", value)

    def schema(self, schema: Schema, unknown: str | None, wire: WireForm | None) -> str:
        """Write the function loading `schema`; return its name."""
        hooks = getattr(schema, "_hooks", {})
        other = [t for t in hooks if hooks[t] and t not in DUMP_HOOKS | {VALIDATES_SCHEMA}]
        if other:
            raise Unsupported(f"{type(schema).__name__} has {other[0]} hooks")
        unknown = unknown or schema.unknown
        if unknown not in (EXCLUDE, RAISE):
            raise Unsupported(f"unknown={unknown!r}")
        validators = _schema_validators(schema, hooks.get(VALIDATES_SCHEMA, ()))
        plan = []
        for attr, fld in schema.load_fields.items():
            key = fld.data_key if fld.data_key is not None else attr
            plan.append((key, attr, fld))
        fname = self.name("load")
        lines = [
            f"def {fname}(data):",
            "    if type(data) is not dict:",
            "        raise _Decline",
        ]
        if unknown == RAISE:
            known = self.name("known", frozenset(key for key, _, _ in plan))
            lines += [f"    if not {known}.issuperset(data):", "        raise _Decline"]
        as_text = wire.as_text if wire else frozenset()
        texts = [attr for _, attr, fld in plan if attr in as_text and type(fld) is fields.UUID]
        lines += [f"    t_{i} = None" for i, _ in enumerate(texts)]
        lines.append("    out = {}")
        for key, attr, fld in plan:
            text_var = f"t_{texts.index(attr)}" if attr in texts else None
            lines += self.field_lines(key, attr, fld, text_var)
        # Called as marshmallow calls them on load (the original input where they ask for it).
        context = f"partial={self.constant(schema.partial)}, many=False, unknown={unknown!r}"
        for method, pass_original in validators:
            args = "out, data" if pass_original else "out"
            lines.append(f"    {self.name('sv', method)}({args}, {context})")
        if wire is not None:
            lines += self.wire_lines(plan, wire, texts)
        lines.append("    return out")
        self.sources.append("\n".join(lines) + "\n")
        return fname

    def field_lines(self, key: str, attr: str, fld: fields.Field, text_var: str | None) -> list:
        """Lines loading one field: absent (required, default) or present (checked)."""
        out = [f"    v = data.get({key!r}, missing)", "    if v is missing:"]
        if fld.required:
            out.append("        raise _Decline")
        elif fld.load_default is not missing:
            default = fld.load_default
            value = f"{self.name('d', default)}()" if callable(default) else self.constant(default)
            out.append(f"        out[{attr!r}] = {value}")
        else:
            out.append("        pass")
        out.append("    else:")

        def store(value: str) -> str:
            return f"out[{attr!r}] = {value}"

        out += ["        " + line for line in self.value_lines(fld, store, text_var)]
        return out

    def value_lines(self, fld: fields.Field, store, text_var: str | None) -> list[str]:
        """Lines that check the present value `v` and store the loaded value (`store(expr)`
        writes the line that stores `expr`)."""
        kind = type(fld)
        if kind not in KNOWN_FIELDS:
            return [store(f"{self.name('own', _own(fld))}(v)")]
        lines = []
        exact = EXACT_TYPES.get(kind)
        pre, post = list(fld.pre_load), list(fld.post_load)
        # None is refused before the field's pre_load functions run (exact types refuse it
        # with their type check anyway), and after them it loads as None where allowed.
        if not fld.allow_none and (exact is None or pre):
            lines += ["if v is None:", "    raise _Decline"]
        lines += [f"v = {self.name('pre', func)}(v)" for func in pre]
        indent = ""
        if fld.allow_none:
            lines += ["if v is None:", f"    {store('None')}", "else:"]
            indent = "    "
        body = self.convert_lines(fld, kind, exact, text_var)
        body += self.validator_lines(fld.validators, hashable=exact is not None)
        body += [f"x = {self.name('post', func)}(x)" for func in post]
        body.append(store("x"))
        return lines + [indent + line for line in body]

    def item_function(self, fld: fields.Field) -> str:
        """Write a function loading one item of a List (`fld` is its inner field)."""
        fname = self.name("item")
        body = self.value_lines(fld, lambda value: f"return {value}", None)
        self.sources.append(f"def {fname}(v):\n" + "".join(f"    {line}\n" for line in body))
        return fname

    def convert_lines(self, fld, kind, exact, text_var: str | None) -> list[str]:
        """Lines that check the type of `v` and set `x` to the loaded value."""
        if exact is not None:
            return [f"if type(v) is not {exact.__name__}:", "    raise _Decline", "x = v"]
        if kind is fields.Constant:
            return [f"x = {self.constant(fld.constant)}"]
        if kind is fields.Raw:
            return ["x = v"]
        if kind is fields.UUID:
            lines = ["if type(v) is not str or _uuid_text(v) is None:", "    raise _Decline"]
            lines.append("x = _UUID(v)")
            if text_var:
                lines.append(f"{text_var} = v")  # canonical text: str(UUID(v)) == v
            return lines
        if kind is fields.Nested:
            if fld.many or fld.only or fld.exclude or getattr(fld, "partial", None):
                raise Unsupported("Nested with many/only/exclude/partial")
            return [f"x = {self.schema(fld.schema, fld.unknown, None)}(v)"]
        if kind is fields.List:
            lines = ["if type(v) is not list:", "    raise _Decline"]
            inner = fld.inner
            if type(inner) is fields.Raw and not (
                inner.validators or inner.pre_load or inner.post_load
            ):  # a frame's events: a copy of the list, without a call per item
                if inner.allow_none:
                    return [*lines, "x = list(v)"]
                return [*lines, "if any(map(_is_none, v)):", "    raise _Decline", "x = list(v)"]
            return [*lines, f"x = [{self.item_function(inner)}(item) for item in v]"]
        raise Unsupported(f"field type {kind.__name__}")

    def validator_lines(self, validators, hashable: bool) -> list[str]:
        """Lines raising _Decline where a validator of the field would fail on `x`."""
        lines = []
        for v in validators:
            kind = type(v)
            if kind is validate.Length:
                if v.equal is not None:
                    cond = f"len(x) != {self.constant(v.equal)}"
                else:
                    parts = []
                    if v.min is not None:
                        parts.append(f"n < {self.constant(v.min)}")
                    if v.max is not None:
                        parts.append(f"n > {self.constant(v.max)}")
                    if not parts:
                        lines.append("len(x)")  # marshmallow calls len(): a TypeError declines
                        continue
                    lines.append("n = len(x)")
                    cond = " or ".join(parts)
            elif kind is validate.Range:
                parts = []
                if v.min is not None:
                    parts.append(f"x {'<' if v.min_inclusive else '<='} {self.constant(v.min)}")
                if v.max is not None:
                    parts.append(f"x {'>' if v.max_inclusive else '>='} {self.constant(v.max)}")
                if not parts:
                    continue
                cond = " or ".join(parts)
            elif kind is validate.OneOf and _hashable_choices(v):
                choices = self.name("choices", frozenset(v.choices))
                if not hashable:  # an unhashable value is not a choice either
                    lines += [
                        "try:",
                        f"    if x not in {choices}:",
                        "        raise _Decline",
                        "except TypeError:",
                        "    raise _Decline from None",
                    ]
                    continue
                cond = f"x not in {choices}"
            elif kind is validate.Regexp:
                cond = f"{self.name('re', v.regex.match)}(x) is None"
            else:
                lines.append(f"{self.name('call', _called(v))}(x)")
                continue
            lines += [f"if {cond}:", "    raise _Decline"]
        return lines

    def wire_lines(self, plan, wire: WireForm, texts: list[str]) -> list[str]:
        """Lines turning `out` into its wire form in place, keeping marshmallow's key order."""
        lines = []
        for i, attr in enumerate(texts):
            lines += [f"    if t_{i} is not None:", f"        out[{attr!r}] = t_{i}"]
        for _, attr, fld in plan:
            if _may_be_none(fld):
                lines += [
                    f"    if {attr!r} in out and out[{attr!r}] is None:",
                    f"        del out[{attr!r}]",
                ]
        renamed = [attr for _, attr, _ in plan if attr in wire.rename]
        if renamed == [plan[-1][1]]:  # the last field: re-inserting it keeps the order
            attr = renamed[0]
            lines += [
                f"    if {attr!r} in out:",
                f"        out[{wire.rename[attr]!r}] = out.pop({attr!r})",
            ]
        elif renamed:
            names = self.name("rename", dict(wire.rename))
            lines.append(f"    out = {{{names}.get(k, k): v for k, v in out.items()}}")
        return lines


def _may_be_none(fld: fields.Field) -> bool:
    """Whether a loaded field's value can be None (a wire form leaves such a field out)."""
    kind = type(fld)
    if kind not in KNOWN_FIELDS or fld.pre_load or fld.post_load or fld.allow_none:
        return True
    if fld.load_default is None or callable(fld.load_default):
        return True
    return kind is fields.Constant and fld.constant is None


def _hashable_choices(v: validate.OneOf) -> bool:
    try:
        frozenset(v.choices)
    except TypeError:
        return False
    return True


def _schema_validators(schema: Schema, hooks) -> list[tuple[Callable, bool]]:
    """Return the schema's `validates_schema` methods and whether each takes the original input.

    Fields that passed the fast path have no errors, so `skip_on_field_errors` does not matter;
    a validator's ValidationError means the input is not valid and the fast path declines.
    """
    out = []
    for attr_name, pass_collection, options in hooks:
        if pass_collection:
            raise Unsupported("validates_schema(pass_collection=True)")
        out.append((getattr(schema, attr_name), options.get("pass_original", False)))
    return out


def _own(field: fields.Field) -> Callable[[Any], Any]:
    """Return a function deserialising a value as a field of a type the compiler does not know.

    A project field type (a Field subclass with its own _deserialize, say) deserialises the value
    itself, exactly as marshmallow does; its error means "decline".
    """
    if isinstance(field, (fields.Method, fields.Function)):
        raise Unsupported(f"field type {type(field).__name__}")  # they read the whole input

    def own(value: Any) -> Any:
        return field.deserialize(value, field.name, None)

    return own


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
