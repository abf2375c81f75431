"""The rarity gate: a word is sealed only once `k` distinct contributors have produced it.

Words (backend/core/words.py) are counted as records are staged and masked as `[rare]` when a batch
is sealed. Redis never holds a word: a word is a 64-bit BLAKE2b hash keyed by OVERT_SECRET, split
into a bucket (its first 15 bits: 32,768 hashes `overt:rare:XXXX`) and a 6-byte field. A field's
value is the 4-byte fingerprints of the contributors seen so far (at most k - 1 of them), then,
once k is reached, the 3-byte marker `=` + k. Small hashes stay in Redis's compact encoding, so a
word costs about 22 bytes (figures in docs/privacy.md, measured by bench/rarity.py).

Fingerprint collisions can only merge two contributors into one (more masking, never less).
Raising k makes words marked common at a smaller k count again from one contributor.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import struct
import threading
from collections.abc import Iterable

import redis

from . import keys
from .masking import Masker, hash_words
from .words import record_words

BUCKET_BITS = 15
# A word in COUNT_LUA's blob: its bucket's index into KEYS, its field, how many fingerprints follow.
WORD_HEAD = struct.Struct(">H6sH")

# Arguments are packed into strings (one argument per word costs more than the counting).
# KEYS[1]: contributors set, KEYS[2..]: buckets. ARGV[1]: k; ARGV[2]: the 4-byte fingerprints of
# the take's contributors; ARGV[3]: per word, a 2-byte index into KEYS, the 6-byte field, a 2-byte
# count m and m fingerprints. Returns one character per word: "1" common now, else "0".
COUNT_LUA = """
local k = tonumber(ARGV[1])
local everyone = ARGV[2]
for i = 1, #everyone, 2000 do
  local fps = {}
  for j = i, math.min(i + 1996, #everyone), 4 do fps[#fps + 1] = string.sub(everyone, j, j + 3) end
  redis.call('SADD', KEYS[1], unpack(fps))
end
local marker = '=' .. string.char(math.floor(k / 256), k % 256)
local blob = ARGV[3]
local out = {}
local pos = 1
while pos <= #blob do
  local key = KEYS[string.byte(blob, pos) * 256 + string.byte(blob, pos + 1)]
  local field = string.sub(blob, pos + 2, pos + 7)
  local first = pos + 10
  pos = first + 4 * (string.byte(blob, pos + 8) * 256 + string.byte(blob, pos + 9))
  local v = redis.call('HGET', key, field) or ''
  local at = nil
  if #v == 3 and string.sub(v, 1, 1) == '=' then
    at = string.byte(v, 2) * 256 + string.byte(v, 3)
  end
  if not (at and at >= k) then
    if at then v = '' end  -- k was raised since: count again
    local changed = false
    for j = first, pos - 1, 4 do
      local fp, seen = string.sub(blob, j, j + 3), false
      for x = 1, #v, 4 do
        if string.sub(v, x, x + 3) == fp then seen = true break end
      end
      if not seen then
        v, changed = v .. fp, true
        if #v / 4 >= k then v = marker break end
      end
    end
    if changed then redis.call('HSET', key, field, v) end
  end
  out[#out + 1] = (v == marker or (at and at >= k) or #v / 4 >= k) and '1' or '0'
end
return table.concat(out)
"""

# KEYS: buckets. ARGV[1]: k; ARGV[2]: per word, a 2-byte index into KEYS and the 6-byte field.
# Returns one character per word: "1" common, else "0".
CHECK_LUA = """
local k = tonumber(ARGV[1])
local blob = ARGV[2]
local out = {}
for pos = 1, #blob, 8 do
  local key = KEYS[string.byte(blob, pos) * 256 + string.byte(blob, pos + 1)]
  local v = redis.call('HGET', key, string.sub(blob, pos + 2, pos + 7)) or ''
  local common
  if #v == 3 and string.sub(v, 1, 1) == '=' then
    common = string.byte(v, 2) * 256 + string.byte(v, 3) >= k
  else
    common = #v / 4 >= k
  end
  out[#out + 1] = common and '1' or '0'
end
return table.concat(out)
"""


# KEYS: buckets. ARGV[1]: a contributor's 4-byte fingerprint. Takes it out of every word of the
# buckets not yet common (a common word's value is the marker: who made it common is not kept).
# Returns how many words it was taken out of.
UNCOUNT_LUA = """
local fp = ARGV[1]
local changed = 0
for _, key in ipairs(KEYS) do
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    local v = all[i + 1]
    if #v % 4 == 0 then
      local kept = {}
      for x = 1, #v, 4 do
        local one = string.sub(v, x, x + 3)
        if one ~= fp then kept[#kept + 1] = one end
      end
      if #kept * 4 < #v then
        changed = changed + 1
        if #kept == 0 then
          redis.call('HDEL', key, all[i])
        else
          redis.call('HSET', key, all[i], table.concat(kept))
        end
      end
    end
  end
end
return changed
"""
# Buckets per UNCOUNT_LUA call: each call holds Redis for a few milliseconds at most.
UNCOUNT_BATCH = 512


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


def u16(n: int) -> bytes:
    """Return `n` as 2 bytes, big-endian (how the Lua scripts read counts and indexes)."""
    return n.to_bytes(2, "big")


def slot(digest: bytes) -> tuple[str, bytes]:
    """Return the bucket key and the field of a word hash."""
    return bucket_key(int.from_bytes(digest[:2], "big") >> (16 - BUCKET_BITS)), digest[2:]


@functools.lru_cache(maxsize=1 << BUCKET_BITS)
def bucket_key(bucket: int) -> str:
    """Return the key of a bucket of word counts."""
    return keys.key(keys.KEY_RARITY_BUCKET, bucket=f"{bucket:04x}")


class KnownCommon:
    """Words this worker has seen counted common: staging skips them, sealing looks them up less.

    A word stays common for any k up to the one it was common at. The cache is dropped when the
    counter's epoch key changes (a new or emptied Redis), and when it holds LIMIT words.
    """

    LIMIT = 100_000

    def __init__(self):
        self.epoch: bytes | None = None
        self.common: dict[bytes, int] = {}
        self.lock = threading.Lock()  # a worker stages and seals on threads of their own

    def sync(self, r: redis.Redis, epoch: bytes | None = None) -> None:
        """Drop what is known when the counter is not the one it was learnt from.

        `epoch`: the epoch key's value when the caller has just read it (None: read it here)."""
        if epoch is None:
            epoch = r.get(keys.KEY_RARITY_EPOCH)
        if epoch is None:
            r.set(keys.KEY_RARITY_EPOCH, secrets.token_hex(8), nx=True)
            epoch = r.get(keys.KEY_RARITY_EPOCH)
        with self.lock:
            if epoch != self.epoch:
                self.epoch, self.common = epoch, {}

    def known(self, digest: bytes, k: int) -> bool:
        """Return whether `digest` is known to be common at `k`."""
        return self.common.get(digest, 0) >= k

    def add(self, digests: Iterable[bytes], k: int) -> None:
        """Remember `digests` as common at `k`."""
        with self.lock:
            if len(self.common) > self.LIMIT:
                self.common = {}
            common = self.common
            for digest in digests:
                common[digest] = max(k, common.get(digest, 0))


KNOWN = KnownCommon()


def count_pairs(
    r: redis.Redis, pairs: Iterable[tuple[bytes, bytes]], k: int, contributors: Iterable = ()
) -> set[bytes]:
    """Count (word hash, fingerprint) pairs in one atomic call; return the words now common."""
    by_word: dict[bytes, set[bytes]] = {}
    for digest, fp in pairs:
        by_word.setdefault(digest, set()).add(fp)
    return count_words(r, by_word, k, contributors)


def count_words(
    r: redis.Redis, by_word: dict[bytes, set[bytes]], k: int, contributors: Iterable = ()
) -> set[bytes]:
    """Count each word hash of `by_word` for its fingerprints; return the words now common."""
    everyone = set(contributors).union(*by_word.values())
    if not everyone:
        return set()
    bucket_index: dict[str, int] = {}
    packed = []
    append = packed.append
    shift, head = 16 - BUCKET_BITS, WORD_HEAD.pack
    for digest, fps in by_word.items():
        key = bucket_key((digest[0] << 8 | digest[1]) >> shift)
        index = bucket_index.get(key)
        if index is None:
            index = bucket_index[key] = len(bucket_index) + 2
        append(head(index, digest[2:], len(fps)))
        append(b"".join(fps))
    flags = r.register_script(COUNT_LUA)(
        keys=[keys.KEY_RARITY_CONTRIBUTORS, *bucket_index],
        args=[k, b"".join(everyone), b"".join(packed)],
    )
    return {d for d, flag in zip(by_word, flags, strict=True) if flag == ord("1")}


def count_records(
    r: redis.Redis, secret: str, records: Iterable[dict], k: int, words: Iterable | None = None
) -> int:
    """Count every gated word of `records` for its record's contributor (at staging).

    `words`, when given, are each record's `record_words`, in the same order. Return how many
    distinct words were sent to Redis (words known common are not).

    How it is fast: each contributor's words are gathered by set unions; each distinct word of
    the take is hashed once and those known common (KNOWN) are left out before any per-word,
    per-contributor work.
    """
    key = hash_key(secret)
    KNOWN.sync(r)
    per_contributor: dict[bytes, set[str]] = {}
    if words is None:
        words = [record_words(record) for record in records]
    fingerprints: dict[str, bytes] = {}
    for record, found in zip(records, words, strict=True):
        contributor = record["contributor"]
        fp = fingerprints.get(contributor)
        if fp is None:
            fp = fingerprints[contributor] = fingerprint(key, contributor)
        mine = per_contributor.get(fp)
        if mine is None:
            per_contributor[fp] = set(found)
        else:
            mine |= found
    common = KNOWN.common
    digests: dict[str, bytes] = {}
    for word in set().union(*per_contributor.values()):
        digest = word_hash(key, word)
        if common.get(digest, 0) < k:
            digests[word] = digest
    by_word: dict[bytes, set[bytes]] = {}
    if digests:
        unknown = digests.keys()
        for fp, found in per_contributor.items():
            for word in unknown & found if len(found) > len(digests) else found & unknown:
                digest = digests[word]
                fps = by_word.get(digest)
                if fps is None:
                    by_word[digest] = {fp}
                else:
                    fps.add(fp)
    KNOWN.add(count_words(r, by_word, k, per_contributor), k)
    return len(by_word)


def common_hashes(r: redis.Redis, digests: Iterable[bytes], k: int) -> set[bytes]:
    """Return those of `digests` that at least `k` distinct contributors have produced."""
    digests = list(set(digests))
    if not digests:
        return set()
    buckets: dict[int, bytes] = {}  # bucket -> its 2-byte index into KEYS (from 1)
    packed = []
    shift = 16 - BUCKET_BITS
    for digest in digests:  # what `slot` does, a bucket's key formatted once per call
        bucket = int.from_bytes(digest[:2], "big") >> shift
        index = buckets.get(bucket)
        if index is None:
            index = buckets[bucket] = u16(len(buckets) + 1)
        packed.append(index + digest[2:])
    bucket_keys = [bucket_key(b) for b in buckets]
    flags = r.register_script(CHECK_LUA)(keys=bucket_keys, args=[k, b"".join(packed)])
    return {d for d, flag in zip(digests, flags, strict=True) if flag == ord("1")}


def gate(
    r: redis.Redis,
    secret: str,
    records: list[dict],
    k: int,
    decision: dict | None = None,
    words: list | None = None,
    epoch: bytes | None = None,
) -> tuple[list[dict], int, dict]:
    """Mask the rare words of `records`; return them, the count and the decision taken.

    The decision (`{"k", "common": [hex hashes]}`) is read from Redis unless one is given: a
    batch written again reuses its first decision, so its shard is the same byte for byte.
    `words`: each record's `record_words` where known (None where not), in the same order.
    `epoch`: the counter's epoch (KnownCommon.sync) when the caller has just read it.
    Each distinct word is hashed once, each distinct string masked once (backend/core/masking.py).
    """
    key = hash_key(secret)
    if words is None:
        per_record = [record_words(record) for record in records]
    else:
        per_record = [
            found if found is not None else record_words(record)
            for record, found in zip(records, words, strict=True)
        ]
    hashes = hash_words(key, set().union(*per_record))
    if decision is None:
        KNOWN.sync(r, epoch)
        common = {d for d in hashes.values() if KNOWN.known(d, k)}
        found = common_hashes(r, set(hashes.values()) - common, k)
        KNOWN.add(found, k)
        common |= found
        decision = {"k": k, "common": sorted(d.hex() for d in common)}
    else:
        common = {bytes.fromhex(h) for h in decision["common"]}
    rare = {w for w, digest in hashes.items() if digest not in common}
    if not rare:
        return list(records), 0, decision
    masker, out, masked = Masker(rare), [], 0
    for record, found in zip(records, per_record, strict=True):
        if not rare.isdisjoint(found):
            record, n = masker.record(record)
            masked += n
        out.append(record)
    return out, masked, decision


def uncount_contributor(r: redis.Redis, secret: str, contributor: str) -> int:
    """Take an erased contributor out of the count of every word not yet common; return how many
    words counted them.

    Their words then need `k` other contributors before they are sealed, as if they had never
    produced them. A word that was already common keeps its marker: who made it common is not
    stored (docs/privacy.md, "Rare words").
    """
    fp = fingerprint(hash_key(secret), contributor)
    r.srem(keys.KEY_RARITY_CONTRIBUTORS, fp)
    script = r.register_script(UNCOUNT_LUA)
    changed = 0
    buckets = [bucket_key(b) for b in range(1 << BUCKET_BITS)]
    for start in range(0, len(buckets), UNCOUNT_BATCH):
        changed += int(script(keys=buckets[start : start + UNCOUNT_BATCH], args=[fp]))
    return changed


def contributors_seen(r: redis.Redis) -> int:
    """Return how many distinct contributors the gate has counted words for."""
    return int(r.scard(keys.KEY_RARITY_CONTRIBUTORS))
