"""Red team helpers (tests/e2e/test_redteam_typed.py, tests/e2e/test_redteam_data.py): the search
for leaks in what the server received and in sealed records.

The pages type unique random tokens ("zq" and ten letters, so a leak is found by a substring
search), or hold unique fake names in their data. The search ignores case and Unicode format
characters (a soft hyphen or a zero-width space inside a word hides it from a plain substring
search, not from a reader).

A failing test here is a leak: its message names the event type, the field and the value.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import unicodedata

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import RANDOM_FIELDS, sent_events, sent_frames


def token() -> str:
    """A random word no page, label or UI text holds: "zq" and ten lower-case letters."""
    return "zq" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))


def _plain(text: str) -> str:
    """Case-folded, without format characters (soft hyphen, zero-width space, bidi marks)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").lower()


def _walk(value, path=""):
    """(field path, string) for every string in `value`, random ids left out."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in RANDOM_FIELDS:
                yield from _walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def leaks_in(records, secrets_) -> list[str]:
    """Every (type, field, value) of `records` (events or sealed records) holding a secret, once,
    with the secrets it holds (a prefix of a longer one found there is not repeated)."""
    found = []
    seen = set()
    for record in records:
        for path, text in _walk(record):
            plain = _plain(text)
            held = [s for s in secrets_ if _plain(s) in plain]
            held = [s for s in held if not any(s != o and _plain(s) in _plain(o) for o in held)]
            if held:
                hit = f"{record.get('type')} {path}={text!r} (holds {', '.join(map(repr, held))})"
                if hit not in seen:
                    seen.add(hit)
                    found.append(hit)
    return found


def frame_leaks(live_server, secrets_) -> list[str]:
    """Leaks in any frame the server received: every event, and any other frame whole."""
    found = leaks_in(sent_events(live_server), secrets_)
    others = [f for f in sent_frames(live_server) if f.get("type") != "events"]
    found += [f"frame {hit}" for hit in leaks_in(others, secrets_)]
    # The whole text too (any field the walk above skips as random), escapes undone.
    raw = _plain(
        "\n".join(json.dumps(frame, ensure_ascii=False) for frame in sent_frames(live_server))
    )
    for secret in secrets_:
        if _plain(secret) in raw and not any(_plain(secret) in _plain(hit) for hit in found):
            found.append(f"raw frame text holds {secret!r}")
    return found


def summary(found: list[str]) -> str:
    """One line per event type and field (indices dropped): how many hits, and the longest one."""
    groups: dict[str, list[str]] = {}
    for hit in found:
        kind, rest = hit.split(" ", 1)
        field = re.sub(r"\[\d+\]", "[]", rest.split("=", 1)[0])
        groups.setdefault(f"{kind} {field}", []).append(hit)
    lines = [
        f"{key}: {len(hits)} value(s), e.g. {max(hits, key=len)}" for key, hits in groups.items()
    ]
    return "\n  ".join(lines)


def check_clean(browser, live_server, secrets_, run_workers=None) -> None:
    """Wait for the outbox to drain; then no secret in any frame (nor sealed record, if asked)."""
    wait_for(lambda: browser.outbox_size() == 0, 15, message="outbox drained")
    found = frame_leaks(live_server, secrets_)
    assert not found, f"LEAK in frames sent to the server ({len(found)}):\n  " + summary(found)
    if run_workers is not None:
        records = run_workers()
        assert records, "the workers sealed nothing, so the shard check would prove nothing"
        found = leaks_in(records, secrets_)
        assert not found, f"LEAK in sealed records ({len(found)}):\n  " + summary(found)


def prefixes(word: str, shortest: int = 5) -> list[str]:
    """The prefixes of `word` of at least `shortest` characters (a word shown before it is done)."""
    return [word[:n] for n in range(shortest, len(word) + 1)]
