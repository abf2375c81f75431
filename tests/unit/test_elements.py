"""backend/core/elements.py: the bulk check agrees with the element-by-element one."""

import itertools
import json

import pytest

from backend.core.elements import (
    all_valid,
    clean_element,
    clean_elements,
    element_errors,
    size_bound,
)
from backend.core.events import EventRejected, validate_event
from backend.core.vocabulary import MAX_OBSERVATION_BYTES
from tests.helpers import make_event


def element(i: int) -> dict:
    return {
        "bid": f"b{i}",
        "role": "button",
        "tag": "button",
        "label": "Save",
        "state": {"checked": False},
        "box": [0, 8 * i, 64, 24],
    }


BAD_VALUES = {
    "bid": [None, 1, "", "x1", "b1234567", "b1\nb2", ["b1"], {"b": 1}],
    "tag": [None, 3, "", "Button", "a" * 40, "x123456", "b\n", ["a"]],
    "role": [1, True, "nope", "", ["button"], {"r": 1}],
    "label": [1, True, "x" * 81, ["Save"], {"l": 1}],
    "state": [None, [], "on", {"checked": "yes"}, {"hover": True}, {"checked": 1}],
    "box": [None, [0, 0, 8], [0, 0, 8, 8, 8], [0, 0, 8, 8.5], [0, 0, 8, True], [0, 0, 8, 10**7]],
}
GOOD_VALUES = {
    "role": [None, "link", "menuitemcheckbox"],
    "label": [None, "", "x" * 80, "Überweisung ✓"],
    "state": [{}, {"checked": True, "selected": False, "expanded": True, "disabled": False}],
    "box": [[-(10**6), 0, 10**6, 8]],
}


def test_bulk_check_agrees_with_element_errors():
    """Every bad value of every field, anywhere in the list: both checks say invalid."""
    for (field, values), at in itertools.product(BAD_VALUES.items(), (0, 5)):
        for value in values:
            elements = [element(i) for i in range(6)]
            elements[at] = {**elements[at], field: value}
            assert element_errors(elements[at]), (field, value)
            assert not all_valid(elements), (field, value)
    for field, values in GOOD_VALUES.items():
        for value in values:
            elements = [element(1), {**element(2), field: value}]
            assert not element_errors(elements[1]), (field, value)
            assert all_valid(elements), (field, value)
    assert all_valid([]) and not all_valid([element(1), "b2"]) and not all_valid([None])


def test_missing_fields():
    """bid, tag and box are required; role, label and state are not."""
    for field in ("bid", "tag", "box"):
        el = {k: v for k, v in element(1).items() if k != field}
        assert element_errors(el) and not all_valid([el])
    for field in ("role", "label", "state"):
        el = {k: v for k, v in element(1).items() if k != field}
        assert not element_errors(el) and all_valid([el])


def test_clean_elements_is_clean_element():
    """Clean lists come back as they are; others are cleaned element by element."""
    clean = [element(1), element(2)]
    assert clean_elements(clean) is clean
    messy = [
        {**element(1), "extra": 1},
        {k: v for k, v in element(2).items() if k != "state"},
        {**element(3), "role": None, "label": None},
    ]
    expected = [clean_element(raw) for raw in messy]
    assert clean_elements(messy) == expected
    assert [list(e) for e in clean_elements(messy)] == [list(e) for e in expected]
    assert "extra" not in expected[0] and expected[1]["state"] == {} and "role" not in expected[2]


def test_an_unhashable_role_is_an_error_not_a_crash():
    """A role sent as a list or object is named as an error."""
    assert element_errors({**element(1), "role": ["button"]}) == {"role": ["a known ARIA role"]}


def test_observation_size_is_counted_in_utf8_as_the_extension_counts_it():
    """200 elements with Japanese labels: under 32 KiB in UTF-8, over it with \\u escapes."""
    elements = [{**element(i), "label": "保存して次へ進む" * 2, "state": {}} for i in range(200)]
    utf8 = len(json.dumps(elements, separators=(",", ":"), ensure_ascii=False).encode())
    escaped = len(json.dumps(elements, separators=(",", ":")))
    assert utf8 <= MAX_OBSERVATION_BYTES < escaped
    assert validate_event(make_event("observation", elements=elements))["elements"] == elements
    over = [{**e, "label": e["label"] + "保存して次へ進む" * 2} for e in elements]
    with pytest.raises(EventRejected) as info:
        validate_event(make_event("observation", elements=over))
    assert "elements" in info.value.errors


def test_size_bound_is_never_below_the_real_size():
    """For every shape of valid element; None when a label needs escapes."""
    full = {"checked": False, "selected": True, "expanded": False, "disabled": False}
    shapes = [
        element(1),
        {"bid": "b999999", "tag": "x" * 32, "box": [-(10**6)] * 4},
        {**element(2), "role": "menuitemcheckbox", "state": full, "label": "保存🙂" * 20},
        {**element(3), "label": "x" * 80, "box": [10**6, -(10**6), 0, 8]},
    ]
    for shape in shapes:
        for n in (1, 7, 200):
            elements = [{**shape, "bid": f"b{i}"} for i in range(n)]
            exact = len(json.dumps(elements, separators=(",", ":"), ensure_ascii=False).encode())
            bound = size_bound(elements)
            assert exact <= bound <= 3 * exact, (shape, n, exact, bound)
    for label in ('Say "hi"', "a\\b", "line\nbreak", "\x01"):
        assert size_bound([{**element(1), "label": label}]) is None


def test_observation_near_the_limit_is_counted_exactly():
    """Elements whose bound is over the limit but whose JSON fits are accepted."""
    elements = [{**element(i), "label": "x" * 60} for i in range(200)]
    exact = len(json.dumps(elements, separators=(",", ":"), ensure_ascii=False).encode())
    assert exact <= MAX_OBSERVATION_BYTES < size_bound(elements)
    assert validate_event(make_event("observation", elements=elements))
