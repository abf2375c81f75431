"""Intake's origin prefix check decides as the plain `urlsplit` check does."""

from hypothesis import given
from hypothesis import strategies as st

from backend.core.intake import origin_matcher, origin_of

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
