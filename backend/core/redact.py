"""Server-side redaction: the same rules the extension applies, applied again (docs/privacy.md).

A client that lies or has a bug must not get data through, so text is normalised before the rules
run: percent-encoding is decoded until nothing changes (`jane%2540corp.example` is an e-mail) and
Unicode is NFKC-folded (a full-width at sign is an `@`).

A worker redacts a take of events with one `Memo`: labels, titles and URLs repeat a lot, and each
distinct one is redacted once per take; the memo (and the raw text it holds) goes with the take.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from .origins import drop_default_port, without_default_port

# Unicode-aware: `jöhn@exämple.com` is an e-mail too.
EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
# 13-19 digits, optionally grouped by spaces or dashes: card-like, masked before shorter runs.
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# Phone numbers written with separators: 555-123-4567, (555) 123 4567, +1 555.123.4567.
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)|\d{2,4})[ .-]?\d{3,4}[ .-]\d{3,4}(?!\w)"
)
DIGITS = re.compile(r"\d{6,}")
EMAIL_MASK, CARD_MASK, PHONE_MASK, DIGITS_MASK = "[email]", "[card]", "[phone]", "[number]"
MAX_DECODE = 8  # rounds of percent-decoding; each round shortens the text, so this is ample
# ASCII text with no "@" or "%" and fewer than six digits is its own normal form and no pattern
# above can match it (an e-mail needs an "@"; a card 13 digits, a phone number 8, a digit run
# 6): it is returned as it is.
MAYBE_MASKED = re.compile(r"[@%]|\d(?:\D*\d){5}")
# What `quote` leaves alone (PATH_SAFE and ASCII letters and digits): a path made only of these
# (so no "%" either) is its own normal form and needs no re-encoding after the rules (the masks
# are made of these characters too).
PLAIN_PATH = re.compile(r"[A-Za-z0-9/\[\]@:!$&'()*+,;=._~-]*")

TEXT_FIELDS = ("title", "goal", "value")
URL_FIELDS = ("url", "referrer", "from")
WEB_SCHEMES = ("http", "https")
SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,31}")


# Unicode's format characters (category Cf, as of Unicode 15; extension/shared/redact.js strips
# exactly the same): invisible, yet a soft hyphen or a zero-width space inside a word or an e-mail
# address hides it from every rule (and, in the browser, from the typed-word mask).
FORMAT_CHARS = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f]"
)


def normalise(text: str) -> str:
    """Decode percent-encoding until stable, drop format characters, then NFKC-fold: what the
    rules match against."""
    for _ in range(MAX_DECODE):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return unicodedata.normalize("NFKC", FORMAT_CHARS.sub("", text))


def redact_text(text: str) -> str:
    """Mask e-mail addresses, card-like and phone numbers and digit runs of 6 or more."""
    if text.isascii() and not MAYBE_MASKED.search(text):
        return text
    text = EMAIL.sub(EMAIL_MASK, normalise(text))
    text = CARD.sub(CARD_MASK, text)
    text = PHONE.sub(PHONE_MASK, text)
    return DIGITS.sub(DIGITS_MASK, text)


def origin_url(url: str) -> str:
    """Return `scheme://host[:port]/` of a web URL (credentials and a default port dropped), or
    '' for none."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES or not parts.netloc:
        return ""
    return f"{scheme}://{without_default_port(scheme, parts.netloc.rsplit('@', 1)[-1])}/"


ROUTE = re.compile(r"^#!?/")
PATH_SAFE = "/[]@:!$&'()*+,;=-._~"


def redact_route(fragment: str) -> str:
    """Keep a hash route (`#/path`, `#!/path`) masked like a path, without its query; else ""."""
    route = ROUTE.match("#" + fragment)
    if not route:
        return ""
    path = fragment[len(route.group(0)) - 1 :].split("?", 1)[0]
    return route.group(0) + quote(redact_text(path), safe=PATH_SAFE)


# An http(s) URL with a plain host, a path of PLAIN_PATH characters (no brackets) and a query of
# printable ASCII, no fragment: `urlsplit` takes it apart exactly at these marks, and the result is
# its scheme, host and masked path (the query goes, or stays empty).
PLAIN_URL = re.compile(
    r"(https?://[A-Za-z0-9.-]+(?::[0-9]*)?)(/[A-Za-z0-9/@:!$&'()*+,;=._~-]*)?(\?[!-\"$-~]*)?"
)


