"""An observation's elements, checked in plain Python (backend/core/events.py uses this).

An observation holds up to 200 elements; nested marshmallow schemas cost about as much per element
as per event, which made one observation cost as much as a hundred clicks (bench/observations.py).
The rules are the same as a TARGET's: backend/core/events.py's TAG_NAME, the ARIA roles, the label
limit, and a bid of "b" and digits.
"""

from __future__ import annotations

import re
from itertools import chain, repeat

from .aria import ARIA_ROLES
from .vocabulary import MAX_LABEL, MAX_TAG

BID = re.compile(r"b[0-9]{1,6}")
TAG = re.compile(rf"(?!.*\d{{6}})[a-z][a-z0-9-]{{0,{MAX_TAG - 1}}}")
STATES = frozenset(("checked", "selected", "expanded", "disabled"))
FIELDS = frozenset(("bid", "role", "tag", "label", "state", "box"))
BOX_LIMIT = 10**6
_STR_OR_NONE = frozenset((str, type(None)))
# BID and TAG over many values joined by newlines, one regex call for all of them.
_BIDS = re.compile(r"(?:b[0-9]{1,6}\n)*")
_TAGS = re.compile(rf"(?:(?![^\n]*\d{{6}})[a-z][a-z0-9-]{{0,{MAX_TAG - 1}}}\n)*")
_NO_STATE: dict = {}
_ESCAPED = re.compile(r'[\x00-\x1f"\\]')  # what JSON escapes in a string (ensure_ascii=False)
# An element's JSON without its strings' characters, at most: the keys, quotes and punctuation
# of all six fields (56), the largest box "[-1000000,...]" (37), the state's braces (2).
_ELEMENT_FRAME = 56 + 37 + 2
_STATE_ITEM = len(',"expanded":false')  # the longest state item, with its comma


def element_errors(raw: object) -> dict[str, list[str]]:
    """Return the errors of one element by field name (empty when it is valid)."""
    if not isinstance(raw, dict):
        return {"_schema": ["an element is an object"]}
    errors: dict[str, list[str]] = {}
    bid, tag, role, label = raw.get("bid"), raw.get("tag"), raw.get("role"), raw.get("label")
    if not (isinstance(bid, str) and BID.fullmatch(bid)):
        errors["bid"] = ['"b" and 1-6 digits']
    if not (isinstance(tag, str) and TAG.fullmatch(tag)):
        errors["tag"] = [f"an HTML tag name (lower case, at most {MAX_TAG})"]
    if role is not None and not (isinstance(role, str) and role in ARIA_ROLES):
        errors["role"] = ["a known ARIA role"]
    if label is not None and not (isinstance(label, str) and len(label) <= MAX_LABEL):
        errors["label"] = [f"text of at most {MAX_LABEL} characters"]
    state = raw.get("state", {})
    if not (
        isinstance(state, dict)
        and state.keys() <= STATES
        and all(isinstance(v, bool) for v in state.values())
    ):
        errors["state"] = ["checked, selected, expanded, disabled: true or false"]
    box = raw.get("box")
    if not (
        isinstance(box, list)
        and len(box) == 4
        and all(type(n) is int and -BOX_LIMIT <= n <= BOX_LIMIT for n in box)
    ):
        errors["box"] = ["[x, y, width, height]: 4 integers"]
    return errors


def clean_element(raw: dict) -> dict:
    """Return a valid element with only its known fields (unknown ones are dropped)."""
    out = {k: v for k, v in raw.items() if k in FIELDS and v is not None}
    out["state"] = dict(raw.get("state") or {})
    return out


def all_valid(elements: list) -> bool:
    """True when every element is valid: element_errors' rules, checked a field at a time.

    Each field of all elements is gathered in one comprehension and checked with C-level calls
    (map, set, min/max), about ten times faster than element by element. False means "look
    closer": element_errors then names the errors.
    """
    if not elements:
        return True
    try:
        if not set(map(type, elements)) <= {dict}:
            return False
        column = _column(elements)
        labels, states, boxes = column("label"), column("state", _NO_STATE), column("box")
        return (
            _all_match(_BIDS, column("bid"))
            and _all_match(_TAGS, column("tag"))
            and set(column("role")) - {None} <= ARIA_ROLES
            and set(map(type, labels)) <= _STR_OR_NONE
            and max(map(len, filter(None, labels)), default=0) <= MAX_LABEL
            and set(map(type, states)) <= {dict}
            and set().union(*states) <= STATES
            and set(map(type, chain.from_iterable(map(dict.values, states)))) <= {bool}
            and set(map(type, boxes)) <= {list}
            and set(map(len, boxes)) <= {4}
            and _boxes_in_range(list(chain.from_iterable(boxes)))
        )
    except TypeError:  # a bid or tag that is not a string, a role that is not hashable
        return False


def _column(elements: list[dict]):
    """column(name[, default]): that field of every element, gathered in C (map over dict.get)."""
    return lambda name, default=None: list(map(dict.get, elements, repeat(name), repeat(default)))


def _all_match(pattern: re.Pattern, values: list) -> bool:
    """True when each of `values` is a string matching one repetition of `pattern`'s group."""
    joined = "\n".join(values) + "\n"  # TypeError unless every value is a string
    return joined.count("\n") == len(values) and pattern.fullmatch(joined) is not None


def _boxes_in_range(numbers: list) -> bool:
    if not set(map(type, numbers)) <= {int}:
        return False
    return not numbers or (min(numbers) >= -BOX_LIMIT and max(numbers) <= BOX_LIMIT)


def clean_elements(elements: list[dict]) -> list[dict]:
    """clean_element for each valid element; elements that are already clean are kept as they
    are (they come from this frame's JSON parse and are not shared)."""
    if set().union(*elements) <= FIELDS and all(
        "state" in e and e.get("role", "") is not None and e.get("label", "") is not None
        for e in elements
    ):
        return elements
    return [clean_element(raw) for raw in elements]


def size_bound(elements: list[dict]) -> int | None:
    """An upper bound on the UTF-8 size of `elements` as compact JSON, or None when no cheap
    bound is known. For valid elements with only known fields (clean_elements kept them as they
    are): about 20 times cheaper than encoding them, and within 2x of the real size."""
    column = _column(elements)
    labels = "".join(filter(None, column("label")))
    if _ESCAPED.search(labels):
        return None  # escapes lengthen a label: count exactly
    strings = (
        "".join(column("bid")) + "".join(filter(None, column("role"))) + "".join(column("tag"))
    )
    state_items = sum(map(len, column("state", _NO_STATE)))
    return (
        2
        + len(elements) * (_ELEMENT_FRAME + 1)
        + state_items * _STATE_ITEM
        + len(strings)
        + len(labels.encode("utf-8", "surrogatepass"))
    )
