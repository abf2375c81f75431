"""Ingest throughput through `/ws`: the real handler against two baselines from the same run.

    .venv/bin/python bench/ingest.py [--quick] [--models threads,gevent] [--clients 16]

Measured, all on 127.0.0.1 with a private redis-server (AOF everysec, as the embedded one runs):

- validation alone: `backend.core.events.validate_event` in a loop over the same events, with
  marshmallow validating every event and with the compiled fast path, per CPU-second of one core;
- real: the real backend (hello with a device token, validation, the Lua accept script, ack after
  the write) under each server model: werkzeug threads in one process (as `overt up` runs it)
  and `overt serve --workers N` (gunicorn + gevent; one process unless `--workers`);
- bare: a minimal flask-sock handler (receive, one LPUSH of the frame's events, ack) served the
  same way.

Several clients each keep a bounded window of frames in flight (50 events, then 1 event per frame)
and count only acknowledged events, checking that the real handler accepted every one of them.

`--profile FILE`: only the real handler, in one gevent worker with cProfile on in the worker
(`profiled_app()`); the stats are written to FILE and printed by own time.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import sys
import time

from _common import (
    MODELS,
    Lab,
    WSClientProtocol,
    cpu_seconds,
    enroll_consenting,
    family,
    make_event,
    percentiles,
    raise_fd_limit,
    set_policy,
    ws_connect,
)

from backend.core import events, keys
from backend.core.config import MAX_FRAME_BYTES
from backend.core.events import validate_event

BARE_KEY = "bench:bare:incoming"
REAL_APP = "backend:create_app()"
BARE_APP = "ingest:bare_app()"
# The same real app with a 64 KiB socket read instead of simple-websocket's 4 KiB default.
REAL_APP_RB64 = (
    "backend:create_app({'SOCK_SERVER_OPTIONS': "
    f"{{'max_message_size': {MAX_FRAME_BYTES}, 'receive_bytes': 65536}}}})"
)


def bare_app():
    """Return the baseline: flask-sock, receive a frame, one LPUSH of its events, send the ack."""
    import redis
    from flask import Flask
    from flask_sock import Sock

    app = Flask(__name__)
    app.config["SOCK_SERVER_OPTIONS"] = {"max_message_size": MAX_FRAME_BYTES}
    sock = Sock(app)
    r = redis.Redis.from_url(os.environ["OVERT_REDIS_URL"])

    @sock.route("/ws")
    def ws(ws):
        while True:
            frame = json.loads(ws.receive())
            if frame.get("type") == "events":
                events = frame["events"]
                r.lpush(BARE_KEY, *[json.dumps(e, separators=(",", ":")) for e in events])
                ack = {"type": "ack", "seq": frame["seq"], "accepted": len(events), "rejected": []}
                ws.send(json.dumps(ack))
            elif frame.get("type") == "hello":
                ws.send(json.dumps({"type": "welcome", "process": str(os.getpid())}))

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


PROFILED_APP = "ingest:profiled_app()"


def profiled_app():
    """Return the real app with cProfile on in its gevent worker, written out every second.

    Every greenlet of a gevent worker runs on one thread, so one profiler sees the handler,
    the transport and the Redis client; the stats go to $OVERT_BENCH_PROFILE (`--profile`).
    """
    import cProfile

    import gevent

    from backend import create_app

    app = create_app()
    prof = cProfile.Profile()

    def dump() -> None:
        while True:
            gevent.sleep(1.0)
            prof.dump_stats(os.environ["OVERT_BENCH_PROFILE"])  # stops the profiler: restart
            prof.enable()

    gevent.spawn(dump)
    prof.enable()
    return app


def print_profile(path: str, top: int = 30) -> None:
    """Print the worker's profile: the functions that cost the most, by own time."""
    import io
    import pstats

    out = io.StringIO()
    pstats.Stats(path, stream=out).sort_stats("tottime").print_stats(top)
    print(out.getvalue())


# -- the validation ceiling ------------------------------------------------------------------


