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
    """Return whether containers nest deeper than `max_depth` (iteratively: no recursion)."""
    level = [value]
    for _ in range(max_depth):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def find_bad_string(value: object, skip: frozenset[str] = frozenset()) -> str | None:
    """Return the path of the first string (key or value) holding a lone surrogate, or None.

    Top-level keys in `skip` are not looked into (their items are checked one by one elsewhere).
    """
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
