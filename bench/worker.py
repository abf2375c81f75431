"""One `overt worker` against one backend process: events sealed/s vs events ingested/s.

    .venv/bin/python bench/worker.py [--quick] [--seconds 10] [--clients 16] [--mix app|simple]
                                     [--workers 1] [--profile | --phases]

In one run, on a private redis-server, with the same events in both parts (`--mix app`, the
default: every event type as a web app's users produce them, observations included, repeated
screens and a few one-off words, bench/_traffic.py; `--mix simple`: bench/ingest.py's four
types) and a fresh id on every event sent (a resent id is a duplicate: staged once, never sealed
twice, so it would cap what can be sealed):

1. worker alone: the benchmark's events are queued through the real intake code
   (`backend.core.intake.Intake.accept`), then one `overt worker --burst` stages and seals them
   all; prints events/s and events per worker CPU-second.
2. together: one backend (`overt serve --workers 1`) takes 50-event frames from `--clients`
   WebSocket clients while one `overt worker` stages and seals; prints events ingested/s
   (acknowledged), events sealed/s over the same window, the backlog left, each process's CPU,
   and the ratio sealed / ingested (target >= 1.0: the worker keeps up). `--workers N` runs N
   `overt worker` processes instead of one (their CPU summed).

`--profile` instead runs the staging and sealing code in this process under cProfile on the same
queued events and prints the top functions. `--phases` runs the same code on one thread, one take
and one seal after another (a seal reads its next batch ahead on a thread of its own, as always),
and prints each phase's wall and CPU microseconds per event (phases nest: `seal_records` includes
`encode_shard`), the process's CPU per event in all, and Redis's.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import threading
import time

import ingest
from _common import (
    CATEGORIES,
    ROOT,
    WORK_ORIGIN,
    Lab,
    cpu_seconds,
    enroll_consenting,
    make_event,
    raise_fd_limit,
    set_policy,
)
from _traffic import app_event

from backend.core import keys
from backend.core.employees import Identity, enroll
from backend.core.intake import Intake

BATCH_SIZE = 1000
# The first group of a pool event's id, replaced by a per-send counter (see FreshIdClient).
ID_STUB = "deadbeef-"
MIXES = {"app": app_event, "simple": make_event}


def mixed_pool(mix: str):
    """Return a bench/ingest.py frame_pool of `mix` events whose ids the client makes fresh."""
    make = MIXES[mix]

    def pool(frame_size: int, frames: int) -> list[str]:
        now = int(time.time() * 1000)
        out = []
        for f in range(frames):
            events = []
            for i in range(frame_size):
                event = make(f * frame_size + i, now)
                event["id"] = ID_STUB + event["id"][9:]
                events.append(event)
            out.append(json.dumps(events, separators=(",", ":")))
        return out

    return pool


class FreshIdClient(ingest.LoadClient):
    """bench/ingest.py's client, but every event it sends has an id never sent before."""

    def send_next(self) -> None:
        self.seq += 1
        events = self.pool[self.seq % len(self.pool)].replace(
            '"id":"' + ID_STUB, f'"id":"{self.seq:08x}-'
        )
        self.sent_at[self.seq] = time.perf_counter()
        self.send_text(f'{{"type":"events","seq":{self.seq},"events":{events}}}')


