"""Staging in one pass (workers/stager.py, workers/stage.py) gives what the code before it gave.

The oracle is a copy of the staging code as it was before (parse each item into an `Entry`, then
`_stage_entry` and `record_words` for each): for generated takes of every event type, with
unicode, placeholders, e-mails and digit runs, rare and common words, dropped entries (consent,
erasures, pauses, purges), duplicates and poison items (not JSON, not entries, missing or odd
fields, times beyond any date, lone surrogates), both give the same staged entries, the same
bytes for Redis, the same words, the same drops and the same dead letters.
"""

from __future__ import annotations

import json
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.core.drops import field as drop_field
from backend.core.filters import Rules
from backend.core.frames import find_bad_string
from backend.core.pseudonym import pseudonym
from backend.core.records import Entry, dataset_record
from backend.core.redact import Memo
from backend.core.words import PLACEHOLDERS, record_words
from tests.helpers import make_event
from workers import stage
from workers.quarantine import DROP_REASON as QUARANTINED
from workers.quarantine import dead_letter, drop_time

SECRET = "stager-secret"
ORIGINS = frozenset({"https://app.example.com"})
KINDS = (
    "page_view",
    "route_change",
    "click",
    "submit",
    "scroll",
    "visibility",
    "input_activity",
    "change",
    "key",
    "observation",
    "task_start",
    "task_end",
)
DAY_MS = 86_400_000


# The oracle: workers/stage.py before workers/stager.py, parse_entries and _stage_entry.
def old_parse_entries(items):
    entries, dead = [], []
    for raw in items:
        try:
            entry = Entry.decode(raw)
            if not isinstance(entry.employee, str) or not isinstance(entry.event, dict):
                raise ValueError("not a queued entry")
        except (ValueError, KeyError, TypeError) as err:
            dead.append(dead_letter("stage", raw, err))
            continue
        entries.append(entry)
    return entries, dead


