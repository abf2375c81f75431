"""Sealing throughput and size: JSONL.gz against Parquet, a local folder against an S3 server.

    .venv/bin/python bench/datasets.py [--quick] [--events 20000] [--batch 1000]

Measured in one run, on 127.0.0.1, with a private redis-server and (for S3) moto's S3 server
started as a subprocess:

- encode: dataset records -> shard bytes, JSONL.gz (the schema-1 encoder, gzip level 9) against
  Parquet (zstd, fixed schema); events/s on one core and bytes per event;
- worker: what one worker does for queued events, in-process: stage (consent filter, redaction,
  pseudonyms, exactly-once) then seal (`seal_due`: shard, card, manifest, dataset card), per
  storage back end and shard format; events/s;
- baseline: `backend.schemas.validate_event` on one core, the ceiling of what one backend process
  ingests (bench/ingest.py measures the real handler below it);
- history: sealing on a local folder into an empty dataset, then into the same dataset once
  `--history` shards more are indexed and in its manifest (a long-running deployment): events/s
  and their ratio (1.0: sealing does not slow down as the dataset grows).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import time

from _common import Lab, free_port, make_event
from ingest import validation_rate

from backend.core import keys
from backend.core.dataset_manifest import append, read_manifest
from backend.core.dataset_storage import open_storage
from backend.core.dataset_totals import put_entry
from backend.core.datasets import encode_shard
from backend.core.policy import get_policy
from backend.core.vocabulary import CATEGORIES, CATEGORY_OF
from workers import batches
from workers.stage import stage_once

SECRET = "bench-secret"
EMPLOYEES = 50


def jsonl_gz(records: list[dict]) -> bytes:
    """The schema-1 shard encoder: one sorted-keys JSON object per line, gzip, mtime 0."""
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        for rec in records:
            gz.write(json.dumps(rec, sort_keys=True, separators=(",", ":")).encode() + b"\n")
    return raw.getvalue()


def records(n: int) -> list[dict]:
    """Return `n` dataset records as staging makes them."""
    version = "0123456789ab"
    out = []
    for i in range(n):
        ev = make_event(i)
        out.append(
            {
                **ev,
                "category": CATEGORY_OF[ev["type"]],
                "contributor": f"p_{i % EMPLOYEES:024x}",
                "policy_version": version,
            }
        )
    return out


def encode_rate(encoder, batches_: list[list[dict]]) -> tuple[float, float]:
    """Return (events/s, bytes/event) of `encoder` over `batches_` (after one warm-up call)."""
    encoder(batches_[0])  # imports, codec set-up
    size = 0
    start = time.perf_counter()
    for batch in batches_:
        size += len(encoder(batch))
    elapsed = time.perf_counter() - start
    events = sum(len(b) for b in batches_)
    return events / elapsed, size / events


def queue_events(r, n: int) -> None:
    """Queue `n` accepted events from EMPLOYEES consenting employees, as backends do."""
    received = int(time.time() * 1000)
    since = received - 3_600_000
    for e in range(EMPLOYEES):
        r.hset(
            keys.key(keys.KEY_CONSENT, employee=f"e{e}"), mapping=dict.fromkeys(CATEGORIES, since)
        )
    version = get_policy(r)["version"]
    entries = []
    for i in range(n):
        ev = make_event(i, received)
        entry = {
            "e": f"e{i % EMPLOYEES}",
            "t": "bench",
            "d": "dev_bench",
            "c": CATEGORY_OF[ev["type"]],
        }
        entries.append(json.dumps({**entry, "r": received, "p": version, "ev": ev}))
    for i in range(0, n, 1000):
        r.lpush(keys.KEY_INCOMING, *entries[i : i + 1000])


def worker_rate(lab: Lab, location: str, n: int, batch: int) -> dict:
    """Queue `n` events, stage and seal them in-process; return events/s of each part."""
    r = lab.redis_client()
    r.flushdb()
    queue_events(r, n)
    start = time.perf_counter()
    while stage_once(r, SECRET):
        pass
    staged = time.perf_counter()
    sealed = batches.seal_due(r, location, batch, 60, force=True, secret=SECRET)
    done = time.perf_counter()
    events = sum(json.loads(v)["events"] for v in r.hvals(keys.KEY_BATCHES))
    assert events == n, (events, n)
    return {
        "stage": n / (staged - start),
        "seal": n / (done - staged),
        "worker": n / (done - start),
        "shards": len(sealed),
    }


def seal_rate(r, location: str, n: int, batch: int) -> float:
    """Queue `n` events, stage them, then time sealing them; return events sealed/s."""
    queue_events(r, n)
    while stage_once(r, SECRET):
        pass
    start = time.perf_counter()
    batches.seal_due(r, location, batch, 60, force=True, secret=SECRET)
    return n / (time.perf_counter() - start)


def add_history(r, location: str, shards: int) -> None:
    """Index `shards` more shards like the newest one, with their manifest lines."""
    storage = open_storage(location)
    entry = json.loads(r.hvals(keys.KEY_BATCHES)[0])
    line = {k: v for k, v in read_manifest(storage)[-1].items() if k not in ("line", "prev")}
    pipe = r.pipeline(transaction=False)
    lines = []
    for i in range(shards):
        batch_id = f"b00000000T000000-{i:08x}"
        put_entry(r, batch_id, {**entry, "batch_id": batch_id}, pipe)
        lines.append({**line, "batch_id": batch_id})
        if len(pipe) >= 1000:
            pipe.execute()
    pipe.execute()
    append(storage, lines)


def history_rate(lab: Lab, n: int, batch: int, history: int) -> dict:
    """Seal into an empty local dataset, then into the same one with `history` shards more."""
    r = lab.redis_client()
    r.flushdb()
    location = str(lab.dir / "ds-history")
    seal_rate(r, location, batch, batch)  # warm: imports, first files
    fresh = seal_rate(r, location, n, batch)
    add_history(r, location, history)
    seal_rate(r, location, batch, batch)  # the first seal after the history reads it all once
    return {"fresh": fresh, "history": seal_rate(r, location, n, batch), "shards": history}


def start_s3(lab: Lab) -> tuple[subprocess.Popen, str]:
    """Start moto's S3 server as a subprocess; return it and its URL once it answers."""
    import urllib.request

    port = free_port()
    log = open(lab.dir / "moto.log", "wb")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "moto_server"),
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        stdout=log,
        stderr=log,
    )
    proc.log = log  # closed by Lab.stop
    lab.procs.append(proc)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("moto_server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer events")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000, help="events per shard")
    parser.add_argument("--history", type=int, help="shards already sealed (default 20,000)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    n = 5_000 if args.quick else args.events
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    figures: dict = {}

    ceiling = validation_rate(3 if args.quick else 6, fast=True)  # what a backend runs
    figures["ingest_ceiling"] = ceiling
    print(f"baseline: validate_event on one core {ceiling:,.0f} events/s")

    sample = records(args.batch)
    chunks = [sample] * max(1, n // args.batch)
    for name, encoder in (("jsonl.gz", jsonl_gz), ("parquet", encode_shard)):
        rate, per_event = encode_rate(encoder, chunks)
        figures[f"encode_{name}"] = {"events_s": rate, "bytes_per_event": per_event}
        print(f"encode {name:9} {rate:>10,.0f} events/s  {per_event:6.1f} bytes/event")

    with Lab() as lab:
        _, endpoint = start_s3(lab)
        os.environ.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
        )
        open_storage("s3://overt-bench").fs.mkdir("overt-bench")
        parquet_encoder = batches.encode_shard
        for fmt, encoder in (("parquet", parquet_encoder), ("jsonl.gz", jsonl_gz)):
            batches.encode_shard = encoder  # the rest of the sealing path is the same
            for where in ("local", "s3"):
                location = (
                    str(lab.dir / f"ds-{fmt}") if where == "local" else f"s3://overt-bench/{fmt}"
                )
                rate = worker_rate(lab, location, n, args.batch)
                figures[f"worker_{fmt}_{where}"] = rate
                print(
                    f"worker {fmt:9} {where:5}  stage {rate['stage']:>8,.0f}  seal "
                    f"{rate['seal']:>8,.0f}  stage+seal {rate['worker']:>8,.0f} events/s "
                    f"({rate['shards']} shards)"
                )
        batches.encode_shard = parquet_encoder
        history = args.history or (5_000 if args.quick else 20_000)
        grown = history_rate(lab, n, args.batch, history)
        figures["seal_with_history"] = grown
        print(
            f"seal into an empty dataset {grown['fresh']:>8,.0f} events/s; with {history:,} "
            f"shards already sealed {grown['history']:>8,.0f} events/s "
            f"(ratio {grown['history'] / grown['fresh']:.2f})"
        )

    best = figures["worker_parquet_local"]["worker"]
    print(
        f"ratio: one worker (Parquet, local) / one-core ingest ceiling = {best / ceiling:.2f}; "
        f"seal alone / ceiling = {figures['worker_parquet_local']['seal'] / ceiling:.2f}"
    )
    j, p = figures["encode_jsonl.gz"], figures["encode_parquet"]
    print(
        f"ratio: Parquet / JSONL.gz encode speed = {p['events_s'] / j['events_s']:.2f}, "
        f"size = {p['bytes_per_event'] / j['bytes_per_event']:.2f}"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(figures, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
