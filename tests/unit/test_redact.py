"""Server-side redaction rules (the same rule set the extension applies first)."""

from backend.core.redact import redact_event, redact_text, redact_url


def test_emails_cards_and_digit_runs_are_masked():
    """E-mail addresses, card-like numbers and runs of 6+ digits never survive."""
    text = "Ann ann.lee+x@corp.example.com paid 4111 1111 1111 1111 ref 00123456 room 12345"
    out = redact_text(text)
    assert "ann.lee" not in out and "4111" not in out and "00123456" not in out
    assert out == "Ann [email] paid [card] ref [number] room 12345"


def test_card_with_dashes():
    """Card numbers grouped by dashes are cards too."""
    assert redact_text("5500-0000-0000-0004") == "[card]"


def test_url_query_and_fragment_are_stripped_except_allow_listed():
    """Only allow-listed parameter names survive; fragments never do."""
    url = "https://app.example.com/a/b?token=s3cr3t&page=2&email=x@y.io#access_token=abc"
    assert redact_url(url) == "https://app.example.com/a/b"
    assert redact_url(url, frozenset({"page"})) == "https://app.example.com/a/b?page=2"


def test_url_path_and_credentials_are_redacted():
    """Ids in the path are masked and user:password@ is removed."""
    out = redact_url("https://bob:pw@app.example.com/users/bob@corp.com/orders/123456789")
    assert out == "https://app.example.com/users/[email]/orders/[number]"


def test_event_fields_are_all_covered():
    """url, referrer, from, title and the target label are each redacted."""
    event = {
        "type": "route_change",
        "url": "https://a.example.com/x?q=1",
        "from": "https://a.example.com/u/1234567",
        "referrer": "https://a.example.com/?t=9",
        "title": "Inbox of ann@corp.com",
        "target": {"selector": "#row-12345678", "tag": "a", "label": "Call 0123456789"},
    }
    out = redact_event(event)
    assert out["url"] == "https://a.example.com/x"
    assert out["from"] == "https://a.example.com/u/[number]"
    assert out["referrer"] == "https://a.example.com/"
    assert out["title"] == "Inbox of [email]"
    assert out["target"] == {"selector": "#row-[number]", "tag": "a", "label": "Call [number]"}
    assert event["title"] == "Inbox of ann@corp.com", "the input is not modified"


def test_percent_encoded_secrets_in_the_path():
    """Encoding an e-mail or a number in the path does not hide it from the rules."""
    out = redact_url("https://app.example.com/u/ann%40corp.com/%31%32%33%34%35%36%37")
    assert out == "https://app.example.com/u/[email]/[number]"


def test_a_malformed_escape_does_not_stop_the_rest_being_decoded():
    """As extension/shared/redact.js (tests/js/redact.test.mjs): "20%" is no escape."""
    assert redact_url("http://h:8123/users/jane%40example.com/50%") == (
        "http://h:8123/users/[email]/50%25"
    )
    assert redact_url("http://h/#/search/caf%C3%A9%20jane%40example.com%2020%") == (
        "http://h/#/search/caf%C3%A9%20[email]%2020%25"
    )
    assert redact_text("50% off for jane%40example.com, caf%C3%A9 %E9t%C3") == (
        "50% off for [email], café \ufffdt\ufffd"
    )
    assert redact_text("a%2 %%41 %25%34%31 %C3%28") == "a%2 %A A \ufffd("


def test_hash_routes_are_kept_and_masked_like_paths():
    """`#/path` and `#!/path` are routes: kept, masked, without their own query."""
    base = "https://app.example.com/"
    assert redact_url(base + "#/tickets/12345678?q=x") == base + "#/tickets/[number]"
    assert redact_url(base + "#!/u/ann%40corp.com") == base + "#!/u/[email]"
    assert redact_url(base + "#section-2") == base
    assert redact_url(base + "#access_token=abc/def") == base


def test_double_encoded_and_full_width_emails():
    """Percent-encoding is decoded until stable and Unicode NFKC-folded before matching."""
    assert redact_url("https://app.example.com/u/jane.doe%2540corp.example/x") == (
        "https://app.example.com/u/[email]/x"
    )
    assert redact_url("https://app.example.com/u/jane%252540corp.example") == (
        "https://app.example.com/u/[email]"
    )
    assert redact_text("mail jane\uff20corp.example") == "mail [email]"
    assert redact_text("jöhn.döe@exämple.com wrote") == "[email] wrote"


def test_phone_numbers_with_separators():
    """Phone numbers written with dashes, dots, spaces or brackets are masked; dates are not."""
    text = "call 555-123-4567, (555) 123 4567 or +1 555.123.4567 by 2024-01-15 (v1.2.3)"
    assert redact_text(text) == "call [phone], [phone] or [phone] by 2024-01-15 (v1.2.3)"


def test_non_web_urls_keep_their_scheme_only():
    """data:, javascript: and file: URLs carry content in themselves: only the scheme is kept."""
    assert redact_url("data:text/plain,Patient%20Jane%20diagnosis") == "data:"
    assert redact_url("javascript:alert(document.cookie)") == "javascript:"
    assert redact_url("file:///home/jane/notes.txt") == "file:"


def test_foreign_referrer_keeps_its_origin_at_most():
    """A referrer or `from` outside the allowed origins keeps its origin; own ones keep a path."""
    event = {
        "type": "page_view",
        "url": "https://app.example.com/a",
        "referrer": "https://mail.example.org/inbox/jane/msg/42?x=1",
        "from": "https://app.example.com/b/c",
    }
    out = redact_event(event, allowed_origins=frozenset({"https://app.example.com"}))
    assert out["referrer"] == "https://mail.example.org/"
    assert out["from"] == "https://app.example.com/b/c"
    data = redact_event({**event, "referrer": "data:text/html,secret"}, allowed_origins=frozenset())
    assert data["referrer"] == "data:"


def test_a_referrer_with_the_default_port_is_on_its_origin():
    """`:443` on https names the same origin: an allowed one keeps its path, a foreign one is
    kept as its origin; neither keeps the port."""
    event = {
        "type": "page_view",
        "url": "https://app.example.com/a",
        "referrer": "https://mail.example.org:443/inbox/jane",
        "from": "https://app.example.com:443/b/c",
    }
    out = redact_event(event, allowed_origins=frozenset({"https://app.example.com"}))
    assert out["referrer"] == "https://mail.example.org/"
    assert out["from"] == "https://app.example.com/b/c"
