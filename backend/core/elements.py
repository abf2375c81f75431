"""An observation's elements, checked in plain Python (backend/core/events.py uses this).

An observation holds up to 200 elements; nested marshmallow schemas cost about as much per element
as per event, which made one observation cost as much as a hundred clicks (bench/observations.py).
The rules are the same as a TARGET's: backend/core/events.py's TAG_NAME, the ARIA roles, the label
limit, and a bid of "b" and digits.
"""

from __future__ import annotations

import re

from .aria import ARIA_ROLES
from .vocabulary import MAX_LABEL, MAX_TAG

BID = re.compile(r"b[0-9]{1,6}")
TAG = re.compile(rf"(?!.*\d{{6}})[a-z][a-z0-9-]{{0,{MAX_TAG - 1}}}")
STATES = frozenset(("checked", "selected", "expanded", "disabled"))
FIELDS = frozenset(("bid", "role", "tag", "label", "state", "box"))
BOX_LIMIT = 10**6


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
    if role is not None and role not in ARIA_ROLES:
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
