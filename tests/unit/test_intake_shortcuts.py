"""Intake's origin prefix check decides as the plain `urlsplit` check does."""

from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from backend.core.intake import origin_matcher, origin_of
from backend.core.origins import DEFAULT_PORTS, drop_default_port

HOSTS = st.sampled_from(["app.example.com", "app.example.com:8443", "a", "[::1]", "x[y", "B.com"])
SCHEMES = st.sampled_from(["https", "http", "HTTPS", "ftp", "h t"])
TAILS = st.one_of(
    st.sampled_from(["", "/", "/p?q=1", "?a", "#f", ":80/", "\t/x", ".evil.com/", "@b.com/"]),
    st.sampled_from([":443", ":443/x", ":0443/", ":80", ":8080/", ":/", ":443@b.com/"]),
    st.sampled_from(
        [":443\N{SUPERSCRIPT TWO}/", ":\N{FULLWIDTH DIGIT EIGHT}\N{FULLWIDTH DIGIT ZERO}/"]
    ),
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
    # Only ASCII digits make a port: "²" made int() fail, and full-width digits make none.
    assert not https("https://app.example.com:443\N{SUPERSCRIPT TWO}/x")
    assert not origin_matcher(["http://host"])("http://host:\uff18\uff10/x")


@given(urls())
def test_dropping_the_default_port_keeps_the_origin(url):
    """A URL without its default port has the same origin, and no default port is left (for
    URLs `urlsplit` reads as they are written: no tab, newline or leading space)."""
    out = drop_default_port(url)
    assert origin_of(out) == origin_of(url)
    assert drop_default_port(out) == out
    if out == url or not url.isprintable() or url != url.strip():
        return
    try:
        parts = urlsplit(out)
    except ValueError:  # an unbalanced "[": no origin either
        return
    port = parts.netloc.rpartition(":")[2]
    assert not (port.isdigit() and int(port) == DEFAULT_PORTS.get(parts.scheme)), out


def test_only_a_default_port_is_dropped():
    """`:443` on https and `:80` on http go, with the rest of the URL as it was; others stay."""
    assert (
        drop_default_port("https://app.example.com:443/x?q=1#f")
        == "https://app.example.com/x?q=1#f"
    )
    assert drop_default_port("https://app.example.com:443") == "https://app.example.com"
    assert drop_default_port("http://intranet:80/a") == "http://intranet/a"
    assert drop_default_port("HTTPS://App.example.com:0443/") == "HTTPS://App.example.com/"
    assert drop_default_port("https://[::1]:443/x") == "https://[::1]/x"
    assert drop_default_port("https://a.example:/x") == "https://a.example/x"
    for kept in (
        "http://intranet:443/a",
        "https://app.example.com:8443/x",
        "https://app.example.com/x:443",
        "https://app.example.com/?next=https://b:443/",
        "ftp://files:21/x",
        "data:text/plain,https://a:443",
        "https://host:443@evil.example/",
    ):
        assert drop_default_port(kept) == kept
