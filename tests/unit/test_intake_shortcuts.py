"""Intake's origin prefix check decides as the plain `urlsplit` check does."""

from hypothesis import given
from hypothesis import strategies as st

from backend.core.intake import origin_matcher, origin_of

HOSTS = st.sampled_from(["app.example.com", "app.example.com:8443", "a", "[::1]", "x[y", "B.com"])
SCHEMES = st.sampled_from(["https", "http", "HTTPS", "ftp", "h t"])
TAILS = st.one_of(
    st.sampled_from(["", "/", "/p?q=1", "?a", "#f", ":80/", "\t/x", ".evil.com/", "@b.com/"]),
    st.sampled_from([":443", ":443/x", ":0443/", ":80", ":8080/", ":/", ":443@b.com/"]),
    st.text(max_size=12),
)


@st.composite
def urls(draw):
    return f"{draw(SCHEMES)}://{draw(HOSTS)}{draw(TAILS)}"


@given(st.lists(urls(), max_size=3), urls())
def test_origin_matcher_decides_as_origin_of(allowed, url):
    origins = {origin_of(u) or u for u in allowed}
    assert origin_matcher(allowed)(url) == (origin_of(url) in origins)


def test_the_default_port_is_the_same_origin():
    """`:443` on https and `:80` on http name the origin without a port, on either side."""
    https = origin_matcher(["https://app.example.com"])
    assert https("https://app.example.com:443/x") and https("https://app.example.com:443")
    assert https("https://app.example.com:0443/x?q=1")
    assert not https("https://app.example.com:8443/x")
    assert not https("http://app.example.com:443/x")
    assert origin_matcher(["http://host"])("http://host:80/x")
    assert not origin_matcher(["http://host"])("http://host:443/x")
    assert origin_matcher(["https://app.example.com:443"])("https://app.example.com/x")
    assert origin_of("https://[::1]:443/x") == "https://[::1]"
    assert origin_of("http://host:8080/x") == "http://host:8080"
