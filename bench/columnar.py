"""What a columnar worker would cost per event, against today's staging and sealing, same run.

    .venv/bin/python bench/columnar.py [--mix simple|app] [--events 20000] [--reps 5]

On one private redis-server (bench/_common.py `Lab`), `--events` events of one mix (`simple`, the
default: bench/ingest.py's four types, every URL a new one; `app`: bench/_traffic.py) are queued
through the real intake (bench/worker.py `queue_events`), then read back as bytes. Each
repetition runs, on those same bytes, takes of 1,000 events each staged and sealed as one batch:

1. today: workers/stage.py `parse_entries` and `prepare` (workers/stager.py), then what
   `commit_take` does (backend/core/rarity.py `count_records`, the commit script, the staged
   memory), then what workers/batches.py `write_batch` does before it writes files (`sealable`
   from memory, `_still_sealable`, the shard order, `rarity.gate`) and `encode_shard`;
2. a columnar prototype of the same work (`columnar_stage`, `columnar_seal`): the take parsed by
   one orjson call, the consent rules looked up per (employee, category), each distinct string of
   a column redacted once (workers/stager.py's per-string methods, backend/core/redact.py), one
   pseudonym per employee, the gated words per distinct string and per contributor (for the
   counts) instead of per record, the staged JSON of a record the redaction left unchanged spliced
   from its queued bytes (orjson for the others), the counts packed by `rarity.count_words`, rare
   words masked per distinct string of a column (backend/core/masking.py `Masker`), and the
   Parquet table built from the columns.

Both make the same Redis calls (the counting and checking scripts, the commit): Redis is emptied
and the rarity cache reset before each path, so both take the same rarity decisions. Caches of
words (backend/core/words.py) are cleared before each path too: a URL is new to both. The cyclic
garbage collector is off while they run (workers/gc_pacing.py keeps it off a worker's objects).

Prints the CPU microseconds per event of each phase (median and least of `--reps`; the two paths
alternate, and their ratio is taken per repetition), whether the prototype staged the same bytes
and sealed the same records and Parquet bytes as today's code, what redis-py's packing of the
commit's arguments costs per row and as two blobs per take, and, when polars can be imported
(it is not a dependency: put a throwaway venv's polars on PYTHONPATH), its NDJSON reader and
Parquet writer against orjson and pyarrow. Card, manifest, fsyncs, the take and the batch's own
Redis bookkeeping are left out of both (bench/worker.py `--phases` shows them). Used for
docs/operations.md, "A columnar worker, measured".
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import time
from collections import Counter
from itertools import repeat
from operator import itemgetter

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from _common import Lab
from worker import queue_events

from backend.core import keys, rarity, words
from backend.core.dataset_schema import _SCHEMA, _TYPES, to_table
from backend.core.datasets import COMPRESSION, encode_shard
from backend.core.drops import MINUTE_MS
from backend.core.drops import field as drop_field
from backend.core.filters import load_rules
from backend.core.masking import Masker, hash_words
from backend.core.policy import get_policy
from backend.core.pseudonym import pseudonym
from backend.core.records import DIGITS_AS_NINES, LONG_DIGITS, dumps_staged_bytes
from backend.core.redact import Memo
from backend.core.words import LABEL_MAX, cut, mask_selector, selector_words, url_words
from workers import stage
from workers.batches import _still_sealable, record_order, sealable
from workers.staged_memory import STAGED
from workers.stager import DAY_MS, SURROGATE_ESCAPE, Stager, seen_key

SECRET = "bench-secret"
TAKE = 1000
CACHES = (words.words, words.url_words, words.selector_words, rarity.word_hash)


def reset(r) -> None:
    """Empty Redis and the worker's caches: each path starts from the same state."""
    r.flushdb()
    rarity.KNOWN.epoch, rarity.KNOWN.common = None, {}
    STAGED.clear()
    for cache in CACHES:
        cache.cache_clear()


