"""What the rarity gate does per batch at sealing: hash its words, mask its rare ones.

`hash_words` hashes each distinct word of a batch once, exactly as `rarity.word_hash` does, from
a copy of one keyed BLAKE2b state (keying a new state costs a compression of its own), without
filling `word_hash`'s cache with words that will never come back. `Masker` masks one batch's
records for one set of rare words exactly as `words.mask_record` does, but each distinct text,
URL and label once per batch (titles, labels and referrers repeat), and a field whose words are
all common is left alone after one set operation (`isdisjoint`) instead of a test per word.
tests/unit/test_seal_oracle.py checks both against copies of the code they replace.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from urllib.parse import quote, unquote

from .words import (
    LABEL_MAX,
    PATH_SAFE,
    RARE,
    RARE_RUN,
    TEXT_FIELDS,
    URL_FIELDS,
    URL_PARTS,
    WORD,
    cut,
    mask_selector,
    mask_text,
    split_route,
    url_words,
    words,
)

# Splits a text into [between, word, between, word, ..., between]: the words `words.TOKEN`
# finds in a text without `[` (every placeholder starts with one).
WORD_SPLIT = re.compile("(" + WORD.pattern + ")")


def hash_words(key: bytes, found: Iterable[str]) -> dict[str, bytes]:
    """Return word -> its 8-byte keyed hash (`rarity.word_hash`) for each of `found`."""
    base = hashlib.blake2b(digest_size=8, key=key)
    out = {}
    for word in found:
        state = base.copy()
        state.update(word.encode())
        out[word] = state.digest()
    return out


class Masker:
    """Masks the `rare` words of one batch's records; each distinct string is masked once."""

    def __init__(self, rare: set[str]):
        self.rare = rare
        self.texts: dict[str, tuple[str, int]] = {}
        self.urls: dict[str, tuple[str, int]] = {}

    def keep(self, word: str) -> bool:
        """Return whether `word` is sealed as it is (it is not rare)."""
        return word not in self.rare

    def text(self, text: str) -> tuple[str, int]:
        """Return `words.mask_text(text, self.keep)`."""
        done = self.texts.get(text)
        if done is None:
            if self.rare.isdisjoint(words(text)):
                done = (text, 0)
            elif "[" in text:
                done = mask_text(text, self.keep)
            else:  # no placeholder: each word found by a split, no call per word
                parts, rare, masked = WORD_SPLIT.split(text), self.rare, 0
                for i in range(1, len(parts), 2):
                    if parts[i].casefold() in rare:
                        parts[i] = RARE
                        masked += 1
                masked_text = "".join(parts)
                # The text had no `[`: a run of `[rare]` needs two of those just written.
                done = (RARE_RUN.sub(RARE, masked_text) if masked > 1 else masked_text, masked)
            self.texts[text] = done
        return done

    def path(self, path: str, safe: str = PATH_SAFE) -> tuple[str, int]:
        """Return `words._mask_path(path, self.keep, safe)`."""
        if not path:
            return path, 0
        decoded = unquote(path) if "%" in path else path
        masked_path, masked = self.text(decoded)
        if not masked:
            return path, 0
        return (quote(masked_path, safe=safe) if "%" in path else masked_path), masked

    def url(self, url: str) -> tuple[str, int]:
        """Return `words.mask_url(url, self.keep)`."""
        done = self.urls.get(url)
        if done is None:
            match = URL_PARTS.match(url)
            head, path, tail = match.groups() if match else ("", url, "")
            if "%" in path or "#" in tail or "[" in path:
                done = (url, 0) if self.rare.isdisjoint(url_words(url)) else self._mask_url(url)
            else:  # the usual URL (a unique id in its path): one split, no word list, no cache
                parts, rare, masked = WORD_SPLIT.split(path), self.rare, 0
                for i in range(1, len(parts), 2):
                    if parts[i].casefold() in rare:
                        parts[i] = RARE
                        masked += 1
                if masked:
                    path = "".join(parts)
                    path = RARE_RUN.sub(RARE, path) if masked > 1 else path
                    done = (head + path + tail, masked)
                else:
                    done = (url, 0)
            self.urls[url] = done
        return done

    def _mask_url(self, url: str) -> tuple[str, int]:
        match = URL_PARTS.match(url)
        head, path, tail = match.groups() if match else ("", url, "")
        if "#" not in tail and "%" not in path:  # no hash route, nothing to decode
            (path, masked), (query, route, route_masked) = self.text(path), (tail, "", 0)
        else:
            query, route = split_route(tail)
            path, masked = self.path(path)
            route, route_masked = self.path(route, PATH_SAFE + "#")
        if not masked + route_masked:
            return url, 0
        return head + path + query + route, masked + route_masked

    def record(self, record: dict) -> tuple[dict, int]:
        """Return `words.mask_record(record, self.keep)`: a copy with rare words masked, and
        how many were masked."""
        out, total = dict(record), 0
        for name in TEXT_FIELDS:
            value = out.get(name)
            if isinstance(value, str):
                out[name], n = self.text(value)
                total += n
        for name in URL_FIELDS:
            value = out.get(name)
            if isinstance(value, str):
                out[name], n = self.url(value)
                total += n
        target = out.get("target")
        if isinstance(target, dict) and isinstance(target.get("label"), str):
            label, n = self.text(target["label"])
            if n or len(label) > LABEL_MAX:  # else the copy would equal the target as it is
                out["target"] = target = {**target, "label": cut(label)}
            total += n
        if isinstance(target, dict) and isinstance(target.get("selector"), str):
            selector, n = mask_selector(target["selector"], self.keep)
            if n:
                out["target"] = {**target, "selector": selector}
                total += n
        elements = out.get("elements")
        if elements:
            masked = []
            for element in elements:
                label = element.get("label")
                if isinstance(label, str):
                    label, n = self.text(label)
                    if n:
                        element = {**element, "label": cut(label)}
                        total += n
                masked.append(element)
            out["elements"] = masked
        return out, total
