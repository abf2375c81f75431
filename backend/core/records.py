"""What sits in Redis between intake and sealing, and what a dataset finally holds.

An `Entry` is one event on its way: queued by intake (with the validated `event`), then staged
by a drain (with the dataset `record` instead). Its JSON form uses short field names, the only
place they are defined; the Lua scripts that read entries get the names as arguments.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from .redact import Memo, redact_event

# Field names of an entry's JSON form. EMPLOYEE comes first when encoded, so a reader can skip
# other people's entries with a substring test before parsing (see `employee_needle`).
EMPLOYEE, TEAM, DEVICE, CATEGORY, RECEIVED, EVENT, RECORD = "e", "t", "d", "c", "r", "ev", "rec"
POLICY = "p"  # the consent policy version the event was accepted under
# orjson reads integers of more than 64 bits as floats; JSON with a run of 19 digits or more
# (maybe such an integer) is read by the json module, as is anything orjson refuses (lone
# surrogates, NaN): so every entry parses exactly as `json.loads` parses it.
DIGITS_AS_NINES = bytes.maketrans(b"0123456789", b"9" * 10)
LONG_DIGITS = b"9" * 19


def parse(raw: bytes | str):
    """Return `json.loads(raw)`, faster."""
    return parse_checked(raw)[0]


def parse_checked(raw: bytes | str) -> tuple[object, bool]:
    """Return `json.loads(raw)` and whether orjson read it: then no string in it is a lone
    surrogate (orjson refuses them, escaped or encoded)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if LONG_DIGITS not in data.translate(DIGITS_AS_NINES):
        try:
            return orjson.loads(data), True
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw), False


def dumps_staged(doc: dict) -> str:
    """Return JSON of a staged entry that reads back as `json.dumps(doc)` does, faster."""
    return dumps_staged_bytes(doc).decode()


def dumps_staged_bytes(doc: dict) -> bytes:
    """Return `dumps_staged(doc)` as UTF-8 bytes (what Redis stores).

    orjson writes non-ASCII text as UTF-8 rather than `\\u` escapes, and refuses what it cannot
    write exactly (lone surrogates, integers of more than 64 bits); it writes NaN and infinities
    as null. So the json module writes the entry when orjson refuses it, when its output has a
    null (maybe a NaN), and when the employee is not printable ASCII (`employee_needle` looks for
    the form the json module writes).
    """
    employee = doc[EMPLOYEE]
    if isinstance(employee, str) and employee.isascii() and employee.isprintable():
        try:
            data = orjson.dumps(doc)
        except TypeError:
            pass
        else:
            if b"null" not in data:
                return data
    return json.dumps(doc, separators=(",", ":")).encode()  # ASCII: surrogates are escaped


def dumps_event(event: dict) -> bytes:
    """Return compact JSON of a queued event that reads back as `json.dumps(event)` does.

    orjson where it writes the same values: it refuses lone surrogates and integers of more than
    64 bits, and writes NaN and infinities as null, so an event it refuses or whose JSON has a
    null is written by the json module. (orjson writes non-ASCII text as UTF-8, not `\\u`
    escapes; the employee, which `employee_needle` looks for, is never written by it.)
    """
    try:
        data = orjson.dumps(event)
    except TypeError:
        pass
    else:
        if b"null" not in data:
            return data
    return json.dumps(event, separators=(",", ":")).encode("utf-8", "surrogatepass")


def queued_encoder(
    employee: str, team: str, device: str | None, received: int, policy_version: str | None
) -> Callable[[str, dict], bytes]:
    """Return `encode(category, event)`: the UTF-8 of `Entry(...).encode()` for a queued event.

    The entry's other fields are the same for every event of a frame: encoded once per category.
    """
    heads: dict[str, bytes] = {}

    def encode(category: str, event: dict) -> bytes:
        head = heads.get(category)
        if head is None:
            entry = Entry(employee, team, category, received, device, policy_version=policy_version)
            head = heads[category] = f'{entry.encode()[:-1]},"{EVENT}":'.encode()
        return head + dumps_event(event) + b"}"

    return encode


