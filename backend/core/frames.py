"""Parse untrusted JSON into plain data, or fail with a typed code (no Flask here).

Every WebSocket frame and every HTTP body goes through `parse_json`, so hostile input is refused
the same way everywhere: too deep, not JSON, non-finite numbers, or strings that cannot be stored
(lone UTF-16 surrogates, which JSON allows as `\\ud800` but UTF-8 cannot encode).
"""

from __future__ import annotations

import json
import math
import re

# Frames and bodies nest a few levels (frame > events > event > target); 32 leaves room.
MAX_DEPTH = 32
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# The JSON escape of a surrogate, paired or not (a pair is fine, but rare enough to check).
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class BadInputError(ValueError):
    """Input refused before any processing; `code` is the typed reason."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _no_constant(name: str):
    raise BadInputError("bad_json", f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadInputError("bad_json", "a number is too large")
    return value


def parse_json(data: str | bytes, max_depth: int = MAX_DEPTH) -> object:
    """Return the parsed JSON; raise BadInputError (bad_json, too_deep) otherwise."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInputError("bad_json", "the body is not UTF-8 text") from None
    try:
        value = json.loads(data, parse_constant=_no_constant, parse_float=_finite_float)
    except BadInputError:
        raise
    except RecursionError:  # the C parser guards its own recursion
        raise BadInputError("too_deep", f"JSON nested deeper than {max_depth} levels") from None
    except ValueError:  # JSONDecodeError, and int() refusing a number of more than 4300 digits
        raise BadInputError("bad_json", "not valid JSON") from None
    if _depth_exceeds(value, max_depth):
        raise BadInputError("too_deep", f"JSON nested deeper than {max_depth} levels")
    return value


def _depth_exceeds(value: object, max_depth: int) -> bool:
    """Return whether containers nest deeper than `max_depth` (iteratively: no recursion).

    Level by level; a container's children are typed in C (`set(map(type, ...))`), so one that
    holds only scalars (most of an event's fields) or only containers (a frame's events) is not
    walked item by item in Python. `json.loads` makes exact dicts and lists, never subclasses.
    """
    level = [value]
    for _ in range(max_depth):
        deeper: list = []
        for item in level:
            if type(item) is dict:
                item = item.values()
            elif type(item) is not list:
                continue
            kinds = set(map(type, item))
            if kinds <= _CONTAINERS:
                deeper.extend(item)
            elif not kinds.isdisjoint(_CONTAINERS):
                deeper.extend(child for child in item if type(child) in _CONTAINERS)
        if not deeper:
            return False
        level = deeper
    return True


_CONTAINERS = frozenset({dict, list})


def _encodes(value: object) -> bool:
    """Return whether `value` encodes as UTF-8 JSON (False also when it is not JSON at all)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError):
        return False
    return True


def may_hold_lone_surrogate(text: str) -> bool:
    """Return False when no string `json.loads(text)` gives can hold a lone surrogate.

    A parsed string gets one only from a surrogate escape (`\\ud800`) or from a surrogate in the
    text itself; text with neither needs no `find_bad_string` walk of what it parses to. One
    search of the frame's text in C instead of an encoding of each event.
    """
    if "\\u" in text and SURROGATE_ESCAPE.search(text):
        return True
    return not text.isascii() and LONE_SURROGATE.search(text) is not None


def find_bad_string(value: object, skip: frozenset[str] = frozenset()) -> str | None:
    """Return the path of the first string (key or value) holding a lone surrogate, or None.

    Top-level keys in `skip` are not looked into (their items are checked one by one elsewhere).
    """
    if not skip and _encodes(value):
        return None  # the common case, in C: an observation's 200 elements cost no Python walk
    stack: list[tuple[str, object, bool]] = [("", value, True)]
    while stack:
        path, item, top = stack.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                return path or "$"
        elif isinstance(item, dict):
            for k, v in item.items():
                if LONE_SURROGATE.search(k):
                    return f"{path}.<key>"
                if not (top and k in skip):
                    stack.append((f"{path}.{k}", v, False))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", v, False) for i, v in enumerate(item))
    return None
