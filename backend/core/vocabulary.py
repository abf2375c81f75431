"""What Overt captures: categories, event types, change targets and field limits, read from
vocabulary.json.

The extension keeps the same values in extension/shared/constants.js;
tests/unit/test_vocabulary.py checks that both agree.
"""

from __future__ import annotations

import json
from pathlib import Path

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.json")
_VOCABULARY = json.loads(VOCABULARY_FILE.read_text())

SCHEMA_VERSION = "1"

CATEGORIES: tuple[str, ...] = tuple(_VOCABULARY["categories"])
CATEGORY_OF: dict[str, str] = dict(_VOCABULARY["category_of"])
EVENT_TYPES: tuple[str, ...] = tuple(CATEGORY_OF)
# Keys a `key` event may name without a modifier: commands, never text.
COMMAND_KEYS: tuple[str, ...] = tuple(_VOCABULARY["command_keys"])
# The controls a `change` may name, per field it carries: the tags and roles (None: no role) of
# the elements the extension sends that field for (extension/content/capture.js `onChange`).
CHANGE_TARGETS: dict[str, tuple[frozenset[str], frozenset[str | None]]] = {
    field: (frozenset(rule["tags"]), frozenset(rule["roles"]))
    for field, rule in _VOCABULARY["change_targets"].items()
}

_LIMITS = _VOCABULARY["limits"]
MAX_URL: int = _LIMITS["max_url"]
MAX_TITLE: int = _LIMITS["max_title"]
MAX_SELECTOR: int = _LIMITS["max_selector"]
MAX_LABEL: int = _LIMITS["max_label"]
MAX_TAG: int = _LIMITS["max_tag"]
MAX_ROLE: int = _LIMITS["max_role"]
MAX_GOAL: int = _LIMITS["max_goal"]
MAX_ELEMENTS: int = _LIMITS["max_elements"]
# The JSON size of an observation's elements, as the extension measures it.
MAX_OBSERVATION_BYTES: int = _LIMITS["max_observation_bytes"]
MAX_EVENTS_PER_FRAME: int = _LIMITS["max_events_per_frame"]
# A frame's seq: the largest integer a JavaScript client holds exactly (Number.MAX_SAFE_INTEGER).
MAX_SEQ = 2**53 - 1
# A client may hold events in its outbox while offline; older than this is refused.
MAX_EVENT_AGE_MS: int = _LIMITS["max_event_age_ms"]
MAX_CLOCK_SKEW_MS: int = _LIMITS["max_clock_skew_ms"]
