"""The commit in runs and the faster word counting leave Redis as the code before them left it.

Oracles: copies of workers/stage.py COMMIT_LUA (one SADD, EXPIRE and RPUSH per row) and of
backend/core/rarity.py `count_records` as they were. Each generated take is committed (or
counted) by the oracle, Redis is read back and emptied, then the same take goes through the new
code: the staging list, "seen" sets and their expiry, drops, dead letters, duplicates returned,
the words' counts (fingerprints as a set: their order in a field never mattered) and the words
known common are the same.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.core import keys, rarity
from workers import stage

OLD_COMMIT_LUA = """
local ndrops = tonumber(ARGV[3])
local dup = 0
local i = 4
for _ = 1, ndrops do
  redis.call('HINCRBY', KEYS[4], ARGV[i], ARGV[i + 1])
  i = i + 2
end
local ndead = tonumber(ARGV[i])
i = i + 1
for _ = 1, ndead do
  redis.call('RPUSH', KEYS[5], ARGV[i])
  i = i + 1
end
while i <= #ARGV do
  if redis.call('SADD', ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('EXPIRE', ARGV[i], ARGV[2])
    redis.call('RPUSH', KEYS[3], ARGV[i + 2])
  else
    dup = dup + 1
    redis.call('HINCRBY', KEYS[4], ARGV[i + 3], 1)
  end
  i = i + 4
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return dup
"""


def old_commit(r, take_id, rows, drops, dead=()):
    args: list = [take_id, stage.SEEN_TTL, len(drops)]
    for reason, n in sorted(drops.items()):
        args += [reason, n]
    args += [len(dead), *dead]
    for row in rows:
        args += list(row)
    return int(
        r.register_script(OLD_COMMIT_LUA)(
            keys=[
                keys.key(keys.KEY_PROCESSING, job=take_id),
                keys.KEY_PROCESSING_INDEX,
                keys.KEY_STAGING,
                keys.KEY_DROPS,
                keys.KEY_DEAD_LETTER,
            ],
            args=args,
        )
    )


def old_count_records(r, secret, records, k, words):
    key = rarity.hash_key(secret)
    rarity.KNOWN.sync(r)
    per_contributor: dict[bytes, set[str]] = {}
    for record, found in zip(records, words, strict=True):
        fp = rarity.fingerprint(key, record["contributor"])
        if fp in per_contributor:
            per_contributor[fp] |= found
        else:
            per_contributor[fp] = set(found)
    by_word: dict[str, set[bytes]] = {}
    for fp, found in per_contributor.items():
        for word in found:
            if word in by_word:
                by_word[word].add(fp)
            else:
                by_word[word] = {fp}
    digests = {rarity.word_hash(key, w): fps for w, fps in by_word.items()}
    unknown = {d: fps for d, fps in digests.items() if not rarity.KNOWN.known(d, k)}
    pairs = ((d, fp) for d, fps in unknown.items() for fp in fps)
    rarity.KNOWN.add(rarity.count_pairs(r, pairs, k, per_contributor), k)
    return len(unknown)


SEEN = [keys.key(keys.KEY_SEEN, day=d) for d in ("20260101", "20260102")]
FIELDS = ["29000000|duplicate", "29000001|duplicate"]
ROWS = st.lists(
    st.tuples(
        st.sampled_from(SEEN),
        st.sampled_from(["alice:e1", "alice:e2", "bob:e1", "bob:\u00e9", "carol:e3"]),
        st.binary(min_size=1, max_size=8),
        st.sampled_from(FIELDS),
    ),
    max_size=14,
)


def commit_state(r) -> dict:
    seen = {k: (r.smembers(k), r.ttl(k) > 0) for k in SEEN}
    return {
        "staging": r.lrange(keys.KEY_STAGING, 0, -1),
        "seen": seen,
        "drops": r.hgetall(keys.KEY_DROPS),
        "dead": r.lrange(keys.KEY_DEAD_LETTER, 0, -1),
        "processing": r.exists(keys.key(keys.KEY_PROCESSING, job="t_1")),
        "index": r.zrange(keys.KEY_PROCESSING_INDEX, 0, -1),
    }


@pytest.mark.parametrize("run", [stage.RUN, 3])
def test_a_commit_in_runs_leaves_what_one_row_at_a_time_left(redis_conn, monkeypatch, run):
    monkeypatch.setattr(stage, "RUN", run)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        before=ROWS,
        rows=ROWS,
        drops=st.dictionaries(st.sampled_from(["1|erased", "2|no_consent"]), st.integers(1, 5)),
        dead=st.lists(st.sampled_from(["d1", "d2"]), max_size=2),
    )
    def check(before, rows, drops, dead):
        states, dups = [], []
        for commit in (old_commit, stage.commit):
            redis_conn.flushdb()
            if before:  # members seen by an earlier take
                commit(redis_conn, "t_0", before, Counter())
            redis_conn.rpush(keys.key(keys.KEY_PROCESSING, job="t_1"), b"x")
            redis_conn.zadd(keys.KEY_PROCESSING_INDEX, {"t_1": 1, "t_2": 2})
            dups.append(commit(redis_conn, "t_1", rows, Counter(drops), dead))
            states.append(commit_state(redis_conn))
        assert dups[0] == dups[1]
        assert states[0] == states[1]

    check()


def count_state(r) -> dict:
    out = {"contributors": r.smembers(keys.KEY_RARITY_CONTRIBUTORS)}
    for key in r.scan_iter(match=keys.key(keys.KEY_RARITY_BUCKET, bucket="*")):
        for name, value in r.hgetall(key).items():
            marker = value[:1] == b"=" and len(value) == 3
            fps = value if marker else frozenset(value[i : i + 4] for i in range(0, len(value), 4))
            out[(key, name)] = fps
    return out


WORD_SETS = st.lists(
    st.tuples(
        st.sampled_from(["p_a", "p_b", "p_c", "p_d"]),
        st.sets(st.sampled_from(["save", "order", "42", "jo\u00e9l", "x", "y", "z", "rare1"])),
    ),
    max_size=10,
)


def test_counting_words_leaves_what_the_old_counting_left(redis_conn):
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(takes=st.lists(WORD_SETS, min_size=1, max_size=3), k=st.integers(1, 3))
    def check(takes, k):
        states, returned, known = [], [], []
        for count in (old_count_records, rarity.count_records):
            redis_conn.flushdb()
            rarity.KNOWN.epoch = None  # a new counter: nothing is known
            out = []
            for take in takes:
                records = [{"contributor": c} for c, _ in take]
                out.append(count(redis_conn, "s", records, k, [w for _, w in take]))
            returned.append(out)
            known.append(dict(rarity.KNOWN.common))
            states.append(count_state(redis_conn))
            redis_conn.delete(keys.KEY_RARITY_EPOCH)
        assert returned[0] == returned[1]
        assert known[0] == known[1]
        assert states[0] == states[1]

    check()
