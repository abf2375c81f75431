"""The plain-URL shortcut of redact_url gives exactly what taking the URL apart gives."""

from hypothesis import given
from hypothesis import strategies as st

from backend.core.redact import PLAIN_URL, parsed_redact_url, redact_url

# Characters that matter to urlsplit, to the shortcut's pattern and to the masking rules.
PART = st.lists(
    st.sampled_from(list("aZ09./:@?#%&=+-_~!$'()*,;[] \t\n\x00é漢\uff20")) | st.text(max_size=3),
    max_size=30,
).map("".join)
URL = st.one_of(
    st.builds(
        lambda scheme, host, port, path, query: f"{scheme}://{host}{port}{path}{query}",
        st.sampled_from(["http", "https", "HTTPS", "ftp", "http:"]),
        st.sampled_from(["app.example.com", "a-b.c", "x", "", "[::1]", "user:pw@h", "Ex.COM"]),
        st.sampled_from(["", ":8080", ":", ":x", ":443", ":80", ":0443"]),
        st.one_of(PART, PART.map(lambda p: "/" + p)),
        st.one_of(st.just(""), PART.map(lambda q: "?" + q)),
    ),
    st.text(max_size=40),
)
PARAMS = st.sampled_from([frozenset(), frozenset({"page"}), frozenset({"q", "a"})])


@given(URL, PARAMS)
def test_shortcut_matches_the_parsed_url(url, params):
    assert redact_url(url, params) == parsed_redact_url(url, params)


def test_shortcut_is_taken_for_plain_urls():
    for url in (
        "https://app.example.com/orders/12345678",
        "http://h:8080/a/b?x=1&y=2",
        "https://app.example.com",
        "https://app.example.com/u/jane@corp.example/x",
    ):
        assert PLAIN_URL.fullmatch(url), url
        assert redact_url(url) == parsed_redact_url(url)
    assert redact_url("https://app.example.com/orders/12345678") == (
        "https://app.example.com/orders/[number]"
    )
    assert redact_url("https://h/u/jane@corp.example/x?q=1") == "https://h/u/[email]/x"


def test_a_default_port_goes_from_every_url():
    """Intake drops a default port; an event queued by a backend from before that keeps it, and
    its records must name the page as every other record does."""
    for url, redacted in (
        ("https://app.example.com:443/orders/7", "https://app.example.com/orders/7"),
        ("http://app.example.com:80", "http://app.example.com"),
        ("https://app.example.com:443/a?q=1#/r/2", "https://app.example.com/a#/r/2"),
        ("https://u:pw@app.example.com:443/a", "https://app.example.com/a"),
        ("https://app.example.com:8443/a", "https://app.example.com:8443/a"),
        ("http://app.example.com:443/a", "http://app.example.com:443/a"),
    ):
        assert redact_url(url) == redacted, url
        assert parsed_redact_url(url) == redacted, url