# Not frozen (but hashable as a frozen one is, and never changed): a frozen dataclass sets each
# field through object.__setattr__, which makes an Entry four times as costly to make, and a
# worker makes one per event it stages and per event it seals.
@dataclass(slots=True, unsafe_hash=True)
class Entry:
    """One accepted event: who sent it, its category, when it was accepted, and its content."""

    employee: str
    team: str
    category: str
    received: int  # ms when a backend accepted it
    device: str | None = None
    event: dict | None = None  # queued: the validated event
    record: dict | None = None  # staged: the redacted, pseudonymous dataset record
    policy_version: str | None = None  # the policy version at intake (None: queued before it)

    @property
    def ts(self) -> int:
        """Return the event's own time (ms)."""
        return (self.event if self.event is not None else self.record)["ts"]

    def encode(self) -> str:
        """Return the compact JSON stored in Redis."""
        doc = self._head()
        if self.record is not None:
            if self.event is not None:
                doc[EVENT] = self.event
            doc[RECORD] = self.record
            return dumps_staged(doc)
        head = json.dumps(doc, separators=(",", ":"))
        if self.event is None:
            return head
        return f'{head[:-1]},"{EVENT}":{dumps_event(self.event).decode()}}}'

    def _head(self) -> dict:
        """Return the entry's fields but the event and the record, in their encoded order."""
        doc = {EMPLOYEE: self.employee, TEAM: self.team}
        if self.device is not None:
            doc[DEVICE] = self.device
        doc[CATEGORY] = self.category
        doc[RECEIVED] = self.received
        if self.policy_version is not None:
            doc[POLICY] = self.policy_version
        return doc

    @classmethod
    def decode(cls, raw: bytes | str) -> Entry:
        """Return the entry stored as `raw`."""
        return cls.decode_checked(raw)[0]

    @classmethod
    def decode_checked(cls, raw: bytes | str) -> tuple[Entry, bool]:
        """Return the entry stored as `raw`, and True when none of its strings can be a lone
        surrogate (see `parse_checked`)."""
        doc, clean = parse_checked(raw)
        return cls.from_doc(doc), clean

    @classmethod
    def from_doc(cls, doc: dict) -> Entry:
        """Return the entry of an entry's parsed JSON form."""
        return cls(
            employee=doc[EMPLOYEE],
            team=doc[TEAM],
            category=doc[CATEGORY],
            received=doc[RECEIVED],
            device=doc.get(DEVICE),
            event=doc.get(EVENT),
            record=doc.get(RECORD),
            policy_version=doc.get(POLICY),
        )

    def staged(self, record: dict) -> Entry:
        """Return this entry as staged: the dataset record in place of the event."""
        return Entry(
            self.employee,
            self.team,
            self.category,
            self.received,
            record=record,
            policy_version=self.policy_version,
        )


def employee_needle(employee: str) -> bytes:
    """Return bytes found in every encoded entry of `employee` (a cheap pre-filter)."""
    return f'"{EMPLOYEE}":'.encode() + json.dumps(employee).encode()


def dataset_record(
    entry: Entry,
    contributor: str,
    allowed_origins=None,
    policy_version: str | None = None,
    memo: Memo | None = None,
) -> dict:
    """Return a queued event exactly as it will appear in a dataset (redacted, pseudonymised).

    `allowed_origins` are the policy's: a referrer elsewhere keeps its origin at most. The policy
    version is the one the backend accepted the event under; `policy_version` stands in for
    entries queued without it. `memo` remembers redactions across the records of a take.
    """
    record = redact_event(entry.event, allowed_origins=allowed_origins, memo=memo)  # a copy
    record["category"] = entry.category
    record["contributor"] = contributor
    record["policy_version"] = entry.policy_version or policy_version
    return record
