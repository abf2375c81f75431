"""Which events may enter a dataset: consent at event time, pauses, purges, erasures."""

import pytest

from backend.core.filters import Rules
from backend.core.records import Entry

T0 = 1_800_000_000_000


def entry(employee="alice", team="sales", category="clicks", ts=T0, received=T0 + 10):
    return Entry(employee, team, category, received, event={"ts": ts})


def rules(grants=None, pauses=(), erased=None) -> Rules:
    grants = {"alice": {"clicks": T0 - 1000}} if grants is None else grants
    return Rules(grants=grants, pause_records=list(pauses), erased=erased or {})


def pause(scope, since, until=None, purge=False):
    return {"scope": scope, "since_ms": since, "until_ms": until, "purge": purge}


def test_consented_event_passes():
    """A granted category, granted before the event, with no pause: kept."""
    assert rules().drop_reason(entry()) is None


def test_category_without_consent():
    """No grant for the category: dropped as no_consent."""
    assert rules().drop_reason(entry(category="typing")) == "no_consent"
    assert rules().drop_reason(entry(employee="bob")) == "no_consent"


def test_event_before_the_grant():
    """Consent must be valid at event time, not only now."""
    assert rules().drop_reason(entry(ts=T0 - 5000)) == "before_consent"


@pytest.mark.parametrize("scope", [{"all": True}, {"team": "sales"}, {"employee": "alice"}])
def test_event_inside_a_pause_window(scope):
    """An event timestamped inside a pause window of a matching scope is dropped."""
    r = rules(pauses=[pause(scope, T0 - 100, T0 + 100)])
    assert r.drop_reason(entry()) == "paused"
    assert r.drop_reason(entry(ts=T0 + 200)) is None, "after the resume"


def test_open_pause_covers_everything_after_it():
    """A pause that has not ended covers every later timestamp."""
    assert rules(pauses=[pause({"all": True}, T0 - 100)]).drop_reason(entry()) == "paused"


def test_other_scopes_do_not_apply():
    """A pause of another team or employee does not drop this event."""
    r = rules(pauses=[pause({"team": "support"}, T0 - 100), pause({"employee": "bob"}, T0 - 1)])
    assert r.drop_reason(entry()) is None


def test_purge_drops_what_was_accepted_before_it():
    """A purge pause drops events accepted before it, whatever their timestamp."""
    r = rules(pauses=[pause({"team": "sales"}, T0 + 50, T0 + 60, purge=True)])
    assert r.drop_reason(entry(received=T0 + 20)) == "purged"
    assert r.drop_reason(entry(ts=T0 + 70, received=T0 + 80)) is None


def test_erasure_drops_what_was_accepted_before_it():
    """An erasure drops every event of the employee accepted up to it."""
    r = rules(erased={"alice": T0 + 10})
    assert r.drop_reason(entry(received=T0 + 10)) == "erased"
    assert r.drop_reason(entry(ts=T0 + 20, received=T0 + 30)) is None


def test_staged_entries_are_checked_the_same_way():
    """At sealing time, staged entries (record instead of event) use the same rules."""
    staged = Entry("alice", "sales", "clicks", T0 + 10, record={"ts": T0})
    assert rules().drop_reason(staged) is None
    assert rules(grants={}).drop_reason(staged) == "no_consent"
