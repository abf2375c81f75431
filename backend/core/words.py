"""The words of a dataset record that the rarity gate counts and masks (see docs/privacy.md).

Gated texts: `target.label`, the labels of an observation's `elements`, a change's `value`,
`title`, the path of `url`, `from` and `referrer` (scheme, host and the allow-listed query are
not words: the origin is a work app the admin named), and the id and test-attribute values in
`target.selector` (`#tab-jane-doe`, `[data-testid="call-jane"]`: an app may build them from a
record; tag names and positions are structure, not words). A task's `goal` is not gated: the
employee wrote it to share it (it is redacted like any text). A word is a maximal run of
letters and digits, compared case-folded ("Save" and "save" are one word); so a path segment
splits into words at anything else (`jane-doe_2.pdf` is `jane`, `doe`, `2`, `pdf`) and `/`
never belongs to a word. Placeholders the redaction rules write (`[email]`, `[typed]`,
`[rare]`, ...) are kept as they are and never counted; any other bracketed text is just words.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from urllib.parse import quote, unquote

RARE = "[rare]"
PLACEHOLDERS = (
    "[email]",
    "[card]",
    "[number]",
    "[phone]",
    "[invalid-url]",
    "[typed]",
    "[content]",
    RARE,
)
PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))
WORD = re.compile(r"[^\W_]+")
# A placeholder first, so the word inside it is never taken as a word of its own.
TOKEN = re.compile("(" + PLACEHOLDER.pattern + r")|[^\W_]+")
# Rare words next to each other become one `[rare]`: the count of hidden words is hidden too.
RARE_RUN = re.compile(re.escape(RARE) + r"(?:\s+" + re.escape(RARE) + ")+")
LABEL_MAX = 80
TEXT_FIELDS = ("title", "value")
URL_FIELDS = ("url", "from", "referrer")
# A redacted URL is scheme://host[:port] + path + the allow-listed query, or a non-web URL's
# scheme alone (`data:`; backend/core/redact.py); anything else is taken as a path, so all of it
# is gated.
URL_PARTS = re.compile(r"([^:/?#]+://[^/?#]*|[a-z][a-z0-9+.-]{0,31}:$)([^?#]*)(.*)", re.DOTALL)
# The same characters backend/core/redact.py leaves unescaped in a path.
PATH_SAFE = "/[]@:!$&'()*+,;=-._~"
# The values a selector names elements by (extension/shared/selector.js writes ids as `#id` and
# test attributes as `[name="value"]`): group 1 an id, groups 2-3 an attribute's name and value.
SELECTOR_VALUE = re.compile(r'#([A-Za-z][\w-]*)|\[([\w-]+)="([^"]*)"\]')


@functools.lru_cache(maxsize=1 << 16)  # labels, titles and paths repeat a lot
def words(text: str) -> tuple[str, ...]:
    """Return the case-folded words of `text`, placeholders left out."""
    if "[" in text:
        text = PLACEHOLDER.sub(" ", text)
    if text.isascii():  # the common case: folding the text first finds the same words
        return tuple(WORD.findall(text.lower()))
    # Each word is case-folded on its own, exactly as mask_text compares it.
    return tuple(w.casefold() for w in WORD.findall(text))


def mask_text(text: str, keep: Callable[[str], bool]) -> tuple[str, int]:
    """Replace each word of `text` that `keep` refuses with `[rare]`; return it and the count."""
    if all(keep(w) for w in words(text)):
        return text, 0
    masked = 0

    def sub(match: re.Match) -> str:
        nonlocal masked
        if match.group(1) is not None or keep(match.group(0).casefold()):
            return match.group(0)
        masked += 1
        return RARE

    text = TOKEN.sub(sub, text)
    return (RARE_RUN.sub(RARE, text) if masked else text), masked


def cut(label: str, limit: int = LABEL_MAX) -> str:
    """Cut a label to `limit` characters without leaving half a placeholder at its end."""
    if len(label) <= limit:
        return label
    label = label[:limit]
    opening = label.rfind("[")
    return label[:opening].rstrip() if opening > label.rfind("]") else label


def split_url(url: str) -> tuple[str, str, str]:
    """Return (scheme://host, decoded path, ?query) of a redacted URL."""
    match = URL_PARTS.match(url)
    head, path, tail = match.groups() if match else ("", url, "")
    return head, (unquote(path) if "%" in path else path), tail


def url_path(url: str) -> str:
    """Return the decoded path of a (redacted) URL."""
    return split_url(url)[1]


def split_route(tail: str) -> tuple[str, str]:
    """Return (?query, #/route) of a URL's tail; a hash route is gated like a path."""
    query, hash_mark, route = tail.partition("#")
    return query, hash_mark + route


def _mask_path(path: str, keep: Callable[[str], bool], safe: str = PATH_SAFE) -> tuple[str, int]:
    decoded = unquote(path) if "%" in path else path
    masked_path, masked = mask_text(decoded, keep)
    if not masked:
        return path, 0
    return (quote(masked_path, safe=safe) if "%" in path else masked_path), masked


def mask_url(url: str, keep: Callable[[str], bool]) -> tuple[str, int]:
    """Mask the refused words of a URL's path and hash route; scheme, host and query stay."""
    match = URL_PARTS.match(url)
    head, path, tail = match.groups() if match else ("", url, "")
    query, route = split_route(tail)
    path, masked = _mask_path(path, keep)
    route, route_masked = _mask_path(route, keep, PATH_SAFE + "#")
    if not masked + route_masked:
        return url, 0
    return head + path + query + route, masked + route_masked


def record_words(record: dict, found: set[str] | None = None) -> set[str]:
    """Return the distinct gated words of a record (added to `found` when given)."""
    found = set() if found is None else found
    for name in TEXT_FIELDS:
        text = record.get(name)
        if isinstance(text, str):
            found.update(words(text))
    for name in URL_FIELDS:
        url = record.get(name)
        if isinstance(url, str):
            found.update(url_words(url))
    target = record.get("target")
    if isinstance(target, dict):
        if isinstance(target.get("label"), str):
            found.update(words(target["label"]))
        if isinstance(target.get("selector"), str):
            found.update(selector_words(target["selector"]))
    for element in record.get("elements") or ():
        if isinstance(element.get("label"), str):
            found.update(words(element["label"]))
    return found


@functools.lru_cache(maxsize=1 << 16)
def selector_words(selector: str) -> tuple[str, ...]:
    """Return the case-folded words of a selector's ids and attribute values."""
    if "#" not in selector and '="' not in selector:  # positions only: the usual selector
        return ()
    found: tuple[str, ...] = ()
    for match in SELECTOR_VALUE.finditer(selector):
        found += words(match.group(1) if match.group(1) is not None else match.group(3))
    return found


def mask_selector(selector: str, keep: Callable[[str], bool]) -> tuple[str, int]:
    """Mask the refused words of a selector's ids and attribute values. An id holding one is
    written as an attribute (`#tab-jane` becomes `[id="tab-[rare]"]`), which stays valid CSS."""
    total = 0

    def sub(match: re.Match) -> str:
        nonlocal total
        name, value = ("id", match.group(1)) if match.group(1) is not None else match.group(2, 3)
        masked, n = mask_text(value, keep)
        if not n:
            return match.group(0)
        total += n
        return f'[{name}="{masked}"]'

    if not selector_words(selector):
        return selector, 0
    selector = SELECTOR_VALUE.sub(sub, selector)
    return selector, total


@functools.lru_cache(maxsize=1 << 16)
def url_words(url: str) -> tuple[str, ...]:
    """Return the case-folded words of a URL's path and hash route."""
    route = split_route(split_url(url)[2])[1]
    return words(url_path(url)) + words(unquote(route) if "%" in route else route)


def mask_record(record: dict, keep: Callable[[str], bool]) -> tuple[dict, int]:
    """Return a copy of `record` with refused words masked, and how many were masked."""
    out, total = dict(record), 0
    for name in TEXT_FIELDS:
        if isinstance(out.get(name), str):
            out[name], n = mask_text(out[name], keep)
            total += n
    for name in URL_FIELDS:
        if isinstance(out.get(name), str):
            out[name], n = mask_url(out[name], keep)
            total += n
    target = out.get("target")
    if isinstance(target, dict) and isinstance(target.get("label"), str):
        label, n = mask_text(target["label"], keep)
        out["target"] = target = {**target, "label": cut(label)}
        total += n
    if isinstance(target, dict) and isinstance(target.get("selector"), str):
        selector, n = mask_selector(target["selector"], keep)
        if n:
            out["target"] = {**target, "selector": selector}
            total += n
    if out.get("elements"):
        out["elements"], n = mask_elements(out["elements"], keep)
        total += n
    return out, total


def mask_elements(elements: list[dict], keep: Callable[[str], bool]) -> tuple[list[dict], int]:
    """Return an observation's elements with refused words of their labels masked."""
    out, total = [], 0
    for element in elements:
        if isinstance(element.get("label"), str):
            label, n = mask_text(element["label"], keep)
            if n:
                element = {**element, "label": cut(label)}
                total += n
        out.append(element)
    return out, total