def queue_events(lab: Lab, count: int, mix: str = "app", employees: int = 16) -> None:
    """Queue `count` valid events of consenting employees through the real intake code."""
    r = lab.redis_client()
    intake = Intake(r, lambda: None)
    idents = []
    for i in range(employees):
        _, ident = enroll(r, f"w{i}", "bench")
        now = int(time.time() * 1000)
        r.hset(
            keys.key(keys.KEY_CONSENT, employee=ident.employee),
            mapping=dict.fromkeys(CATEGORIES, now - 60_000),
        )
        idents.append(ident)
    now = int(time.time() * 1000)
    for start in range(0, count, 50):
        ident: Identity = idents[(start // 50) % len(idents)]
        events = [MIXES[mix](start + i, now) for i in range(min(50, count - start))]
        ack = intake.accept(ident, start, events, (WORK_ORIGIN,))
        assert ack["accepted"] == len(events), ack
    r.delete(keys.KEY_DRAIN_PENDING)
    r.close()


def sealed_events(r) -> int:
    """Return how many events the sealed batches hold."""
    return sum(json.loads(v)["events"] for v in r.hvals(keys.KEY_BATCHES))


def backlog(r) -> int:
    """Return the events queued, being staged, staged or being sealed."""
    pipe = r.pipeline(transaction=False)
    pipe.llen(keys.KEY_INCOMING)
    pipe.llen(keys.KEY_STAGING)
    for k in r.scan_iter(match=keys.key(keys.KEY_PROCESSING, job="*")):
        pipe.llen(k)
    for k in r.scan_iter(match=keys.key(keys.KEY_SEALING, batch="*")):
        pipe.llen(k)
    return sum(pipe.execute())


def worker_env(lab: Lab) -> dict:
    return {**lab.env, "OVERT_BATCH_SIZE": str(BATCH_SIZE), "OVERT_BATCH_MAX_AGE": "1"}


def worker_alone(lab: Lab, count: int, mix: str) -> dict:
    """Queue `count` events, then time one `overt worker --burst` sealing all of them."""
    r = lab.redis_client()
    queue_events(lab, count, mix)
    before = sealed_events(r)
    # One drain job, as the backend enqueues; the burst worker also seals what is left.
    from workers.queue import enqueue_drain

    enqueue_drain(r)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "worker", "--burst"],
        env=worker_env(lab),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cpu = 0.0
    while proc.poll() is None:
        cpu = cpu_seconds(proc.pid) or cpu
        time.sleep(0.05)
    elapsed = time.perf_counter() - t0
    sealed = sealed_events(r) - before
    left = backlog(r)
    r.close()
    return {"events": sealed, "seconds": elapsed, "cpu_s": cpu, "left": left}


class TimedStats(ingest.Stats):
    """bench/ingest.py's counters, noting when its measured window opens and closes."""

    def __init__(self):
        super().__init__()
        self.marks: list[float] = []  # set after Stats sets `measuring` to False

    def __setattr__(self, name, value):
        if name == "measuring" and hasattr(self, "marks"):
            self.marks.append(time.perf_counter())
        super().__setattr__(name, value)


class Sampler(threading.Thread):
    """Samples the events sealed and the worker's CPU every `interval` seconds."""

    def __init__(self, lab: Lab, worker_pids: list[int], interval: float = 0.1):
        super().__init__(daemon=True)
        self.r, self.pids, self.interval = lab.redis_client(), worker_pids, interval
        self.samples: list[tuple[float, int, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            cpu = sum(cpu_seconds(pid) or 0.0 for pid in self.pids)
            self.samples.append((time.perf_counter(), sealed_events(self.r), cpu))
            self.done.wait(self.interval)
        self.r.close()

    def at(self, when: float) -> tuple[int, float]:
        """Return (events sealed, worker CPU seconds) as last sampled at or before `when`."""
        before = [s for s in self.samples if s[0] <= when] or self.samples[:1]
        return before[-1][1], before[-1][2]


def together(lab: Lab, args) -> dict:
    """One backend process and one worker at once, under the ingest benchmark's load.

    Both rates are taken over bench/ingest.py's measured window (after its warm-up, which lets
    the pipeline fill): events acknowledged, and events sealed (sampled every 0.1 s; shards hold
    BATCH_SIZE events, so the count moves in steps).
    """
    proc, port = lab.start_server("gevent", workers=1)
    set_policy(port)
    tokens = [enroll_consenting(port, f"together-{i}") for i in range(args.clients)]
    log = open(lab.dir / "worker.log", "wb")  # noqa: SIM115 (closed below)
    profiled = ["-m", "cProfile", "-o", args.profile_worker] if args.profile_worker else []
    workers = [
        subprocess.Popen(
            [sys.executable, *(profiled if n == 0 else []), "-m", "backend.cli", "worker"],
            env=worker_env(lab),
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        for n in range(args.workers)
    ]
    r = lab.redis_client()
    sampler = Sampler(lab, [w.pid for w in workers])
    try:
        time.sleep(2.0)
        sampler.start()
        pids = {"server": proc.pid, "redis": lab.redis.process.pid, "redis_url": lab.redis.url}
        ingest.frame_pool, ingest.LoadClient = mixed_pool(args.mix), FreshIdClient
        stats = {}

        def timed_stats():
            stats["it"] = TimedStats()
            return stats["it"]

        ingest.Stats = timed_stats
        result = asyncio.run(ingest.drive(port, tokens, 50, args, pids))
        opened, closed = stats["it"].marks[:2]
        left = backlog(r)
        t1 = time.perf_counter()
        while backlog(r) and time.perf_counter() - t1 < 60:
            time.sleep(0.1)
        catch_up = time.perf_counter() - t1
        time.sleep(0.2)
    finally:
        sampler.done.set()
        sampler.join(timeout=5)
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:  # a defect: say so, and do not leave it running
                print("a worker did not stop within 60 s of SIGTERM", flush=True)
                worker.kill()
                worker.wait()
        log.close()
        lab.stop(proc)
        r.close()
    (sealed0, wcpu0), (sealed1, wcpu1) = sampler.at(opened), sampler.at(closed)
    window = closed - opened
    return {
        "ingested_per_s": result["events_per_s"],
        "ingested_total": result["accepted_total"],
        "sealed_per_s": (sealed1 - sealed0) / window,
        "sealed_window": sealed1 - sealed0,
        "sealed_total": sampler.samples[-1][1] - sampler.samples[0][1],
        "window_s": window,
        "backend_cores": result["cpu"]["server"],
        "worker_cores": (wcpu1 - wcpu0) / window,
        "redis_cores": result["cpu"]["redis"],
        "client_cores": result["cpu"]["client"],
        "left": left,
        "catch_up_s": catch_up,
    }


def profile(lab: Lab, count: int, mix: str, sort: str = "tottime", top: int = 25) -> None:
    """Stage and seal `count` queued events in this process under cProfile."""
    from backend.core.config import load_settings
    from workers.batches import seal_due
    from workers.gc_pacing import PACER
    from workers.jobs import drain_queue

    PACER.enable()  # as in an `overt worker` process

    queue_events(lab, count, mix)
    r = lab.redis_client()
    settings = load_settings({**worker_env(lab), "OVERT_DATA_DIR": str(lab.dir / "data")})
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    while r.llen(keys.KEY_INCOMING):
        drain_queue(r, settings, (BATCH_SIZE, 1.0), max_takes=1000)
    seal_due(r, settings.datasets_dir, BATCH_SIZE, 1.0, force=True, secret=settings.secret)
    prof.disable()
    elapsed = time.perf_counter() - t0
    print(f"staged and sealed {sealed_events(r)} events in {elapsed:.2f} s (under cProfile)")
    with tempfile.NamedTemporaryFile("w+", suffix=".txt") as out:
        pstats.Stats(prof, stream=out).sort_stats(sort).print_stats(top)
        out.seek(0)
        print(out.read())


# (module, function, label) timed by --phases; nested phases are timed inside their callers.
PHASES = [
    ("workers.stage", "take", "stage: take"),
    ("workers.stage", "parse_entries", "stage: parse_entries"),
    ("workers.stage", "load_rules", "stage: load_rules"),
    ("workers.stage", "get_policy", "stage: get_policy"),
    ("workers.stage", "stage_entries", "stage: stage_entries"),
    ("workers.stage", "record_words", "stage: record_words"),
    ("backend.core.rarity", "count_records", "stage: count_records"),
    ("workers.stage", "commit", "stage: commit"),
    ("workers.batches", "is_due", "seal: is_due"),
    ("workers.batches", "take_next", "seal: take_next"),
    ("workers.batches", "sealable", "seal: sealable"),
    ("workers.batches", "load_rules", "seal: load_rules"),
    ("workers.batches", "mask_rare_words", "seal: mask_rare_words"),
    ("workers.batches", "seal_records", "seal: seal_records"),
    ("workers.batches", "encode_shard", "seal:   encode_shard"),
    ("workers.batches", "build_card", "seal:   build_card"),
    ("workers.batches", "read_raw_lines", "seal:   read_raw_lines"),
    ("workers.batches", "append", "seal:   append (manifest)"),
    ("workers.batches", "write_readme", "seal: write_readme"),
]


def phases(lab: Lab, count: int, mix: str) -> None:
    """Stage and seal `count` queued events on one thread; print each phase's cost per event."""
    import importlib

    from backend.core.config import load_settings
    from workers import batches, stage
    from workers.gc_pacing import PACER

    PACER.enable()  # as in an `overt worker` process

    wall: dict[str, float] = dict.fromkeys((label for *_, label in PHASES), 0.0)
    cpu = dict(wall)

    def timed(module, name: str, label: str) -> None:
        inner = getattr(module, name)

        def wrapper(*args, **kwargs):
            t, c = time.perf_counter(), time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                wall[label] += time.perf_counter() - t
                cpu[label] += time.thread_time() - c

        setattr(module, name, wrapper)

    queue_events(lab, count, mix)
    r = lab.redis_client()
    settings = load_settings({**worker_env(lab), "OVERT_DATA_DIR": str(lab.dir / "data")})
    # pyarrow imports pandas on its first conversion (about 0.3 s, once per worker process): not
    # a cost per event.
    from backend.core.datasets import encode_shard

    encode_shard(
        [{"id": "-", "type": "-", "category": "-", "ts": 0, "url": "-", "contributor": "-"}]
    )
    for module, name, label in PHASES:
        timed(importlib.import_module(module), name, label)
    redis_cpu0 = cpu_seconds(lab.redis.process.pid)
    t0, c0 = time.perf_counter(), time.process_time()  # sealing reads ahead on a thread
    taken = 0
    while True:
        prepared = stage.prepare_take(r, settings.secret)
        if prepared is not None:
            stage.commit_take(r, settings.secret, prepared)
            taken += prepared.size
        if prepared is None or len(stage.STAGED) >= 8 * BATCH_SIZE:
            batches.seal_due(
                r, settings.datasets_location, BATCH_SIZE, 1.0, force=True, secret=settings.secret
            )
        if prepared is None:
            break
    elapsed, used = time.perf_counter() - t0, time.process_time() - c0
    redis_used = cpu_seconds(lab.redis.process.pid) - redis_cpu0
    sealed = sealed_events(r)
    r.close()
    per = 1e6 / max(taken, 1)
    print(f"staged {taken:,} and sealed {sealed:,} events in {elapsed:.2f} s")
    print(f"{'phase':32s} {'wall us/event':>14s} {'cpu us/event':>13s}")
    for label in wall:
        print(f"{label:32s} {wall[label] * per:14.2f} {cpu[label] * per:13.2f}")
    print(
        f"{'all':32s} {elapsed * per:14.2f} {used * per:13.2f}\n"
        f"redis-server CPU {redis_used * per:.2f} us/event; "
        f"{taken / max(used, 1e-9):,.0f} events per worker CPU-second"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, help="measured seconds of load (default 10)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--workers", type=int, default=1, help="`overt worker` processes in part 2 (default 1)"
    )
    parser.add_argument("--window", type=int, default=2)
    parser.add_argument("--events", type=int, help="events queued for the worker alone")
    parser.add_argument("--mix", choices=sorted(MIXES), default="app", help="events sent")
    parser.add_argument("--profile", action="store_true", help="cProfile staging and sealing")
    parser.add_argument(
        "--phases", action="store_true", help="time each phase of staging and sealing"
    )
    parser.add_argument("--sort", default="tottime", help="--profile: pstats sort key")
    parser.add_argument(
        "--profile-worker", metavar="FILE", help="run the worker of part 2 under cProfile to FILE"
    )
    parser.add_argument("--top", type=int, default=25, help="--profile: functions shown")
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (4.0 if args.quick else 10.0)
    args.warmup = 3.0  # the pipeline fills: shards are sealed by size or after 1 s
    args.events = args.events or (20_000 if args.quick else 50_000)
    raise_fd_limit(4096)
    print(
        f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; --mix {args.mix}"
    )
    with Lab() as lab:
        if args.profile:
            profile(lab, args.events, args.mix, args.sort, args.top)
            return 0
        if args.phases:
            phases(lab, args.events, args.mix)
            return 0
        alone = worker_alone(lab, args.events, args.mix)
        print(
            f"worker alone: sealed {alone['events']:,} events in {alone['seconds']:.1f} s "
            f"({alone['events'] / alone['seconds']:,.0f} events/s, "
            f"{alone['events'] / max(alone['cpu_s'], 0.01):,.0f} per worker CPU-second; "
            f"startup included), {alone['left']} left",
            flush=True,
        )
        both = together(lab, args)
    print(
        f"together, one backend process + {args.workers} worker(s), {args.clients} clients, over "
        f"the same {both['window_s']:.1f} s window:\n"
        f"  ingested {both['ingested_per_s']:,.0f} events/s (backend {both['backend_cores']:.2f} "
        f"cores)\n"
        f"  sealed   {both['sealed_per_s']:,.0f} events/s ({both['sealed_window']:,} events; "
        f"worker {both['worker_cores']:.2f} cores)\n"
        f"  redis {both['redis_cores']:.2f} cores, load generator {both['client_cores']:.2f}\n"
        f"  backlog when the load stopped: {both['left']:,} events, gone "
        f"{both['catch_up_s']:.1f} s later; {both['ingested_total']:,} acknowledged in all, "
        f"{both['sealed_total']:,} sealed\n"
        f"  sealed / ingested = {both['sealed_per_s'] / both['ingested_per_s']:.2f} "
        f"(target >= 1.0); events per CPU-second: worker "
        f"{both['sealed_per_s'] / max(both['worker_cores'], 0.01):,.0f}, backend "
        f"{both['ingested_per_s'] / max(both['backend_cores'], 0.01):,.0f}"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