def validation_rate(seconds: float, fast: bool, pool_size: int = 2000) -> float:
    """Return events/s that `validate_event` manages on one core for `seconds` (CPU time).

    `fast=False` turns the compiled fast path off for the whole loop, so marshmallow validates
    every event; the events are the ones the load generator sends.
    """
    now = int(time.time() * 1000)
    pool = [make_event(i, now) for i in range(pool_size)]
    saved = dict(events.FAST_EVENT_SCHEMAS)
    if not fast:
        events.FAST_EVENT_SCHEMAS.update(dict.fromkeys(saved, lambda data: None))
    try:
        done = 0
        start, cpu0 = time.perf_counter(), time.process_time()
        while time.perf_counter() - start < seconds:
            for raw in pool[:200]:
                validate_event(raw, now)
            done += 200
            pool.append(pool.pop(0))
        return done / (time.process_time() - cpu0)
    finally:
        events.FAST_EVENT_SCHEMAS.update(saved)


# -- the load generator ----------------------------------------------------------------------


class Stats:
    """Counters shared by every client of one measurement."""

    def __init__(self):
        self.running = True
        self.measuring = False
        self.frames = 0
        self.accepted = 0
        self.accepted_total = 0
        self.rejected: collections.Counter = collections.Counter()
        self.errors: collections.Counter = collections.Counter()
        self.latencies: list[float] = []


class LoadClient(WSClientProtocol):
    """Authenticates, then keeps `window` events frames in flight, sending one per ack."""

    def __init__(self, host, port, path, pool: list[str], window: int, stats: Stats):
        super().__init__(host, port, path)
        self.pool, self.window, self.stats = pool, window, stats
        self.seq = 0
        self.sent_at: dict[int, float] = {}
        self.welcomed = asyncio.get_running_loop().create_future()

    def send_next(self) -> None:
        self.seq += 1
        events = self.pool[self.seq % len(self.pool)]
        self.sent_at[self.seq] = time.perf_counter()
        self.send_text(f'{{"type":"events","seq":{self.seq},"events":{events}}}')

    def start(self) -> None:
        for _ in range(self.window):
            self.send_next()

    def on_message(self, text: str, received_at: float) -> None:
        frame = json.loads(text)
        kind = frame.get("type")
        stats = self.stats
        if kind == "welcome":
            self.welcomed.set_result(frame)
            return
        if kind == "error":
            stats.errors[frame.get("code")] += 1
            if frame.get("seq") is None:
                return
        elif kind != "ack":
            return
        sent = self.sent_at.pop(frame["seq"], received_at)
        accepted = frame.get("accepted", 0)
        stats.accepted_total += accepted
        if stats.measuring:
            stats.frames += 1
            stats.accepted += accepted
            stats.latencies.append(received_at - sent)
            for item in frame.get("rejected", ()):
                stats.rejected[item["code"]] += 1
        if stats.running:
            self.send_next()

    def in_flight(self) -> int:
        return len(self.sent_at)


def frame_pool(frame_size: int, frames: int) -> list[str]:
    """Return `frames` JSON arrays of `frame_size` distinct events each."""
    now = int(time.time() * 1000)
    return [
        json.dumps([make_event(f * frame_size + i, now) for i in range(frame_size)])
        for f in range(frames)
    ]


