"""Redis layout helpers (keys.py) and the queued/staged entry format (records.py)."""

import json

import pytest

from backend.core import keys
from backend.core.records import Entry, dataset_record, employee_needle
from workers.quarantine import dead_letter, drop_time


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


def test_entry_keeps_its_policy_version_from_queue_to_record():
    """The policy version an event was accepted under survives staging and names its record."""
    queued = Entry(
        "alice", "sales", "clicks", 1, "dev_1", {"id": "x", "ts": 5}, policy_version="v7"
    )
    raw = queued.encode()
    assert json.loads(raw)["p"] == "v7" and Entry.decode(raw) == queued
    staged = queued.staged({"id": "x", "ts": 5})
    assert Entry.decode(staged.encode()).policy_version == "v7"
    event = {"id": "x", "type": "click", "ts": 5, "url": "https://app.example.com/"}
    mine = Entry("alice", "sales", "clicks", 1, event=event, policy_version="v7")
    assert dataset_record(mine, "p_1", policy_version="v9")["policy_version"] == "v7"
    older = Entry("alice", "sales", "clicks", 1, event=event)  # queued before "p" existed
    assert "p" not in json.loads(older.encode())
    assert dataset_record(older, "p_1", policy_version="v9")["policy_version"] == "v9"


def test_dead_letter_drop_time_is_the_event_time_when_readable():
    """A quarantined event's drop is counted at its own minute, else when it was set aside."""
    entry = Entry("alice", "sales", "clicks", 1, event={"id": "x", "ts": 120_000})
    letter = dead_letter("stage", entry.encode(), ValueError("bad"), entry)
    assert drop_time(letter) == 120_000
    garbage = dead_letter("stage", b"{not json", ValueError("bad"))
    assert drop_time(garbage) == json.loads(garbage)["at"]
    far = Entry("alice", "sales", "clicks", 1, event={"id": "y", "ts": 10**30})
    assert drop_time(dead_letter("stage", far.encode(), OverflowError("x"), far)) > 0
