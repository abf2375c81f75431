"""records.parse reads entries as json.loads does; staged ones read back as json wrote them."""

import json
import math

from hypothesis import given
from hypothesis import strategies as st

from backend.core.records import Entry, dumps_staged, employee_needle, parse, parse_checked

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | st.text()
    | st.sampled_from(["\ud800", "a\udfffb", "\U0001f600", "9" * 25])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@given(VALUES, st.booleans(), st.booleans())
def test_parse_is_json_loads(value, ascii_only, as_bytes):
    text = json.dumps(value, ensure_ascii=ascii_only)
    raw = text.encode("utf-8", "surrogatepass") if as_bytes else text
    assert same(parse(raw), json.loads(raw))


def test_parse_refuses_what_json_loads_refuses():
    for raw in (b"", b"{", b'{"a":1,}', b"\xff{}", "{"):
        try:
            json.loads(raw)
        except ValueError as err:
            expected = type(err)
        try:
            parse(raw)
        except ValueError as err:
            assert isinstance(err, expected)
        else:
            raise AssertionError(f"{raw!r} parsed")


def test_a_huge_timestamp_stays_an_integer():
    raw = Entry("e", "t", "c", 1, event={"ts": 10**30}).encode()
    assert Entry.decode(raw.encode()).event["ts"] == 10**30


@given(st.text(max_size=8), VALUES)
def test_a_staged_entry_reads_back_as_json_wrote_it(employee, record):
    doc = {"e": employee, "t": "team", "c": "pages", "r": 1, "rec": {"ts": 1, "x": record}}
    expected = json.loads(json.dumps(doc, separators=(",", ":")))
    text = dumps_staged(doc)
    assert same(parse(text), expected)
    assert same(parse(text.encode("utf-8", "surrogatepass")), expected)
    assert employee_needle(employee) in text.encode("utf-8", "surrogatepass")


def test_a_lone_surrogate_in_a_staged_entry_is_set_aside_however_it_is_written():
    from workers.batches import sealable_items

    record = {"id": "x", "type": "page_view", "category": "pages", "contributor": "p", "ts": 1}
    plain = Entry("e", "t", "pages", 1, record={**record, "url": "https://h/a"}).encode().encode()
    escaped = plain.replace(b"/a", b"/\\ud800")
    encoded = plain.replace(b"/a", "/\ud800".encode("utf-8", "surrogatepass"))
    assert parse_checked(plain)[1] and not parse_checked(escaped)[1]
    assert not parse_checked(encoded)[1]
    items, dead = sealable_items([plain, escaped, encoded])
    assert [i.record["url"] for i in items] == ["https://h/a"]
    assert len(dead) == 2 and all("not valid Unicode" in json.loads(d)["reason"] for d in dead)
