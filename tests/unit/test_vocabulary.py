"""The vocabulary and redaction rules, shared with the extension.

tests/js/vocabulary.test.mjs checks extension/shared/constants.js and redact.js against the same
vocabulary.json and tests/redaction_cases.json, so the two implementations agree.
"""

import json
from pathlib import Path

import pytest

from backend.core import vocabulary
from backend.core.events import EventRejected, validate_event
from backend.core.redact import redact_text, redact_url
from tests.helpers import make_event

CASES = json.loads((Path(__file__).parents[1] / "redaction_cases.json").read_text())


def test_every_event_type_has_a_known_category():
    """Each event type maps to one of the categories, and each category has an event type."""
    assert set(vocabulary.CATEGORY_OF.values()) == set(vocabulary.CATEGORIES)
    assert tuple(vocabulary.CATEGORY_OF) == vocabulary.EVENT_TYPES


def test_limits_are_what_validation_enforces():
    """A URL one character over MAX_URL is refused; at the limit it passes."""
    base = "https://app.example.com/"
    at_limit = base + "a" * (vocabulary.MAX_URL - len(base))
    assert validate_event(make_event(url=at_limit))["url"] == at_limit
    with pytest.raises(EventRejected):
        validate_event(make_event(url=at_limit + "a"))


@pytest.mark.parametrize(("text", "expected"), CASES["text"])
def test_text_redaction_cases(text, expected):
    """The text cases the extension also runs."""
    assert redact_text(text) == expected


@pytest.mark.parametrize(("url", "allowed", "expected"), CASES["url"])
def test_url_redaction_cases(url, allowed, expected):
    """The URL cases the extension also runs."""
    assert redact_url(url, frozenset(allowed)) == expected
