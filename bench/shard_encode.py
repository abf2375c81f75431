"""What writing one shard costs per event in Arrow and Parquet, and what a columnar path would.

    .venv/bin/python bench/shard_encode.py [--mix simple|app] [--records 1000] [--reps 30]

On one batch of staged records (`--mix simple`, the default: bench/ingest.py's four types, every
URL a new one; `app`: bench/_traffic.py), in this process, no Redis:

- today's `encode_shard` (backend/core/datasets.py) on the records as dicts, and its `to_table`
  alone;
- orjson parsing the staged JSON lines, and `pyarrow.json.read_json` reading the same lines with
  the fixed schema (backend/core/dataset_schema.py) straight into a table: what a columnar seal
  would start from;
- `pq.write_table` of that table with today's options and with others (no dictionary encoding,
  no statistics, other codecs), with the bytes per event each writes.

Prints microseconds per event (CPU of this process), and whether the table read by pyarrow.json
writes the same bytes as today's path. Used to decide whether a columnar seal pays
(docs/operations.md, "One worker against one backend process").
"""

from __future__ import annotations

import argparse
import io
import time

import orjson
import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq
from _common import make_event
from _traffic import app_event

from backend.core.dataset_schema import arrow_schema, to_table
from backend.core.datasets import COMPRESSION, encode_shard

MIXES = {"simple": make_event, "app": app_event}
WRITE_OPTIONS = {
    "today (zstd)": {"compression": COMPRESSION},
    "zstd, no statistics": {"compression": COMPRESSION, "write_statistics": False},
    "zstd, no dictionary": {"compression": COMPRESSION, "use_dictionary": False},
    "snappy": {"compression": "snappy"},
    "uncompressed": {"compression": "none"},
}


def staged_batch(mix: str, count: int) -> tuple[list[dict], list[bytes]]:
    """Return `count` records as sealing holds them, and their staged JSON lines."""
    now = int(time.time() * 1000)
    records = []
    for i in range(count):
        record = MIXES[mix](i, now)
        record.update(category="navigation", contributor="c_" + "ab" * 8, policy_version="v1")
        records.append(record)
    head = {"employee": "e_bench", "team": "bench", "category": "navigation", "received": now}
    return records, [orjson.dumps({**head, "record": r}) for r in records]


def per_event(fn, count: int, reps: int) -> float:
    """Return the CPU microseconds per event of `fn` (one batch per call), after a warm-up."""
    fn()
    started = time.process_time()
    for _ in range(reps):
        fn()
    return (time.process_time() - started) / reps / count * 1e6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mix", choices=sorted(MIXES), default="simple")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args(argv)
    n = args.records
    records, lines = staged_batch(args.mix, n)
    schema = arrow_schema()
    wrapper = pa.schema(
        [
            ("employee", pa.string()),
            ("team", pa.string()),
            ("category", pa.string()),
            ("received", pa.int64()),
            ("record", pa.struct(list(schema))),
        ]
    )
    parse = pj.ParseOptions(explicit_schema=wrapper, unexpected_field_behavior="ignore")
    read = pj.ReadOptions(use_threads=False, block_size=1 << 24)

    def read_json() -> pa.Table:
        table = pj.read_json(io.BytesIO(b"\n".join(lines)), read_options=read, parse_options=parse)
        columns = table.column("record").combine_chunks().flatten()
        return pa.Table.from_arrays(columns, schema=schema)

    def write(table: pa.Table, options: dict) -> bytes:
        out = io.BytesIO()
        pq.write_table(table, out, **options)
        return out.getvalue()

    print(f"--mix {args.mix}, {n} records a batch, CPU microseconds per event")
    rows = [
        ("encode_shard on dicts (today)", per_event(lambda: encode_shard(records), n, args.reps)),
        ("  to_table alone", per_event(lambda: to_table(records), n, args.reps)),
        (
            "orjson.loads of the staged lines",
            per_event(lambda: list(map(orjson.loads, lines)), n, args.reps),
        ),
        ("pyarrow.json.read_json of the same lines", per_event(read_json, n, args.reps)),
    ]
    for label, us in rows:
        print(f"  {label:44s} {us:6.2f}")
    table = read_json()
    for label, options in WRITE_OPTIONS.items():
        size = len(write(table, options)) / n
        us = per_event(lambda options=options: write(table, options), n, args.reps)
        print(f"  write_table, {label:31s} {us:6.2f}   ({size:.0f} bytes/event)")
    same = write(table, WRITE_OPTIONS["today (zstd)"]) == encode_shard(records)
    print(f"the table read by pyarrow.json writes today's bytes: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
