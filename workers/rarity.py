"""The rarity gate: a word is sealed only once `k` distinct contributors have produced it.

Words (workers/words.py) are counted as records are staged and masked as `[rare]` when a batch
is sealed. Redis never holds a word: a word is a 64-bit BLAKE2b hash keyed by OVERT_SECRET, split
into a bucket (its first 15 bits: 32,768 hashes `overt:rare:XXXX`) and a 6-byte field. A field's
value is the 4-byte fingerprints of the contributors seen so far (at most k - 1 of them), then,
once k is reached, the 3-byte marker `=` + k. Small hashes stay in Redis's compact encoding, so a
word costs about 16 bytes (figures in docs/privacy.md, measured by bench/rarity.py).

Fingerprint collisions can only merge two contributors into one (more masking, never less).
Raising k makes words marked common at a smaller k count again from one contributor.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable

import redis

from backend import keys

from .words import mask_record, record_words

BUCKET_BITS = 15
FINGERPRINT_BYTES = 4
MARKER = b"="

# KEYS[1]: contributors set, KEYS[2..]: buckets. ARGV: k, n, n fingerprints (for the set),
# then (bucket index in KEYS, field, fingerprint) triples. Returns how many words became common.
COUNT_LUA = """
local k = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
for i = 3, 2 + n, 500 do
  redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 499, 2 + n)))
end
local marker = '=' .. string.char(math.floor(k / 256), k % 256)
local became = 0
for i = 3 + n, #ARGV, 3 do
  local key, field, fp = KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2]
  local v = redis.call('HGET', key, field) or ''
  local at = nil
  if #v == 3 and string.sub(v, 1, 1) == '=' then
    at = string.byte(v, 2) * 256 + string.byte(v, 3)
  end
  if not (at and at >= k) then
    if at then v = '' end
    local seen = false
    for j = 1, #v, 4 do
      if string.sub(v, j, j + 3) == fp then seen = true break end
    end
    if not seen then
      v = v .. fp
      if #v / 4 >= k then v = marker became = became + 1 end
      redis.call('HSET', key, field, v)
    end
  end
end
return became
"""


def hash_key(secret: str) -> bytes:
    """Return the key the word hashes and fingerprints are made with."""
    return hashlib.sha256(b"overt:rarity:" + secret.encode()).digest()


@functools.lru_cache(maxsize=1 << 16)
def word_hash(key: bytes, word: str) -> bytes:
    """Return the 8-byte keyed hash of a (case-folded) word."""
    return hashlib.blake2b(word.encode(), digest_size=8, key=key).digest()


@functools.lru_cache(maxsize=1 << 12)
def fingerprint(key: bytes, contributor: str) -> bytes:
    """Return the 4-byte fingerprint of a pseudonymous contributor."""
    return hashlib.blake2b(contributor.encode(), digest_size=4, key=key, person=b"contrib").digest()


def slot(digest: bytes) -> tuple[str, bytes]:
    """Return the bucket key and the field of a word hash."""
    bucket = int.from_bytes(digest[:2], "big") >> (16 - BUCKET_BITS)
    return keys.key(keys.KEY_RARITY_BUCKET, bucket=f"{bucket:04x}"), digest[2:]


def is_common(value: bytes | None, k: int) -> bool:
    """Return whether a stored bucket value says at least `k` contributors (see COUNT_LUA)."""
    if not value:
        return False
    if len(value) == 3 and value[:1] == MARKER:
        return int.from_bytes(value[1:], "big") >= k
    return len(value) // FINGERPRINT_BYTES >= k


def count_pairs(r: redis.Redis, pairs: Iterable[tuple[bytes, bytes]], k: int) -> int:
    """Count (word hash, fingerprint) pairs in one atomic call; return words that became common."""
    bucket_index: dict[str, int] = {}
    fps: set[bytes] = set()
    triples: list = []
    for digest, fp in set(pairs):
        key, field = slot(digest)
        index = bucket_index.setdefault(key, len(bucket_index) + 2)
        fps.add(fp)
        triples += [index, field, fp]
    if not triples:
        return 0
    return int(
        r.register_script(COUNT_LUA)(
            keys=[keys.KEY_RARITY_CONTRIBUTORS, *bucket_index],
            args=[k, len(fps), *sorted(fps), *triples],
        )
    )


def count_records(r: redis.Redis, secret: str, records: Iterable[dict], k: int) -> int:
    """Count every gated word of `records` for its record's contributor (at staging)."""
    key = hash_key(secret)
    pairs = {
        (word_hash(key, word), fingerprint(key, record["contributor"]))
        for record in records
        for word in record_words(record)
    }
    return count_pairs(r, pairs, k)


def common_hashes(r: redis.Redis, digests: Iterable[bytes], k: int) -> set[bytes]:
    """Return those of `digests` that at least `k` distinct contributors have produced."""
    by_bucket: dict[str, list[bytes]] = {}
    for digest in set(digests):
        key, _ = slot(digest)
        by_bucket.setdefault(key, []).append(digest)
    pipe = r.pipeline(transaction=False)
    for key, group in by_bucket.items():
        pipe.hmget(key, [slot(d)[1] for d in group])
    common = set()
    for group, values in zip(by_bucket.values(), pipe.execute(), strict=True):
        common.update(d for d, v in zip(group, values, strict=True) if is_common(v, k))
    return common


def decide(r: redis.Redis, secret: str, records: list[dict], k: int) -> dict:
    """Return which words of `records` are common now: `{"k", "common": [hex hashes]}`."""
    key = hash_key(secret)
    digests = {word_hash(key, w) for record in records for w in record_words(record)}
    return {"k": k, "common": sorted(d.hex() for d in common_hashes(r, digests, k))}


def apply(records: list[dict], secret: str, decision: dict) -> tuple[list[dict], int]:
    """Mask the words `decision` does not list as common; return the records and the count."""
    key = hash_key(secret)
    common = {bytes.fromhex(h) for h in decision["common"]}

    def keep(word: str) -> bool:
        return word_hash(key, word) in common

    out, masked = [], 0
    for record in records:
        record, n = mask_record(record, keep)
        out.append(record)
        masked += n
    return out, masked


def contributors_seen(r: redis.Redis) -> int:
    """Return how many distinct contributors the gate has counted words for."""
    return int(r.scard(keys.KEY_RARITY_CONTRIBUTORS))