def redact_url(url: str, allowed_params: frozenset[str] = frozenset()) -> str:
    """Drop every query parameter not allow-listed and any fragment but a hash route; mask paths.

    A URL that is not http(s) (`data:`, `javascript:`, `file:`) keeps its scheme only.
    """
    plain = PLAIN_URL.fullmatch(url)
    if plain and not (allowed_params and plain.group(3)):
        path = redact_text(plain.group(2) or "")
        return plain_origin(plain) + (path if not path or path[0] == "/" else "/" + path)
    return parsed_redact_url(url, allowed_params)


def plain_origin(plain: re.Match) -> str:
    """Return the scheme and host of a PLAIN_URL match, without the scheme's default port.

    Intake drops a default port (backend/core/events.py); an event queued by a backend from
    before that still has it, and its record must read as every other record of the page."""
    head = plain.group(1)
    return drop_default_port(head) if head.count(":") > 1 else head


def parsed_redact_url(url: str, allowed_params: frozenset[str] = frozenset()) -> str:
    """Return `redact_url(url, allowed_params)`, always taking the URL apart with `urlsplit`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "[invalid-url]"
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES:
        return f"{scheme}:" if SCHEME.fullmatch(scheme) else "[invalid-url]"
    query = (
        urlencode(
            [
                (k, redact_text(v))
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
                if k in allowed_params
            ]
        )
        if allowed_params and parts.query
        else ""
    )
    # Never keep credentials in a URL; a default port goes as in `plain_origin`.
    netloc = without_default_port(scheme, parts.netloc.rsplit("@", 1)[-1])
    return urlunsplit((scheme, netloc, redact_path(parts.path), query, "")) + redact_route(
        parts.fragment
    )


def redact_path(path: str) -> str:
    """Mask a URL path (decoded first by the rules) and encode it again."""
    if PLAIN_PATH.fullmatch(path):
        return redact_text(path)
    return quote(redact_text(path), safe=PATH_SAFE)


class Memo:
    """Redactions already made, by input: the same text or URL is redacted once.

    The functions are pure, so a remembered result is exactly what redacting again would give.
    """

    __slots__ = ("allowed_params", "texts", "urls")

    def __init__(self, allowed_params: frozenset[str] = frozenset()):
        self.texts: dict[str, str] = {}
        self.urls: dict[str, str] = {}
        self.allowed_params = allowed_params

    def text(self, text: str) -> str:
        """Return `redact_text(text)`."""
        out = self.texts.get(text)
        if out is None:
            out = self.texts[text] = redact_text(text)
        return out

    def url(self, url: str) -> str:
        """Return `redact_url(url, allowed_params)`."""
        out = self.urls.get(url)
        if out is None:
            out = self.urls[url] = redact_url(url, self.allowed_params)
        return out


def redact_event(
    event: dict,
    allowed_params: frozenset[str] = frozenset(),
    allowed_origins: frozenset[str] | None = None,
    memo: Memo | None = None,
) -> dict:
    """Return a copy of `event` with every text and URL field redacted.

    With `allowed_origins`, a referrer or `from` URL on another origin keeps its origin at most.
    `memo` (made with the same `allowed_params`) remembers redactions across calls.
    """
    if memo is None:
        memo = Memo(allowed_params)
    elif memo.allowed_params != allowed_params:
        raise ValueError("the memo was made for other allowed parameters")
    out = dict(event)
    for name in URL_FIELDS:
        if isinstance(out.get(name), str):
            out[name] = memo.url(out[name])
            if name != "url" and allowed_origins is not None:
                origin = origin_url(out[name])
                if origin.rstrip("/") not in allowed_origins:
                    out[name] = origin or out[name]
    for name in TEXT_FIELDS:
        if isinstance(out.get(name), str):
            out[name] = memo.text(out[name])
    target = out.get("target")
    if isinstance(target, dict):
        target = dict(target)
        if isinstance(target.get("label"), str):
            target["label"] = memo.text(target["label"])[:80]
        if isinstance(target.get("selector"), str):
            target["selector"] = memo.text(target["selector"])
        out["target"] = target
    if isinstance(out.get("elements"), list):
        out["elements"] = [_redact_element(e, memo) for e in out["elements"]]
    return out


def _redact_element(element: dict, memo: Memo) -> dict:
    """Return an observation's element with its label redacted (itself when nothing changes)."""
    if not isinstance(element, dict) or not isinstance(element.get("label"), str):
        return element
    label = element["label"]
    redacted = memo.text(label)[:80]
    return element if redacted == label else {**element, "label": redacted}