class Clock:
    """CPU seconds per named phase (one thread: process time)."""

    def __init__(self):
        self.spent: Counter = Counter()
        self.last = time.process_time()

    def start(self) -> None:
        self.last = time.process_time()

    def lap(self, name: str) -> None:
        now = time.process_time()
        self.spent[name] += now - self.last
        self.last = now


# -- today ------------------------------------------------------------------------------------


def today(r, takes, rules, policy, clock: Clock) -> tuple[list[list[bytes]], list[bytes]]:
    """Stage and seal each take with today's code; return the staged bytes and the shards."""
    staged_bytes, shards = [], []
    k = policy["min_contributors"]
    for n, items in enumerate(takes):
        clock.start()
        entries, dead = stage.parse_entries(items)
        clock.lap("parse")
        fetched = stage.Fetched(f"t_{n}", items, entries, dead, rules, policy)
        prepared = stage.prepare(SECRET, fetched)
        clock.lap("filter, redact, pseudonymise, words, staged JSON")
        records = [s.record for s in prepared.staged]
        rarity.count_records(r, SECRET, records, k, prepared.words)
        clock.lap("count words (hash, pack, Redis)")
        stage.commit(r, prepared.take_id, prepared.rows, prepared.drops, prepared.dead)
        STAGED.add([row[2] for row in prepared.rows], prepared.staged, prepared.words)
        clock.lap("commit (Redis) and staged memory")
        raws = [row[2] for row in prepared.rows]
        staged_bytes.append(raws)
        # Sealing this take as one batch: workers/batches.py `read_batch` and `write_batch`.
        items_, _, found = sealable(raws, STAGED)
        kept = _still_sealable(rules, zip(items_, found, strict=True), Counter())
        kept.sort(key=lambda pair: record_order(pair[0].record))
        clock.lap("seal: read from memory, rules, order")
        records, _, _ = rarity.gate(
            r, SECRET, [i.record for i, _ in kept], k, None, [f for _, f in kept]
        )
        clock.lap("seal: rare words (hash, check, mask)")
        shards.append(encode_shard(records))
        clock.lap("seal: Arrow table and Parquet")
    return staged_bytes, shards


# -- the columnar prototype ---------------------------------------------------------------------

EV_KEY = b',"ev":'


class ColumnarTake:
    """One take staged as columns: what sealing would read back from the worker's memory."""

    def __init__(self, n: int, columns: dict, words_of: dict, rows: list, drops: Counter):
        self.n, self.columns, self.words_of, self.rows, self.drops = (
            n,
            columns,
            words_of,
            rows,
            drops,
        )
        self.hashes: dict[str, bytes] = {}  # word -> its keyed hash, from the counting


def column(events: list[dict], name: str) -> list:
    return list(map(dict.get, events, repeat(name)))