def old_staged_row(staged):
    record = staged.record
    seen = stage.seen_key(record["ts"] // DAY_MS)
    member = f"{staged.employee}:{record['id']}"
    return seen, member, staged.encode(), drop_field(record["ts"], "duplicate")


def old_stage_entry(entry, rules, secret, allowed_origins, policy_version, memo):
    reason = rules.drop_reason(entry)
    if reason:
        return reason
    contributor = pseudonym(secret, entry.employee)
    record = dataset_record(entry, contributor, allowed_origins, policy_version, memo)
    staged = entry.staged(record)
    row = old_staged_row(staged)
    if "\\ud" in row[2]:
        bad = find_bad_string(record)
        if bad:
            raise ValueError(f"a string at {bad} is not valid Unicode")
    return staged, row


def old_stage_entries(entries, rules, secret, allowed_origins=None, policy_version=None):
    staged, rows, found, drops, dead = [], [], [], Counter(), []
    memo = Memo()
    for entry in entries:
        try:
            item = old_stage_entry(entry, rules, secret, allowed_origins, policy_version, memo)
            if not isinstance(item, str):
                found.append(record_words(item[0].record))  # was in commit_take
        except Exception as err:
            letter = dead_letter("stage", entry.encode(), err, entry)
            dead.append(letter)
            drops[drop_field(drop_time(letter), QUARANTINED)] += 1
            continue
        if isinstance(item, str):
            drops[drop_field(entry.event["ts"], item)] += 1
        else:
            staged.append(item[0])
            rows.append(item[1])
    return staged, rows, found, drops, dead


# Generated takes.
WORDS = st.sampled_from(
    [
        *("Save", "order", "Orders", "Jo\u00e9l", "\u0130stanbul", "stra\u00dfe", "42", "1234567"),
        *("jane@corp.example", "4111 1111 1111 1111", "+1 555-123-4567", "\uff21\uff22", "x_y"),
        *PLACEHOLDERS,
        *("[other]", "a%20b", "%25", "\ud800", "caf\u00e9\u0301", "\u2013", "#", "?q=1"),
        "\\ud83d",
    ]
)
TEXT = st.lists(WORDS, max_size=4).map(" ".join) | st.text(max_size=12)
PATH = st.lists(WORDS | st.text("abc/-_.~%", max_size=6), max_size=3).map("/".join)
URL = st.one_of(
    st.builds(lambda p: f"https://app.example.com/{p}", PATH),
    st.builds(lambda p, q: f"https://app.example.com/{p}?{q}", PATH, TEXT),
    st.builds(lambda p, r: f"http://user:pw@other.example:8080/{p}#/{r}", PATH, PATH),
    st.builds(lambda p, r: f"http://other.example:80/{p}#/{r}", PATH, PATH),
    st.sampled_from(
        [
            *("https://app.example.com", "data:text/plain,x", "javascript:void(0)", "ht!tp://x"),
            *("https://app.example.com/orders/48213", "https://[::1/x", "", "/relative/path"),
        ]
    ),
)
PLAIN_PATH = st.lists(
    st.sampled_from(["orders", "48213", "1234567", "jane@corp.example", "a-b_c.d", "~x", "[y]"])
    | st.text("abcXYZ019@:!$&'()*+,;=._~-", max_size=8),
    max_size=4,
).map("/".join)
PLAIN_URL = st.builds(
    lambda port, p, q: f"https://app.example.com{port}/{p}{q}",
    st.sampled_from([":8443", ":443", ":", ""]),
    PLAIN_PATH,
    st.sampled_from(["", "?a=1"]),
)
NOW = 1_790_000_000_000
TS = st.one_of(
    *[st.integers(NOW - 5 * DAY_MS, NOW)] * 6,
    st.sampled_from([NOW, NOW - 60_000, -1, 0, 10**20, 2**64, 1.5e12, True, "1", None]),
)
ODD = st.sampled_from([None, 3, 1.5, True, [], {}, ["x"], {"label": 3}, "\ud800"])


@st.composite
def events(draw) -> dict:
    event = make_event(draw(st.sampled_from(KINDS)), url=draw(URL))
    event["id"] = draw(st.sampled_from(["e1", "e2", "e3"]) | st.uuids().map(str))
    event["ts"] = draw(TS)
    for name in ("title", "goal", "value"):
        if draw(st.booleans()):
            event[name] = draw(TEXT)
    for name in ("referrer", "from"):
        if draw(st.integers(0, 3)) == 0:
            event[name] = draw(URL)
    if isinstance(event.get("target"), dict) and draw(st.booleans()):
        event["target"]["label"] = draw(TEXT | st.text(min_size=78, max_size=90))
        event["target"]["selector"] = draw(TEXT)
    if "elements" in event:
        event["elements"] = [
            {"bid": f"b{n}", "tag": "button", "label": draw(TEXT), "box": [1, 2, 3, 4]}
            for n in range(draw(st.integers(0, 4)))
        ]
        if draw(st.integers(0, 5)) == 0:
            event["elements"].append(draw(ODD))
    if draw(st.integers(0, 15)) == 0:  # a field of an odd type
        name = draw(st.sampled_from(["url", "referrer", "title", "target", "elements", "id"]))
        event[name] = draw(ODD)
    if draw(st.integers(0, 25)) == 0:
        del event[draw(st.sampled_from(["ts", "id"]))]
    return event


@st.composite
def items(draw) -> bytes:
    """One queued item: an encoded entry, mostly; sometimes not one at all."""
    kind = draw(st.integers(0, 30))
    if kind == 0:
        return draw(st.sampled_from([b"not json", b"[1, 2]", b'"x"', b"{}", b'{"e": 1}']))
    employee = draw(st.sampled_from(["alice", "bob", "carol", "d\u00e9sir\u00e9e", "e\nf"]))
    entry = Entry(
        employee,
        draw(st.sampled_from(["sales", "ops"])),
        draw(st.sampled_from(["clicks", "navigation", "observations", "clicks", "unknown"])),
        draw(st.one_of(*[st.integers(NOW, NOW + DAY_MS)] * 8, st.sampled_from([True, "1", 2**70]))),
        draw(st.none() | st.just("dev_1")),
        draw(events()),
        policy_version=draw(st.none() | st.just("v7")),
    )
    try:
        raw = entry.encode().encode("utf-8", "surrogatepass")
    except TypeError:  # ts None in an f-string: fine; something json cannot write: skip
        raw = b"{}"
    if kind == 1:
        doc = json.loads(raw)
        del doc[draw(st.sampled_from(["t", "c", "r", "ev", "e"]))]
        raw = json.dumps(doc).encode()
    return raw


@st.composite
def rules(draw) -> Rules:
    categories = ["clicks", "navigation", "observations"]
    grants = {
        e: {c: draw(st.sampled_from([0, 0, NOW - DAY_MS, NOW])) for c in categories}
        for e in draw(
            st.sets(st.sampled_from(["alice", "bob", "d\u00e9sir\u00e9e", "e\nf"]), min_size=2)
        )
    }
    erased = {"bob": NOW - 2 * DAY_MS} if draw(st.booleans()) else {}
    pause_records = []
    if draw(st.booleans()):
        scope = draw(st.sampled_from([{"all": True}, {"team": "ops"}, {"employee": "alice"}]))
        until = draw(st.sampled_from([None, NOW - DAY_MS // 2]))
        since = NOW - DAY_MS
        pause_records.append(
            {"scope": scope, "since_ms": since, "until_ms": until, "purge": draw(st.booleans())}
        )
    return Rules(grants=grants, pause_records=pause_records, erased=erased)


def without_time(letters: list[str]) -> list[dict]:
    out = []
    for letter in letters:
        doc = json.loads(letter)
        del doc["at"]
        out.append(doc)
    return out


def same_drops(new: Counter, old: Counter, dead: list[str]) -> None:
    """Equal, but for drops of dead letters counted at the time they were set aside."""
    if dead:
        assert sum(new.values()) == sum(old.values())
    else:
        assert new == old


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(takes=st.lists(items(), max_size=12), the_rules=rules(), version=st.none() | st.just("v9"))
def test_staging_in_one_pass_stages_what_the_old_code_staged(takes, the_rules, version):
    """Same entries staged, same bytes for Redis, same words, drops and dead letters."""
    entries, dead = stage.parse_entries(takes)
    old_entries, old_dead = old_parse_entries(takes)
    assert [Entry.from_doc(doc) for doc in entries] == old_entries
    assert without_time(dead) == without_time(old_dead)

    staged, rows, found, drops, more_dead = stage.stage_entries(
        entries, the_rules, SECRET, ORIGINS, version
    )
    old = old_stage_entries(old_entries, the_rules, SECRET, ORIGINS, version)
    assert staged == old[0]
    assert rows == [(s, m, j.encode(), d) for s, m, j, d in old[1]]
    assert found == old[2] == [record_words(s.record) for s in staged]
    assert without_time(more_dead) == without_time(old[4])
    same_drops(drops, old[3], more_dead)
    for (_, _, data, _), entry in zip(rows, staged, strict=True):
        assert Entry.decode(data) == entry


@st.composite
def valid_items(draw) -> bytes:
    """A queued entry of a consenting employee, at a valid time."""
    event = draw(events())
    event["ts"], event["id"] = NOW - draw(st.integers(0, DAY_MS)), draw(st.uuids().map(str))
    for name in ("url", "referrer", "from"):
        if name in event or name == "url":
            event[name] = draw(PLAIN_URL | URL)
    entry = Entry("alice", "sales", "clicks", NOW, None, event)
    return entry.encode().encode("utf-8", "surrogatepass")


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(takes=st.lists(valid_items(), max_size=8))
def test_valid_entries_stage_as_before(takes):
    """Entries that are staged (most of a real take): the same records, bytes and words."""
    the_rules = Rules(grants={"alice": {"clicks": 0}}, pause_records=[], erased={})
    entries, _ = stage.parse_entries(takes)
    staged, rows, found, drops, dead = stage.stage_entries(entries, the_rules, SECRET, ORIGINS)
    old = old_stage_entries(old_parse_entries(takes)[0], the_rules, SECRET, ORIGINS)
    assert staged == old[0]
    assert rows == [(s, m, j.encode(), d) for s, m, j, d in old[1]]
    assert found == old[2] and drops == old[3]
    assert without_time(dead) == without_time(old[4])


def test_the_bench_mixes_take_the_one_pass():
    """Valid events of every type are staged without the slow path."""
    doc = {"e": "alice", "t": "sales", "c": "clicks", "r": NOW, "ev": None}
    the_rules = Rules(grants={"alice": {"clicks": 0}}, pause_records=[], erased={})
    from workers.stager import Stager

    stager = Stager(the_rules, SECRET, ORIGINS, "v1", Memo())
    for kind in KINDS:
        event = make_event(kind, title="Order 4821 for jane@corp.example")
        event["ts"] = NOW
        item = stager.stage({**doc, "ev": event})
        assert isinstance(item, tuple), kind
