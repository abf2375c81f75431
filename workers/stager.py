"""Stage the queued entries of one take in one pass: what workers/stage.py `_stage_entry` does.

For each parsed queued entry (`stage.parse_entries`) a `Stager` decides whether it may enter a
dataset (backend/core/filters.py), and if so makes its dataset record (backend/core/records.py
`dataset_record`: redacted, pseudonymised), the staged `Entry`, its row for the commit (the
bytes of `Entry.encode`, its "seen" key and member) and the record's gated words
(backend/core/words.py `record_words`), all from the entry's fields as parsed.

How it is fast: no `Entry` is made for a queued entry, only for the staged one; everything that
repeats within a take (pseudonyms, redactions of texts, URLs and labels, "seen" keys, drops
fields, the words of a text) is looked up in dicts of the take; the staged JSON is written once,
as bytes (`dumps_staged_bytes`). Anything unusual (a field of an unexpected type, an error) is
left to `stage._stage_entry` by returning None: that code decides, exactly as before
(tests/unit/test_stager.py compares the two on generated entries).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from backend.core import keys
from backend.core.drops import MINUTE_MS
from backend.core.filters import ERASED
from backend.core.pseudonym import pseudonym
from backend.core.records import (
    CATEGORY,
    EMPLOYEE,
    EVENT,
    POLICY,
    RECEIVED,
    RECORD,
    TEAM,
    Entry,
    dumps_staged_bytes,
)
from backend.core.redact import MAYBE_MASKED, PLAIN_URL, Memo, origin_url, plain_origin
from backend.core.words import WORD, selector_words, url_words, words

DAY_MS = 86_400_000
# How json.dumps (ASCII output) writes any UTF-16 surrogate, paired or lone, as UTF-8 bytes (the
# staged JSON a row holds). A staged entry is written by orjson, which refuses lone surrogates,
# or by json.dumps (backend/core/records.py `dumps_staged_bytes`), so a lone surrogate in its
# JSON is always written this way.
SURROGATE_ESCAPE = b"\\ud"


@functools.lru_cache(maxsize=64)
def seen_key(day: int) -> str:
    """Return the key of the "seen" set of a UTC day (days since the epoch)."""
    date = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y%m%d")
    return keys.key(keys.KEY_SEEN, day=date)


class Stager:
    """Stages the entries of one take under its rules and policy (see the module docstring)."""

    def __init__(self, rules, secret: str, allowed_origins, policy_version: str | None, memo: Memo):
        self.rules, self.secret = rules, secret
        self.allowed_origins, self.policy_version = allowed_origins, policy_version
        self.memo = memo
        self.contributors: dict[str, str] = {}
        # By input: (what the record holds, its gated words).
        self.urls: dict[str, tuple[str, tuple]] = {}
        self.referrers: dict[str, tuple[str, tuple]] = {}  # referrer and `from` URLs
        self.texts: dict[str, tuple[str, tuple]] = {}  # title, goal and value
        self.labels: dict[str, tuple[str, tuple]] = {}  # cut to 80 characters
        self.seen: dict[int, str] = {}
        self.duplicates: dict[int, str] = {}
        self.no_pauses = not rules.pause_records

    def stage(self, doc: dict):
        """Return why `doc` is dropped, or (staged entry, row, words), or None: ask the slow path.

        Raises only where the slow path raises too.
        """
        event = doc[EVENT]
        employee, team, category, received = doc[EMPLOYEE], doc[TEAM], doc[CATEGORY], doc[RECEIVED]
        ts = event["ts"]
        if ts.__class__ is not int or received.__class__ is not int:
            return None
        rules = self.rules
        if self.no_pauses:  # Rules.reason, when no pause can apply
            if (received if received < ts else ts) <= rules.erased.get(employee, -1):
                return ERASED
            since = rules.grants.get(employee, {}).get(category)
            if since is None:
                return "no_consent"
            if ts < since:
                return "before_consent"
        else:
            reason = rules.reason(employee, team, category, received, ts)
            if reason:
                return reason
        contributor = self.contributors.get(employee)
        if contributor is None:
            contributor = self.contributors[employee] = pseudonym(self.secret, employee)

        # The record: backend/core/redact.py `redact_event`, and its words: `record_words`.
        record = dict(event)
        found = set()
        add = found.update
        url = record.get("url")
        if url is not None:
            if url.__class__ is not str:
                return None
            done = self.urls.get(url) or self.url(url)
            record["url"] = done[0]
            add(done[1])
        for name in ("referrer", "from"):
            url = record.get(name)
            if url is not None:
                if url.__class__ is not str:
                    return None
                done = self.referrers.get(url)
                if done is None:
                    redacted = self.referrer(url)
                    done = self.referrers[url] = (redacted, url_words(redacted))
                record[name] = done[0]
                add(done[1])
        for name in ("title", "goal", "value"):
            text = record.get(name)
            if text is not None:
                if text.__class__ is not str:
                    return None
                done = self.texts.get(text)
                if done is None:
                    redacted = self.memo.text(text)
                    done = self.texts[text] = (redacted, words(redacted))
                record[name] = done[0]
                if name != "goal":  # not gated
                    add(done[1])
        target = record.get("target")
        if target is not None:
            if target.__class__ is not dict:
                return None
            target = record["target"] = dict(target)
            label = target.get("label")
            if label is not None:
                if label.__class__ is not str:
                    return None
                done = self.labels.get(label) or self.label(label)
                target["label"] = done[0]
                add(done[1])
            selector = target.get("selector")
            if selector is not None:
                if selector.__class__ is not str:
                    return None
                target["selector"] = selector = self.memo.text(selector)
                add(selector_words(selector))
        elements = record.get("elements")
        if elements is not None:
            if elements.__class__ is not list:
                return None
            record["elements"] = kept = []
            labels = self.labels
            for element in elements:
                if element.__class__ is not dict:
                    return None
                label = element.get("label")
                if label is not None:
                    if label.__class__ is not str:
                        return None
                    done = labels.get(label) or self.label(label)
                    if done[0] != label:
                        element = {**element, "label": done[0]}
                    add(done[1])
                kept.append(element)
        record["category"] = category
        record["contributor"] = contributor
        policy = doc.get(POLICY)
        record["policy_version"] = policy or self.policy_version

        # The staged entry, and its row: workers/stage.py `staged_row`.
        staged = Entry(employee, team, category, received, None, None, record, policy)
        head = {EMPLOYEE: employee, TEAM: team, CATEGORY: category, RECEIVED: received}
        if policy is not None:
            head[POLICY] = policy
        head[RECORD] = record
        data = dumps_staged_bytes(head)
        if SURROGATE_ESCAPE in data:
            return None  # maybe a lone surrogate: the slow path looks
        ts = record["ts"]
        seen = self.seen.get(ts // DAY_MS)
        if seen is None:
            try:
                seen = self.seen[ts // DAY_MS] = seen_key(ts // DAY_MS)
            except (ValueError, OverflowError, OSError):
                return None  # a time beyond any date: the slow path says so
        dup = self.duplicates.get(ts // MINUTE_MS)
        if dup is None:
            dup = self.duplicates[ts // MINUTE_MS] = f"{ts // MINUTE_MS}|duplicate"
        return staged, (seen, f"{employee}:{record['id']}", data, dup), found

    def url(self, url: str) -> tuple[str, tuple]:
        """Return a `url` redacted and its words (most URLs of a take are new: the URL of a
        record's page, which names it)."""
        plain = PLAIN_URL.fullmatch(url)
        if plain is not None and not self.memo.allowed_params:
            path = plain.group(2) or ""
            if not MAYBE_MASKED.search(path):  # `redact_url` keeps the path as it is
                # ASCII with no "[": `words` of the path; a plain URL has no hash route.
                head = plain.group(1)
                if plain.group(3) is None and head.count(":") < 2:
                    redacted = url
                else:  # a query dropped, or a port that may be the default (`plain_origin`)
                    redacted = plain_origin(plain) + path
                done = self.urls[url] = (redacted, tuple(WORD.findall(path.lower())))
                return done
        redacted = self.memo.url(url)
        done = self.urls[url] = (redacted, url_words(redacted))
        return done

    def referrer(self, url: str) -> str:
        """Return a referrer or `from` URL as a record holds it (backend/core/redact.py)."""
        url = self.memo.url(url)
        if self.allowed_origins is not None:
            origin = origin_url(url)
            if origin.rstrip("/") not in self.allowed_origins:
                return origin or url
        return url

    def label(self, label: str) -> tuple[str, tuple]:
        """Return a label redacted and cut to 80 characters, and its words."""
        redacted = self.memo.text(label)[:80]
        done = self.labels[label] = (redacted, words(redacted))
        return done