async def drive(port: int, tokens: list[str], frame_size: int, args, pids: dict) -> dict:
    """Run `len(tokens)` clients against `port`; return throughput, latency and CPU figures."""
    stats = Stats()
    pool_frames = max(4, 2000 // frame_size)
    clients = []
    for token in tokens:
        pool = frame_pool(frame_size, pool_frames)
        client = await ws_connect(
            lambda h, p, path, pool=pool: LoadClient(h, p, path, pool, args.window, stats),
            "127.0.0.1",
            port,
        )
        client.send_text(json.dumps({"type": "hello", "token": token, "client": {"version": "b"}}))
        clients.append(client)
    welcomes = await asyncio.wait_for(asyncio.gather(*(c.welcomed for c in clients)), 10)
    spread = spread_of(welcomes, pids)
    for client in clients:
        client.start()
    await asyncio.sleep(args.warmup)
    pids = {name: pid for name, pid in pids.items() if isinstance(pid, int)}
    cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
    client_cpu0, t0 = time.process_time(), time.perf_counter()
    stats.measuring = True
    await asyncio.sleep(args.seconds)
    stats.measuring = False
    elapsed = time.perf_counter() - t0
    cpu = {name: (cpu_seconds(pid) - cpu0[name]) / elapsed for name, pid in pids.items()}
    cpu["client"] = (time.process_time() - client_cpu0) / elapsed
    stats.running = False
    deadline = time.monotonic() + 5
    while any(c.in_flight() for c in clients) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    for client in clients:
        client.close()
    lat = percentiles(stats.latencies)
    return {
        "frame_size": frame_size,
        "events_per_s": stats.accepted / elapsed,
        "frames_per_s": stats.frames / elapsed,
        "ack_ms": {k: v * 1000 for k, v in lat.items()},
        "cpu": cpu,
        "accepted_total": stats.accepted_total,
        "rejected": dict(stats.rejected),
        "errors": dict(stats.errors),
        "sockets_per_process": spread,
    }


def spread_of(welcomes: list[dict], pids: dict) -> list[int]:
    """Return how many sockets each server process holds, largest first.

    gunicorn's workers race to accept from one listening socket, so a burst of connections can
    land unevenly; the real app records its connections in Redis with the process id.
    """
    if all("process" in w for w in welcomes):
        counts = collections.Counter(w["process"] for w in welcomes)
    else:
        import redis

        r = redis.Redis.from_url(pids["redis_url"])
        infos = [json.loads(v) for v in r.hvals(keys.KEY_CONNECTION_INFO)]
        r.close()
        alive = {str(pid) for pid in family(pids["server"])}  # not a stopped server's leftovers
        counts = collections.Counter(
            i["process"] for i in infos if i["process"].split("-")[0] in alive
        )
    return sorted(counts.values(), reverse=True)


# -- one server, several measurements --------------------------------------------------------


def run_case(lab: Lab, model: str, handler: str, app: str, args) -> list[dict]:
    """Start one server, measure each frame size against it, stop it."""
    proc, port = lab.start_server(model, app, workers=args.workers)
    r = lab.redis_client()
    tokens = ["-"] * args.clients
    if handler != "bare":
        set_policy(port)
        tokens = [enroll_consenting(port, f"{model}-{handler}-{i}") for i in range(args.clients)]
    key = BARE_KEY if handler == "bare" else keys.KEY_INCOMING
    pids = {"server": proc.pid, "redis": lab.redis.process.pid, "redis_url": lab.redis.url}
    results = []
    try:
        for size in args.frame_sizes:
            r.unlink(key)
            result = asyncio.run(drive(port, tokens, size, args, pids))
            stored = r.llen(key)
            if stored != result["accepted_total"]:
                raise RuntimeError(f"acked {result['accepted_total']} events, Redis holds {stored}")
            if result["rejected"] or result["errors"]:
                raise RuntimeError(f"{handler}: rejected {result['rejected']} {result['errors']}")
            result.update(model=model, handler=handler)
            results.append(result)
            print(row(result), flush=True)
            r.unlink(key)
    finally:
        lab.stop(proc)
        r.close()
    return results


def row(res: dict) -> str:
    """Format one measurement as a table row."""
    cpu = res["cpu"]
    ack = res["ack_ms"]
    return (
        f"{res['model']:8} {res['handler']:10} {res['frame_size']:>5} "
        f"{res['events_per_s']:>10,.0f} {res['frames_per_s']:>9,.0f} "
        f"{ack['p50']:>7.2f} {ack['p99']:>7.2f}   "
        f"{cpu['server']:>4.2f} {cpu['redis']:>4.2f} {cpu['client']:>4.2f}  "
        f"{res['events_per_s'] / max(cpu['server'], 0.01):>9,.0f}   "
        + "/".join(map(str, res["sockets_per_process"]))
    )


HEADER = (
    f"{'model':8} {'handler':10} {'frame':>5} {'events/s':>10} {'frames/s':>9} "
    f"{'ack p50':>7} {'ack p99':>7}   cores: server redis client  ev/server-core-s  sockets"
)


def report(slow: float, fast: float, results: list[dict]) -> None:
    """Print the ratios the targets are stated in."""
    by = {(r["model"], r["handler"], r["frame_size"]): r for r in results}
    print("\nratios (target: real >= 0.5 x bare, same model and frame size)")
    for (model, handler, size), res in sorted(by.items()):
        if handler == "bare":
            continue
        rate = res["events_per_s"]
        per_core = rate / max(res["cpu"]["server"], 0.01)
        parts = [f"{per_core / fast:.2f} x the fast path alone (per core)"]
        bare = by.get((model, "bare", size))
        if bare:
            bare_core = bare["events_per_s"] / max(bare["cpu"]["server"], 0.01)
            parts.insert(0, f"{rate / bare['events_per_s']:.2f} x bare")
            parts.insert(1, f"{per_core / bare_core:.2f} x bare per server core")
        print(f"  {model:8} {handler:10} {size:>3}-event frames: " + ", ".join(parts))
    print(f"  validation: fast path {fast / slow:.1f} x marshmallow alone")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (about a minute)")
    parser.add_argument("--models", default=",".join(MODELS), help="threads,gevent")
    parser.add_argument("--clients", type=int, default=16, help="concurrent WebSocket clients")
    parser.add_argument("--window", type=int, default=2, help="frames in flight per client")
    parser.add_argument("--workers", type=int, default=1, help="gevent worker processes")
    parser.add_argument("--frame-sizes", default="50,1", help="events per frame, comma-separated")
    parser.add_argument("--seconds", type=float, help="measured seconds per case (default 8)")
    parser.add_argument(
        "--receive-buffer",
        action="store_true",
        help="also measure the real app with a 64 KiB socket read",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="only the real handler (gevent) under cProfile: write the stats to FILE, print them",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary dir (logs)")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (3.0 if args.quick else 8.0)
    args.warmup = 1.0 if args.quick else 2.0
    args.models = [m for m in args.models.split(",") if m]
    args.frame_sizes = [int(s) for s in args.frame_sizes.split(",")]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    raise_fd_limit(4096)
    print(f"load average before: {os.getloadavg()[0]:.2f} (other work skews the figures)")
    print(
        f"{os.cpu_count()} cores; {args.clients} clients x {args.window} frames in flight; "
        f"{args.seconds:.0f} s per case after {args.warmup:.0f} s warm-up"
    )
    slow = validation_rate(args.seconds, fast=False)
    fast = validation_rate(args.seconds, fast=True)
    print(
        f"validation alone, per CPU-second of one core, same events: marshmallow {slow:,.0f} "
        f"events/s, fast path {fast:,.0f} events/s ({fast / slow:.1f}x)\n"
    )
    print(HEADER)
    results: list[dict] = []
    with Lab(keep=args.keep) as lab:
        if args.profile:
            os.environ["OVERT_BENCH_PROFILE"] = args.profile
            results += run_case(lab, "gevent", "real-prof", PROFILED_APP, args)
            print(f"\ncProfile of the gevent worker ({args.profile}), by own time:")
            print_profile(args.profile)
            return 0
        for model in args.models:
            cases = [("real", REAL_APP), ("bare", BARE_APP)]
            if args.receive_buffer:
                cases.insert(1, ("real-rb64k", REAL_APP_RB64))
            for handler, app in cases:
                results += run_case(lab, model, handler, app, args)
    report(slow, fast, results)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"marshmallow": slow, "fast_path": fast, "results": results}, fh, indent=2)
    if args.keep:
        print(f"server logs kept in {lab.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
