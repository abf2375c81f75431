"""The per-frame shortcuts of the ingest path decide as the full checks do.

`may_hold_lone_surrogate` may only say False for text whose parsed strings hold none (then
`find_bad_string` is skipped), and `_depth_exceeds` answers as a plain level-by-level walk.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.core.frames import _depth_exceeds, find_bad_string, may_hold_lone_surrogate

TEXT = st.text(alphabet=st.characters(codec=None), max_size=8)  # lone surrogates included
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=40,
)


@settings(max_examples=1500)
@given(value=JSON_VALUES, ascii_only=st.booleans())
def test_no_surrogate_escape_means_no_bad_string(value, ascii_only):
    """Text said to be free of lone surrogates parses to values `find_bad_string` clears."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    if not may_hold_lone_surrogate(text):
        assert find_bad_string(json.loads(text)) is None
    if find_bad_string(value) is not None:
        assert may_hold_lone_surrogate(text)


def test_surrogate_forms():
    """Escaped or literal, paired or lone: which texts are searched further."""
    assert may_hold_lone_surrogate('{"a":"\\ud800"}')
    assert may_hold_lone_surrogate('{"a":"\\uDFFF"}')
    assert may_hold_lone_surrogate('{"a":"\ud800"}')
    assert may_hold_lone_surrogate('{"a":"\\ud83d\\ude00"}')  # a pair: searched, then cleared
    assert not may_hold_lone_surrogate('{"a":"\\u00e9 é 😀"}')
    assert not may_hold_lone_surrogate('{"a":"\\\\ud7ff"}')


def walk_depth_exceeds(value: object, max_depth: int) -> bool:
    """The plain walk: every container's children, level by level."""
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


@settings(max_examples=1500)
@given(value=JSON_VALUES, max_depth=st.integers(0, 8))
def test_depth_check_answers_as_the_plain_walk(value, max_depth):
    assert _depth_exceeds(value, max_depth) == walk_depth_exceeds(value, max_depth)


def test_depth_of_deep_and_wide_values():
    deep: list = []
    inner = deep
    for _ in range(40):
        inner.append([])
        inner = inner[0]
    assert _depth_exceeds(deep, 32)
    assert _depth_exceeds({"events": [{"target": {}}] * 50}, 3)
    assert not _depth_exceeds({"events": [{"target": {}}] * 50}, 4)
