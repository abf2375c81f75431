"""The words of a dataset record that the rarity gate counts and masks (see docs/privacy.md).

Gated texts: `target.label`, `title`, and the path of `url`, `from` and `referrer` (scheme, host
and the allow-listed query are not words: the origin is a work app the admin named). A word is a
maximal run of letters and digits, compared case-folded ("Save" and "save" are one word); so a
path segment splits into words at anything else (`jane-doe_2.pdf` is `jane`, `doe`, `2`, `pdf`)
and `/` never belongs to a word. Placeholders the redaction rules write (`[email]`, `[typed]`,
`[rare]`, ...) are kept as they are and never counted; any other bracketed text is just words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import quote, unquote, urlsplit, urlunsplit

RARE = "[rare]"
PLACEHOLDERS = (
    "[email]",
    "[card]",
    "[number]",
    "[invalid-url]",
    "[typed]",
    "[content]",
    RARE,
)
# A placeholder first, so the word inside it is never taken as a word of its own.
TOKEN = re.compile("(" + "|".join(re.escape(p) for p in PLACEHOLDERS) + r")|[^\W_]+")
TEXT_FIELDS = ("title",)
URL_FIELDS = ("url", "from", "referrer")
# Rare words next to each other become one `[rare]`: the count of hidden words is hidden too.
RARE_RUN = re.compile(re.escape(RARE) + r"(?:\s+" + re.escape(RARE) + ")+")
LABEL_MAX = 80
# The same characters workers/redact.py leaves unescaped in a path.
PATH_SAFE = "/[]@:!$&'()*+,;=-._~"


def words(text: str) -> Iterator[str]:
    """Yield the case-folded words of `text`, placeholders left out."""
    for match in TOKEN.finditer(text):
        if match.group(1) is None:
            yield match.group(0).casefold()


def mask_text(text: str, keep: Callable[[str], bool]) -> tuple[str, int]:
    """Replace each word of `text` that `keep` refuses with `[rare]`; return it and the count."""
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


def url_path(url: str) -> str:
    """Return the decoded path of a (redacted) URL, or "" when it has none."""
    try:
        return unquote(urlsplit(url).path)
    except ValueError:
        return ""


def mask_url(url: str, keep: Callable[[str], bool]) -> tuple[str, int]:
    """Mask the refused words of a URL's path; scheme, host and query stay as they are."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, 0
    path, masked = mask_text(unquote(parts.path), keep)
    if not masked:
        return url, 0
    return urlunsplit(parts._replace(path=quote(path, safe=PATH_SAFE))), masked


def gated_texts(record: dict) -> Iterator[str]:
    """Yield every text of `record` whose words are gated (URLs as their decoded paths)."""
    for name in TEXT_FIELDS:
        if isinstance(record.get(name), str):
            yield record[name]
    for name in URL_FIELDS:
        if isinstance(record.get(name), str):
            yield url_path(record[name])
    target = record.get("target")
    if isinstance(target, dict) and isinstance(target.get("label"), str):
        yield target["label"]


def record_words(record: dict) -> set[str]:
    """Return the distinct gated words of a record."""
    return {w for text in gated_texts(record) for w in words(text)}


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
        out["target"] = {**target, "label": cut(label)}
        total += n
    return out, total
