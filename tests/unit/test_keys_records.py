"""Redis layout helpers (keys.py) and the queued/staged entry format (records.py)."""

import json

import pytest

from backend.core import keys
from backend.core.records import Entry, employee_needle


def test_part_of_reads_back_a_filled_template():
    """The employee of a consent key comes back from the key, whatever it contains."""
    filled = keys.key(keys.KEY_CONSENT, employee="ann:lee@corp")
    assert keys.part_of(keys.KEY_CONSENT, filled) == "ann:lee@corp"
    assert keys.part_of(keys.KEY_CONSENT, filled.encode()) == "ann:lee@corp"
    assert keys.part_of(keys.KEY_PAUSE_ACKS, keys.key(keys.KEY_PAUSE_ACKS, pause_id="p_1")) == "p_1"
    with pytest.raises(ValueError):
        keys.part_of(keys.KEY_CONSENT, keys.KEY_POLICY)


def test_pause_fields_cover_every_scope_of_an_employee():
    """An employee is covered by the pause of everyone, of their team and of themselves."""
    fields = keys.pause_fields("alice", "sales")
    for scope in ({"all": True}, {"team": "sales"}, {"employee": "alice"}):
        assert keys.pause_field(scope) in fields
    assert keys.pause_field({"team": "support"}) not in fields
    assert fields[0] == keys.pause_field({"all": True}), "broadest first"


def test_entry_round_trips_queued_and_staged():
    """A queued entry, and the same entry staged, decode to what was encoded."""
    queued = Entry("alice", "sales", "clicks", 1_700_000_000_000, "dev_1", {"id": "x", "ts": 5})
    assert Entry.decode(queued.encode()) == queued and queued.ts == 5
    staged = queued.staged({"id": "x", "ts": 5, "contributor": "p_1"})
    assert Entry.decode(staged.encode()) == staged
    assert staged.device is None and staged.event is None and staged.ts == 5


def test_encoded_entry_is_compact_with_the_employee_first():
    """The employee leads the JSON, so a reader can skip other people's entries unparsed."""
    raw = Entry("alice", "sales", "clicks", 1, "dev_1", {"ts": 1}).encode()
    assert raw.startswith('{"e":"alice",') and " " not in raw
    assert employee_needle("alice") in raw.encode()
    assert employee_needle("ali") not in raw.encode()
    assert list(json.loads(raw)) == ["e", "t", "d", "c", "r", "ev"]
