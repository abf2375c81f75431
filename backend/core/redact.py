"""Server-side redaction: the same rules the extension applies, applied again (docs/privacy.md)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# 13-19 digits, optionally grouped by spaces or dashes: card-like, masked before shorter runs.
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
DIGITS = re.compile(r"\d{6,}")
EMAIL_MASK, CARD_MASK, DIGITS_MASK = "[email]", "[card]", "[number]"
# Every pattern above needs a digit or an "@": text with neither is returned as it is.
MAYBE_MASKED = re.compile(r"[\d@]")
# What `quote` leaves alone and `unquote` does not change: such a path needs no decoding and
# no re-encoding (the masks are made of these characters too).
PATH_SAFE = "/[]@:!$&'()*+,;=-._~"
PLAIN_PATH = re.compile(r"[A-Za-z0-9/\[\]@:!$&'()*+,;=._~-]*")

TEXT_FIELDS = ("title",)
URL_FIELDS = ("url", "referrer", "from")


def redact_text(text: str) -> str:
    """Mask e-mail addresses, card-like numbers and digit runs of 6 or more."""
    if not MAYBE_MASKED.search(text):
        return text
    text = EMAIL.sub(EMAIL_MASK, text)
    text = CARD.sub(CARD_MASK, text)
    return DIGITS.sub(DIGITS_MASK, text)


def redact_url(url: str, allowed_params: frozenset[str] = frozenset()) -> str:
    """Drop the fragment and every query parameter not allow-listed; mask the path."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "[invalid-url]"
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
    netloc = parts.netloc.rsplit("@", 1)[-1]  # never keep credentials in a URL
    return urlunsplit((parts.scheme, netloc, redact_path(parts.path), query, ""))


def redact_path(path: str) -> str:
    """Mask a URL path; decode it first: "ann%40corp.com" in a path is an e-mail address too."""
    if PLAIN_PATH.fullmatch(path):
        return redact_text(path)
    return quote(redact_text(unquote(path)), safe=PATH_SAFE)


def redact_event(event: dict, allowed_params: frozenset[str] = frozenset()) -> dict:
    """Return a copy of `event` with every text and URL field redacted."""
    out = dict(event)
    for name in URL_FIELDS:
        if isinstance(out.get(name), str):
            out[name] = redact_url(out[name], allowed_params)
    for name in TEXT_FIELDS:
        if isinstance(out.get(name), str):
            out[name] = redact_text(out[name])
    target = out.get("target")
    if isinstance(target, dict):
        target = dict(target)
        if isinstance(target.get("label"), str):
            target["label"] = redact_text(target["label"])[:80]
        if isinstance(target.get("selector"), str):
            target["selector"] = redact_text(target["selector"])
        out["target"] = target
    return out
