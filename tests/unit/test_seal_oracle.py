"""Sealing's faster code writes what the code it replaced wrote: same masked records, same count,
same Parquet bytes (so the same sha256), same card counts, and the same bytes again when a shard
is rewritten after an erasure.

The oracle is a copy of the replaced code (rarity.gate with words.mask_record and its helpers,
dataset_schema.to_table by `from_pylist`, dataset_cards.describe, batches.record_order's sort,
index_entry's contributors), run on records of every event type generated with unicode words,
placeholders, encoded paths, hash routes, long labels, nulls and missing fields, with a random
part of their words rare.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from urllib.parse import quote, unquote

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.core import rarity
from backend.core.clock import iso
from backend.core.dataset_cards import describe
from backend.core.dataset_schema import arrow_schema
from backend.core.datasets import decode_shard, encode_shard
from backend.core.masking import hash_words
from backend.core.words import (
    LABEL_MAX,
    PATH_SAFE,
    RARE,
    RARE_RUN,
    TEXT_FIELDS,
    TOKEN,
    URL_FIELDS,
    URL_PARTS,
    mask_selector,
    record_words,
    split_route,
    words,
)
from tests.unit.test_fastpath import BASES
from workers.batches import index_entry, record_order

SECRET = "oracle-secret"

# ---- the replaced code, as it was -----------------------------------------------------------


def old_word_hash(key: bytes, word: str) -> bytes:
    return hashlib.blake2b(word.encode(), digest_size=8, key=key).digest()


def old_mask_text(text, keep):
    if all(keep(w) for w in words(text)):
        return text, 0
    masked = 0

    def sub(match):
        nonlocal masked
        if match.group(1) is not None or keep(match.group(0).casefold()):
            return match.group(0)
        masked += 1
        return RARE

    text = TOKEN.sub(sub, text)
    return (RARE_RUN.sub(RARE, text) if masked else text), masked


def old_cut(label, limit=LABEL_MAX):
    if len(label) <= limit:
        return label
    label = label[:limit]
    opening = label.rfind("[")
    return label[:opening].rstrip() if opening > label.rfind("]") else label


def old_mask_path(path, keep, safe=PATH_SAFE):
    decoded = unquote(path) if "%" in path else path
    masked_path, masked = old_mask_text(decoded, keep)
    if not masked:
        return path, 0
    return (quote(masked_path, safe=safe) if "%" in path else masked_path), masked


def old_mask_url(url, keep):
    match = URL_PARTS.match(url)
    head, path, tail = match.groups() if match else ("", url, "")
    query, route = split_route(tail)
    path, masked = old_mask_path(path, keep)
    route, route_masked = old_mask_path(route, keep, PATH_SAFE + "#")
    if not masked + route_masked:
        return url, 0
    return head + path + query + route, masked + route_masked


def old_mask_elements(elements, keep):
    out, total = [], 0
    for element in elements:
        if isinstance(element.get("label"), str):
            label, n = old_mask_text(element["label"], keep)
            if n:
                element = {**element, "label": old_cut(label)}
                total += n
        out.append(element)
    return out, total


def old_mask_record(record, keep):
    out, total = dict(record), 0
    for name in TEXT_FIELDS:
        if isinstance(out.get(name), str):
            out[name], n = old_mask_text(out[name], keep)
            total += n
    for name in URL_FIELDS:
        if isinstance(out.get(name), str):
            out[name], n = old_mask_url(out[name], keep)
            total += n
    target = out.get("target")
    if isinstance(target, dict) and isinstance(target.get("label"), str):
        label, n = old_mask_text(target["label"], keep)
        out["target"] = target = {**target, "label": old_cut(label)}
        total += n
    if isinstance(target, dict) and isinstance(target.get("selector"), str):
        # Gated since the oracle was copied: words.mask_record is the reference for selectors.
        selector, n = mask_selector(target["selector"], keep)
        if n:
            out["target"] = {**target, "selector": selector}
            total += n
    if out.get("elements"):
        out["elements"], n = old_mask_elements(out["elements"], keep)
        total += n
    return out, total


def old_gate(secret, records, decision):
    """rarity.gate as it was, given a decision (what a batch written again does)."""
    key = rarity.hash_key(secret)
    per_record = [record_words(record) for record in records]
    hashes = {w: old_word_hash(key, w) for w in set().union(*per_record)}
    common = {bytes.fromhex(h) for h in decision["common"]}
    rare = {w for w, digest in hashes.items() if digest not in common}
    out, masked = [], 0
    for record, found in zip(records, per_record, strict=True):
        if found & rare:
            record, n = old_mask_record(record, lambda w: w not in rare)
            masked += n
        out.append(record)
    return out, masked


def old_encode_shard(records):
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(records, schema=arrow_schema()), out, compression="zstd")
    return out.getvalue()


def old_describe(records):
    return {
        "events": len(records),
        "time_window": {
            "start": iso(min(r["ts"] for r in records)),
            "end": iso(max(r["ts"] for r in records)),
        },
        "counts_by_type": dict(sorted(Counter(r["type"] for r in records).items())),
        "counts_by_category": dict(sorted(Counter(r["category"] for r in records).items())),
        "contributors": len({r["contributor"] for r in records}),
        "policy_versions": dict(
            sorted(Counter(r.get("policy_version") or "unknown" for r in records).items())
        ),
    }


# ---- generated staged records ---------------------------------------------------------------

VOCAB = (
    "Save",
    "save",
    "order",
    "Orders",
    "Jekyll",
    "İstanbul",
    "straße",
    "STRASSE",
    "Ärger",
    "日本語",
    "x_y",
    "42",
    "0042",
    "[email]",
    "[rare]",
    "[number]",
    "[jekyll]",
    "jane-doe",
    "a%20b",
    "%E2%9C%93",
    "",
)
SEPARATORS = st.sampled_from([" ", " ", "/", "-", ", ", " \N{EN DASH} ", "", "\n", "  "])
TEXTS = st.lists(st.tuples(st.sampled_from(VOCAB), SEPARATORS), max_size=8).map(
    lambda parts: "".join(w + s for w, s in parts)
) | st.text(max_size=12)
LONG = st.integers(70, 120).map(lambda n: ("Jekyll order " * 12)[:n])
LABELS = st.one_of(st.none(), TEXTS, LONG)
HEADS = st.sampled_from(
    ["https://app.example.com", "http://h:8080", "data:", "", "https://app.example.com/app?q=1"]
)
URLS = st.builds(
    lambda head, path, route: head + path + route,
    HEADS,
    TEXTS.map(lambda t: "/" + t.replace("?", "").replace("#", "")),
    st.sampled_from(["", "#/contacts/jane%20doe", "#!/orders/Jekyll", "#/x"]),
) | st.sampled_from(["[invalid-url]", "not a url", "mailto:"])


@st.composite
def staged_record(draw, contributors=("p_a", "p_b", "p_c")):
    """A staged record: an event of any type, its gated strings drawn, fields maybe removed."""
    kind = draw(st.sampled_from(sorted(BASES)))
    record = dict(BASES[kind])
    record["id"] = f"id{draw(st.integers(0, 10**6))}"
    record["ts"] += draw(st.integers(-(10**6), 10**6))
    record.update(category="clicks", contributor=draw(st.sampled_from(contributors)))
    record["policy_version"] = draw(st.sampled_from([None, "", "v1", "v2", "unknown"]))
    record["url"] = draw(URLS)
    for name in ("title", "value", "referrer", "from", "step"):
        if name in record and draw(st.integers(0, 4)) == 0:
            del record[name]
    if "title" in record:
        record["title"] = draw(TEXTS)
    if "value" in record:
        record["value"] = draw(st.none() | TEXTS)
    for name in ("referrer", "from"):
        if name in record:
            record[name] = draw(st.none() | URLS)
    if isinstance(record.get("target"), dict):
        record["target"] = {**record["target"], "label": draw(LABELS)}
        if record["target"]["label"] is None:
            del record["target"]["label"]
    if "elements" in record:
        elements = []
        for n in range(draw(st.integers(0, 5))):
            element = {"bid": f"b{n}", "tag": "button", "box": [n, n, 10, 10]}
            label = draw(LABELS)
            if label is not None:
                element["label"] = label
            if draw(st.booleans()):
                element["state"] = {"checked": draw(st.booleans())}
            if draw(st.booleans()):
                element["role"] = "button"
            elements.append(element)
        record["elements"] = elements
    return record


@st.composite
def batches(draw):
    """Records of a batch and a decision: a random part of their words common, the rest rare."""
    records = draw(st.lists(staged_record(), min_size=1, max_size=12))
    found = sorted(set().union(*(record_words(r) for r in records)))
    common = draw(st.sets(st.sampled_from(found))) if found else set()
    key = rarity.hash_key(SECRET)
    decision = {"k": 2, "common": sorted(old_word_hash(key, w).hex() for w in common)}
    known = draw(st.lists(st.booleans(), min_size=len(records), max_size=len(records)))
    return records, decision, known


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_sealing_writes_what_the_old_code_wrote(batch):
    """Same masked records and count, same shard bytes, same card counts, same order; a shard
    rewritten without one contributor's records has the old code's bytes too."""
    records, decision, known = batch
    # Staged memory knows some items' words (a set), not others (None): both give the same.
    words = [record_words(r) if k else None for r, k in zip(records, known, strict=True)]
    expected, expected_n = old_gate(SECRET, [dict(r) for r in records], decision)
    masked, n, kept_decision = rarity.gate(None, SECRET, records, 2, decision, words)
    assert (masked, n) == (expected, expected_n)
    assert kept_decision is decision

    ordered = sorted(masked, key=record_order)
    data = encode_shard(ordered)
    assert data == old_encode_shard(ordered)
    assert describe(ordered) == old_describe(ordered)
    entry = index_entry(
        {k: None for k in ("batch_id", "shard", "events", "policy_versions", "revision")}
        | {"sealed_at": "2026-01-01T00:00:00.000+00:00", "sha256": ""},
        "2026-01-01",
        ordered,
    )
    assert entry["contributors"] == sorted({r["contributor"] for r in ordered})

    # An erasure decodes the shard and encodes what is left.
    left = [r for r in decode_shard(data) if r["contributor"] != "p_a"]
    assert encode_shard(left) == old_encode_shard(left)
    if left:
        assert describe(left) == old_describe(left)


@settings(max_examples=300, deadline=None)
@given(st.sets(st.text(max_size=8) | st.sampled_from(VOCAB)))
def test_hash_words_is_word_hash(found):
    """Each word's hash is rarity.word_hash's (and the old code's)."""
    key = rarity.hash_key(SECRET)
    hashes = hash_words(key, found)
    assert hashes == {w: old_word_hash(key, w) for w in found}
    assert all(hashes[w] == rarity.word_hash(key, w) for w in found)


def test_a_batch_with_nothing_rare_is_sealed_as_it_is():
    """All words common: the records are sealed untouched, nothing counted masked."""
    records = [dict(BASES[kind], category="c", contributor="p_a") for kind in sorted(BASES)]
    key = rarity.hash_key(SECRET)
    found = set().union(*(record_words(r) for r in records))
    decision = {"k": 2, "common": sorted(old_word_hash(key, w).hex() for w in found)}
    out, n, _ = rarity.gate(None, SECRET, records, 2, decision)
    assert (out, n) == (records, 0) == old_gate(SECRET, records, decision)
    assert encode_shard(out) == old_encode_shard(records)


def test_a_split_finds_the_words_the_token_pattern_finds():
    """Masking without `[` splits on words; it finds exactly the words TOKEN finds."""
    from backend.core.masking import WORD_SPLIT

    for text in ("/orders/42", "Straße İstanbul x_y", "a--b  c", "日本語 テキスト", ""):
        assert WORD_SPLIT.split(text)[1::2] == [m.group(0) for m in TOKEN.finditer(text)]
        assert re.search(r"\[", text) is None


def old_common_hashes(r, digests, k):
    digests = list(set(digests))
    if not digests:
        return set()
    bucket_index: dict[str, int] = {}
    packed = []
    for digest in digests:
        key, field = rarity.slot(digest)
        packed.append(rarity.u16(bucket_index.setdefault(key, len(bucket_index) + 1)) + field)
    flags = r.register_script(rarity.CHECK_LUA)(keys=list(bucket_index), args=[k, b"".join(packed)])
    return {d for d, flag in zip(digests, flags, strict=True) if flag == ord("1")}


def test_common_hashes_finds_what_the_old_code_found(redis_conn):
    """Words counted by 1, 2 or 3 contributors, or marked common at k=2 or 3: the same
    decision at k = 1, 2, 3 and 4, in Redis for real (same and different buckets)."""
    key = rarity.hash_key(SECRET)
    digests = [old_word_hash(key, f"w{i}") for i in range(3000)]
    digests += [bytes([0, 0, 0, 0, 0, 0, 0, i]) for i in range(5)]  # one bucket, 5 fields
    for i, digest in enumerate(digests):
        kind = i % 6
        if kind == 5:
            continue  # never counted
        bucket, field = rarity.slot(digest)
        value = [b"aaaa", b"aaaabbbb", b"aaaabbbbcccc", b"=\x00\x02", b"=\x00\x03"][kind]
        redis_conn.hset(bucket, field, value)
    for k in (1, 2, 3, 4):
        assert rarity.common_hashes(redis_conn, digests, k) == old_common_hashes(
            redis_conn, digests, k
        )
    assert rarity.common_hashes(redis_conn, [], 2) == set()
