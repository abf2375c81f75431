"""Intake's shortcuts (origin prefix check, entry encoding) agree with the plain code."""

import json

from hypothesis import given
from hypothesis import strategies as st

from backend.core.employees import Identity
from backend.core.intake import encode_entry, entry_head, origin_matcher, origin_of

HOSTS = st.sampled_from(["app.example.com", "app.example.com:8443", "a", "[::1]", "x[y", "B.com"])
SCHEMES = st.sampled_from(["https", "http", "HTTPS", "ftp", "h t"])
TAILS = st.one_of(
    st.sampled_from(["", "/", "/p?q=1", "?a", "#f", ":80/", "\t/x", ".evil.com/", "@b.com/"]),
    st.text(max_size=12),
)


@st.composite
def urls(draw):
    return f"{draw(SCHEMES)}://{draw(HOSTS)}{draw(TAILS)}"


@given(st.lists(urls(), max_size=3), urls())
def test_origin_matcher_decides_as_origin_of(allowed, url):
    allowed = [origin_of(u) or u for u in allowed]
    assert origin_matcher(allowed)(url) == (origin_of(url) in set(allowed))


@given(
    st.text(),
    st.text(),
    st.text(),
    st.text(),
    st.integers(0, 2**53),
    st.dictionaries(
        st.text(),
        st.one_of(st.text(), st.integers(), st.none(), st.dictionaries(st.text(), st.text())),
    ),
)
def test_entry_is_the_compact_json_of_the_entry_dict(employee, team, device, category, r, event):
    ident = Identity(employee=employee, team=team, device=device)
    entry = {"e": employee, "t": team, "d": device, "c": category, "r": r, "ev": event}
    assert encode_entry(entry_head(ident), category, r, event) == json.dumps(
        entry, separators=(",", ":")
    )