def columnar_stage(items: list[bytes], rules, policy, clock: Clock) -> ColumnarTake | None:
    """Stage a take as columns; None where the prototype does not go (today's code would)."""
    joined = b"[" + b",".join(items) + b"]"
    if LONG_DIGITS in joined.translate(DIGITS_AS_NINES) or rules.pause_records:
        return None
    docs = orjson.loads(joined)
    emp = list(map(itemgetter("e"), docs))
    team = list(map(itemgetter("t"), docs))
    cat = list(map(itemgetter("c"), docs))
    recv = list(map(itemgetter("r"), docs))
    pol = list(map(dict.get, docs, repeat("p")))
    events = list(map(itemgetter("ev"), docs))
    ts = list(map(itemgetter("ts"), events))
    if {type(x) for x in (*emp, *team, *cat)} != {str} or {type(x) for x in (*recv, *ts)} != {int}:
        return None
    clock.lap("parse")

    # Consent: per (employee, category) and per employee, then one comparison per event.
    since = {(e, c): rules.grants.get(e, {}).get(c) for e, c in set(zip(emp, cat, strict=True))}
    erased = {e: rules.erased.get(e, -1) for e in set(emp)}
    drops, keep = Counter(), []
    for i, (e, c, rv, t) in enumerate(zip(emp, cat, recv, ts, strict=True)):
        s = since[e, c]
        reason = (
            "erased"
            if min(rv, t) <= erased[e]
            else "no_consent"
            if s is None
            else "before_consent"
            if t < s
            else None
        )
        if reason:
            drops[drop_field(t, reason)] += 1
        else:
            keep.append(i)
    if len(keep) < len(docs):
        pick = itemgetter(*keep) if len(keep) > 1 else (lambda seq: [seq[keep[0]]] if keep else [])
        items, emp, team, cat, recv, pol, events, ts = (
            list(pick(c)) for c in (items, emp, team, cat, recv, pol, events, ts)
        )
    clock.lap("consent filter")

    n = len(events)
    present = set().union(*events)
    if present & {"category", "contributor", "policy_version"}:
        return None
    pseudonyms = {e: pseudonym(SECRET, e) for e in set(emp)}
    contributor = list(map(pseudonyms.__getitem__, emp))
    version = policy["version"]
    policy_version = [p or version for p in pol]
    clock.lap("pseudonyms")

    # Each distinct string of a column redacted once, with its gated words.
    stager = Stager(rules, SECRET, frozenset(policy["allowed_origins"]), version, Memo())
    memo = stager.memo
    columns = {"category": cat, "contributor": contributor, "policy_version": policy_version}
    words_of: dict[str, dict] = {}  # column -> redacted string -> its gated words
    changed = [False] * n

    def redact(name: str, fn) -> None:
        values = column(events, name)
        done = {v: fn(v) for v in dict.fromkeys(values) if v is not None}
        if any(v.__class__ is not str for v in done):
            raise TypeError(name)
        out = [None if v is None else done[v][0] for v in values]
        for i, (a, b) in enumerate(zip(values, out, strict=True)):
            if a is not b and a != b:
                changed[i] = True
                events[i][name] = b
        columns[name] = out
        words_of[name] = {red: found for red, found in done.values()}

    def referrer(url):
        red = stager.referrer(url)
        return red, url_words(red)

    def text(value):
        red = memo.text(value)
        return red, words.words(red)

    try:
        redact("url", lambda u: stager.urls.get(u) or stager.url(u))
        for name in ("referrer", "from"):
            if name in present:
                redact(name, referrer)
        for name in ("title", "goal", "value"):
            if name in present:
                redact(name, text)
        words_of.pop("goal", None)  # redacted, not gated
        if "target" in present:
            targets = column(events, "target")
            labels = [t.get("label") if t else None for t in targets]
            selectors = [t.get("selector") if t else None for t in targets]
            done_l = {
                v: stager.labels.get(v) or stager.label(v)
                for v in dict.fromkeys(labels)
                if v is not None
            }
            done_s = {v: memo.text(v) for v in dict.fromkeys(selectors) if v is not None}
            for i, t in enumerate(targets):
                if t is None:
                    continue
                label, selector = labels[i], selectors[i]
                new = {}
                if label is not None and done_l[label][0] != label:
                    new["label"] = done_l[label][0]
                if selector is not None and done_s[selector] != selector:
                    new["selector"] = done_s[selector]
                if new:
                    targets[i] = events[i]["target"] = {**t, **new}
                    changed[i] = True
            columns["target"] = targets
            words_of["label"] = dict(done_l.values())
            words_of["selector"] = {s: selector_words(s) for s in done_s.values()}
        if "elements" in present:
            elements = column(events, "elements")
            labels = stager.labels
            for i, listed in enumerate(elements):
                if listed is None:
                    continue
                out = []
                for element in listed:
                    label = element.get("label")
                    if label is not None:
                        done = labels.get(label) or stager.label(label)
                        if done[0] != label:
                            element = {**element, "label": done[0]}
                            changed[i] = True
                    out.append(element)
                elements[i] = events[i]["elements"] = out
            columns["elements"] = elements
            words_of["label"] = {**words_of.get("label", {}), **dict(labels.values())}
    except TypeError:
        return None
    clock.lap("redact per distinct string")

    # The staged JSON of each record (the durable copy): spliced from the queued bytes when the
    # redaction changed nothing, else written by orjson from the event made record.
    heads: dict[bytes, bytes] = {}
    tails: dict[tuple, bytes] = {}
    staged = []
    append = staged.append
    for i, raw in enumerate(items):
        at = raw.index(EV_KEY)
        head = heads.get(raw[:at])
        if head is None:
            doc = orjson.loads(raw[:at] + b"}")
            doc.pop("d", None)
            head = heads[raw[:at]] = dumps_staged_bytes(doc)[:-1] + b',"rec":'
        tail_key = (cat[i], contributor[i], policy_version[i])
        tail = tails.get(tail_key)
        if tail is None:
            tail = tails[tail_key] = (
                b","
                + orjson.dumps(
                    dict(zip(("category", "contributor", "policy_version"), tail_key, strict=True))
                )[1:]
                + b"}"
            )
        if changed[i] or b"null" in raw:
            record = {**events[i], "category": cat[i], "contributor": contributor[i]}
            record["policy_version"] = policy_version[i]
            doc = {"e": emp[i], "t": team[i], "c": cat[i], "r": recv[i]}
            if pol[i] is not None:
                doc["p"] = pol[i]
            doc["rec"] = record
            data = dumps_staged_bytes(doc)
        else:
            data = head + raw[at + 6 : -2] + tail
        if SURROGATE_ESCAPE in data:
            return None
        append(data)
    clock.lap("staged JSON")

    # Rows for the commit (workers/stage.py `commit_runs`): seen key per day, member per event.
    days = {t // DAY_MS: seen_key(t // DAY_MS) for t in set(ts)}
    minutes = {t // MINUTE_MS: f"{t // MINUTE_MS}|duplicate" for t in set(ts)}
    ids = column(events, "id")
    rows = [
        (days[t // DAY_MS], f"{e}:{x}", data, minutes[t // MINUTE_MS])
        for t, e, x, data in zip(ts, emp, ids, staged, strict=True)
    ]
    for name in [f for f, _ in _TYPES if f in present and f not in columns]:
        columns[name] = column(events, name)
    clock.lap("commit rows, other columns")
    return ColumnarTake(n, columns, words_of, rows, drops)


def contributor_words(take: ColumnarTake) -> dict[str, set]:
    """Return each contributor's gated words: per distinct (contributor, string) of a column."""
    mine: dict[str, set] = {}
    cols, by = take.columns, take.columns["contributor"]
    pairs = [(name, cols.get(name)) for name in ("url", "referrer", "from", "title", "value")]
    for name, values in pairs:
        if values is None:
            continue
        found = take.words_of[name]
        for c, v in set(zip(by, values, strict=True)):
            if v is not None:
                mine.setdefault(c, set()).update(found[v])
    targets = cols.get("target")
    if targets is not None:
        labels, selectors = take.words_of["label"], take.words_of["selector"]
        for c, t in zip(by, targets, strict=True):
            if t is not None:
                s = mine.setdefault(c, set())
                if t.get("label") is not None:
                    s.update(labels[t["label"]])
                if t.get("selector") is not None:
                    s.update(selectors[t["selector"]])
    elements = cols.get("elements")
    if elements is not None:
        labels = take.words_of["label"]
        for c, listed in zip(by, elements, strict=True):
            if listed:
                s = mine.setdefault(c, set())
                for element in listed:
                    if element.get("label") is not None:
                        s.update(labels[element["label"]])
    for c in set(by):
        mine.setdefault(c, set())
    return mine


def columnar_count(r, take: ColumnarTake, k: int, clock: Clock) -> None:
    """Count each contributor's words (what `rarity.count_records` sends, packed the same)."""
    key = rarity.hash_key(SECRET)
    rarity.KNOWN.sync(r)
    mine = contributor_words(take)
    clock.lap("count: words per contributor")
    hashes = take.hashes = hash_words(key, set().union(*mine.values()))
    common = rarity.KNOWN.common
    unknown = {w: d for w, d in hashes.items() if common.get(d, 0) < k}
    by_word: dict[bytes, set] = {}
    fps = {}
    for c, found in mine.items():
        fp = fps[c] = rarity.fingerprint(key, c)
        for w in found & unknown.keys():
            by_word.setdefault(unknown[w], set()).add(fp)
    clock.lap("count: hash and group")
    rarity.KNOWN.add(rarity.count_words(r, by_word, k, fps.values()), k)
    clock.lap("count: pack and Redis")


def columnar_seal(r, take: ColumnarTake, k: int, clock: Clock) -> bytes:
    """Mask the rare words of a take's columns, order it as a shard, return its Parquet bytes."""
    cols, n = take.columns, take.n
    step, session, tab, by = (
        cols.get(c) or [None] * n for c in ("step", "session", "tab", "contributor")
    )
    keys_ = [
        (0, c, s, t, st, 0, "") if st is not None else (1, "", "", "", 0, ts, x)
        for c, s, t, st, ts, x in zip(by, session, tab, step, cols["ts"], cols["id"], strict=True)
    ]
    order = sorted(range(n), key=keys_.__getitem__)
    clock.lap("seal: order")
    # The gate (rarity.gate): every distinct word hashed once, those not known common checked.
    key = rarity.hash_key(SECRET)
    every = set()
    for found in take.words_of.values():
        every.update(*found.values())
    hashes = take.hashes  # kept from the counting (same words); any other hashed here
    missing = every - hashes.keys()
    if missing:
        hashes = {**hashes, **hash_words(key, missing)}
    rarity.KNOWN.sync(r)
    common = {d for d in hashes.values() if rarity.KNOWN.known(d, k)}
    found = rarity.common_hashes(r, set(hashes.values()) - common, k)
    rarity.KNOWN.add(found, k)
    common |= found
    rare = {w for w, d in hashes.items() if d not in common}
    clock.lap("seal: rare words (hash, check)")
    if rare:
        masker = Masker(rare)
        for name in ("url", "referrer", "from"):
            values = cols.get(name)
            if values is not None:
                done = {v: masker.url(v)[0] for v in dict.fromkeys(values) if v is not None}
                cols[name] = [None if v is None else done[v] for v in values]
        for name in ("title", "value"):
            values = cols.get(name)
            if values is not None:
                done = {v: masker.text(v)[0] for v in dict.fromkeys(values) if v is not None}
                cols[name] = [None if v is None else done[v] for v in values]
        targets = cols.get("target")
        if targets is not None:
            out = []
            for t in targets:
                if t is not None:
                    label, selector = t.get("label"), t.get("selector")
                    if label is not None:
                        masked, m = masker.text(label)
                        if m or len(masked) > LABEL_MAX:
                            t = {**t, "label": cut(masked)}
                    if selector is not None:
                        masked, m = mask_selector(selector, masker.keep)
                        if m:
                            t = {**t, "selector": masked}
                out.append(t)
            cols["target"] = out
        elements = cols.get("elements")
        if elements is not None:
            out = []
            for listed in elements:
                if listed:
                    kept = []
                    for element in listed:
                        label = element.get("label")
                        if label is not None:
                            masked, m = masker.text(label)
                            if m:
                                element = {**element, "label": cut(masked)}
                        kept.append(element)
                    listed = kept
                out.append(listed)
            cols["elements"] = out
    clock.lap("seal: mask per distinct string")
    pick = itemgetter(*order)
    arrays = [
        pa.array(list(pick(cols[name])), type=kind) if name in cols else pa.nulls(n, kind)
        for name, kind in _TYPES
    ]
    table = pa.Table.from_arrays(arrays, schema=_SCHEMA)
    clock.lap("seal: Arrow table from columns")
    out = io.BytesIO()
    pq.write_table(table, out, compression=COMPRESSION)
    clock.lap("seal: Parquet")
    return out.getvalue()


def columnar(r, takes, rules, policy, clock: Clock) -> tuple[list[list[bytes]], list[bytes]]:
    """Stage and seal each take as columns; return the staged bytes and the shards."""
    staged_bytes, shards = [], []
    k = policy["min_contributors"]
    for n, items in enumerate(takes):
        clock.start()
        take = columnar_stage(items, rules, policy, clock)
        if take is None:
            raise SystemExit("the prototype does not handle this take (today's code would)")
        columnar_count(r, take, k, clock)
        stage.commit(r, f"t_{n}", take.rows, take.drops, [])
        clock.lap("commit (Redis) and staged memory")
        staged_bytes.append([row[2] for row in take.rows])
        shards.append(columnar_seal(r, take, k, clock))
    return staged_bytes, shards


# -- the run ------------------------------------------------------------------------------------


def polars_figures(takes: list[list[bytes]], shards: list[bytes], reps: int) -> None:
    """Print what polars (not a dependency of the project) would do of the parse and the write."""
    try:
        import polars as pl
    except ImportError:
        print("polars: not importable here (PYTHONPATH=<a throwaway venv's polars> to measure)")
        return
    n = sum(map(len, takes))
    lines = [b"\n".join(items) for items in takes]
    tables = [pq.read_table(io.BytesIO(shard)) for shard in shards]

    def timed(fn) -> float:
        runs = []
        for _ in range(reps):
            started = time.process_time()
            fn()
            runs.append(time.process_time() - started)
        return statistics.median(runs) / n * 1e6

    def read_ndjson():
        for data in lines:
            frame = pl.read_ndjson(io.BytesIO(data))
            frame.get_column("ev").struct.unnest()

    def read_orjson():
        for items in takes:
            events = list(map(itemgetter("ev"), orjson.loads(b"[" + b",".join(items) + b"]")))
            for name, _ in _TYPES:
                column(events, name)

    def write(fn):
        def run():
            for table in tables:
                fn(table, io.BytesIO())

        return run

    def polars_write(table, out):
        pl.from_arrow(table).write_parquet(out, compression="zstd")

    def arrow_write(table, out):
        pq.write_table(table, out, compression=COMPRESSION)

    gc.disable()  # as in the runs above: orjson's dicts would set off collections
    polars_bytes = io.BytesIO()
    polars_write(tables[0], polars_bytes)
    try:
        pl.Series(["1"]).str.replace_all(r"(?<!\d)1", "x")
        lookbehind = "supported"
    except Exception:  # polars raises its own ComputeError
        lookbehind = "not supported (backend/core/redact.py's CARD and PHONE use it)"
    print(f"polars {pl.__version__} (not a dependency), CPU microseconds per event (median):")
    print(f"  {'read_ndjson of a take, event columns':52s} {timed(read_ndjson):6.2f}")
    print(f"  {'orjson of a take, event columns (the prototype)':52s} {timed(read_orjson):6.2f}")
    print(f"  {'write_parquet (zstd) of the sealed table':52s} {timed(write(polars_write)):6.2f}")
    print(f"  {'pq.write_table (today) of the same table':52s} {timed(write(arrow_write)):6.2f}")
    gc.enable()
    same = polars_bytes.getvalue() == shards[0]
    print(f"  polars writes today's Parquet bytes: {same}; regex look-behind: {lookbehind}")


def packing_figures(r, staged: list[list[bytes]], reps: int) -> None:
    """Print what redis-py's packing of the commit's arguments costs: one argument per row (the
    member and the staged bytes, workers/stage.py `commit_runs`) against two blobs per take."""
    n = sum(map(len, staged))
    takes = [[(b"s", f"e:{i}", data, b"d") for i, data in enumerate(t)] for t in staged]
    connection = r.connection_pool.get_connection()
    try:

        def per_row():
            for rows in takes:
                connection.pack_command("EVALSHA", "0" * 40, 5, *"abcde", *stage.commit_runs(rows))

        def blobs():
            for rows in takes:
                members = "\n".join(row[1] for row in rows)
                entries = b"".join(len(row[2]).to_bytes(4, "big") + row[2] for row in rows)
                connection.pack_command("EVALSHA", "0" * 40, 5, *"abcde", members, entries)

        for label, fn in (("per row (today)", per_row), ("two blobs per take", blobs)):
            runs = []
            for _ in range(reps):
                started = time.process_time()
                fn()
                runs.append(time.process_time() - started)
            us = statistics.median(runs) / n * 1e6
            print(f"  {'commit arguments packed, ' + label:52s} {us:6.2f}")
    finally:
        r.connection_pool.release(connection)


def same_records(a: bytes, b: bytes) -> bool:
    return pq.read_table(io.BytesIO(a)).to_pylist() == pq.read_table(io.BytesIO(b)).to_pylist()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mix", choices=("simple", "app"), default="simple")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    print(
        f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; --mix {args.mix}"
    )
    with Lab() as lab:
        r = lab.redis_client()
        queue_events(lab, args.events, args.mix)
        queued = r.lrange(keys.KEY_INCOMING, 0, -1)[::-1]  # oldest first, as takes pop them
        queued_employees = {orjson.loads(q)["e"] for q in queued}
        rules, policy = load_rules(r, queued_employees), get_policy(r)
        takes = [queued[i : i + TAKE] for i in range(0, len(queued), TAKE)]
        encode_shard(
            [{"id": "-", "type": "-", "category": "-", "ts": 0, "url": "-", "contributor": "-"}]
        )  # pyarrow's one-off import of pandas
        to_table([{"id": "-"}])
        results: dict[str, list[Counter]] = {"today": [], "columnar": []}
        outputs = {}
        gc.disable()  # as workers/gc_pacing.py keeps it off the worker's own objects
        for _ in range(args.reps):
            for name, fn in (("today", today), ("columnar", columnar)):
                reset(r)
                clock = Clock()
                outputs[name] = fn(r, [list(t) for t in takes], rules, policy, clock)
                results[name].append(clock.spent)
                gc.collect()
        gc.enable()
        r.close()
    n = len(queued)
    print(
        f"{n:,} events in takes of {TAKE} (each sealed as one batch), {args.reps} reps, "
        f"CPU microseconds per event: median and least of the reps"
    )
    for name, runs in results.items():
        print(f"{name}:")
        phases = list(dict.fromkeys(p for run in runs for p in run))
        for phase in phases:
            spent = [run[phase] / n * 1e6 for run in runs]
            print(f"  {phase:52s} {statistics.median(spent):6.2f} {min(spent):6.2f}")
        totals = [sum(run.values()) / n * 1e6 for run in runs]
        print(f"  {'all':52s} {statistics.median(totals):6.2f} {min(totals):6.2f}")
    ratios = [
        sum(b.values()) / sum(a.values())
        for a, b in zip(results["today"], results["columnar"], strict=True)
    ]
    print(
        f"columnar / today, same rep: median {statistics.median(ratios):.2f}, "
        f"range {min(ratios):.2f}-{max(ratios):.2f}"
    )
    (staged_a, shards_a), (staged_b, shards_b) = outputs["today"], outputs["columnar"]
    print(f"staged bytes the same: {staged_a == staged_b}")
    print(f"sealed records the same: {all(map(same_records, shards_a, shards_b))}")
    print(f"Parquet bytes the same: {shards_a == shards_b}")
    print("Redis client, CPU microseconds per event (median):")
    with Lab() as lab:
        r = lab.redis_client()
        packing_figures(r, staged_b, args.reps)
        r.close()
    polars_figures(takes, shards_b, args.reps)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
