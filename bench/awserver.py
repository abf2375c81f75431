"""Overt's `/ws` against ActivityWatch's aw-server: same machine, same run, same events.

    .venv/bin/python bench/awserver.py [--quick] [--rounds 3] [--seconds 6] [--aw-clients 1,4,32]

aw-server (PyPI `aw-server`, the REST server every ActivityWatch watcher reports to) runs from
its own venv outside the source tree, `~/.cache/overt/aw-venv` (under `$XDG_CACHE_HOME` if set),
made on first use from the pinned versions in `bench/aw-server-requirements.txt` (Overt's own
dependencies are never touched; the file says why peewee is pinned). It runs as ActivityWatch
runs it: `aw-server --host 127.0.0.1 --port P`, its peewee/SQLite store (WAL) in this run's
temporary directory, one process, werkzeug threads.

Both servers run side by side; each round measures, one case after the other:

- Overt: the real app under `overt serve --workers 1` (one gunicorn + gevent process; hello with
  a device token, validation, the Lua accept script, ack after the write), 16 clients keeping
  2 frames each in flight, 50-event frames then one-event frames (`bench/ingest.py`'s load);
- aw-server, bulk: `POST /api/0/buckets/<bucket>/events` with 50 events a request;
- aw-server, heartbeats: `POST /api/0/buckets/<bucket>/heartbeat?pulsetime=60`, one event a
  request, as aw-watcher-web sends them; every heartbeat carries a different page, so each is
  stored as a new event (identical ones would be merged into the previous event).

aw-server is measured with 1, 4 and 32 keep-alive connections, one request in flight each
(`--aw-clients`; 32 = Overt's clients x frames in flight), and its best figure is the one
compared: SQLite serialises its writes, so more connections can make it slower. The connections
share four buckets (two per case), about what one ActivityWatch install holds (afk, window, a
browser or two): aw-server lists every bucket on every request, so a bucket per connection would
slow it down for a reason no real install has. Both sides
send the same events (aw-server's `data` is Overt's event without its timestamp). Only
acknowledged events count: Overt's acks must accept every event, aw-server's answers must be 200,
and afterwards Redis and aw-server's own event count must hold every acknowledged event.

Prints events/s, events per server CPU-second and, per round and as the median over rounds, the
ratios Overt / aw-server (targets: >= 3x in bulk, >= 50x for one event a request).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from _common import (
    BENCH,
    Lab,
    cpu_seconds,
    enroll_consenting,
    free_port,
    make_event,
    percentiles,
    raise_fd_limit,
    set_policy,
    wait_healthy,
)
from ingest import HEADER, REAL_APP, drive, row

from backend.core import keys

# Outside the source tree: a venv of third-party code is not the project's.
AW_VENV = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "overt" / "aw-venv"
AW_REQUIREMENTS = BENCH / "aw-server-requirements.txt"
PULSETIME = 60
TARGETS = {"bulk": 3.0, "heartbeat": 50.0}


# -- aw-server's venv and process ----------------------------------------------------------


def ensure_aw_venv() -> Path:
    """Return aw-server's executable, making its venv (AW_VENV) from the pinned versions if needed.

    The venv is remade when the requirements file changes (a hash of it is kept in the venv).
    """
    wanted = hashlib.sha256(AW_REQUIREMENTS.read_bytes()).hexdigest()
    stamp = AW_VENV / "requirements.sha256"
    exe = AW_VENV / "bin" / "aw-server"
    if exe.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return exe
    print(f"making {AW_VENV} (aw-server and its pinned dependencies)")
    AW_VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(AW_VENV)], check=True)
    pip = [str(AW_VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
    result = subprocess.run(
        [*pip, "-r", str(AW_REQUIREMENTS)], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    if result.returncode != 0:
        raise RuntimeError(f"pip could not install aw-server:\n{result.stderr[-3000:]}")
    stamp.write_text(wanted + "\n")
    return exe


def start_aw_server(lab: Lab, exe: Path) -> tuple[subprocess.Popen, int]:
    """Start aw-server on a free port with its data under the run's directory; wait for it."""
    port = free_port()
    home = lab.dir / "aw"
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    env.pop("PYTHONPATH", None)
    log_path = lab.dir / "aw-server.log"
    log = open(log_path, "wb")  # noqa: SIM115 (closed with the process, by Lab.stop)
    proc = subprocess.Popen(
        [str(exe), "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=lab.dir,
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    proc.log = log
    lab.procs.append(proc)
    wait_healthy(proc, port, log_path, timeout=60, path="/api/0/info")
    return proc, port


def aw_call(port: int, method: str, path: str, body=None):
    """Call aw-server's REST API; return the parsed answer."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read() or b"null")


def aw_event(overt_event: dict) -> dict:
    """Return Overt's event as an aw-server event: its timestamp, no duration, the rest as data."""
    data = dict(overt_event)
    ts = data.pop("ts")
    stamp = datetime.fromtimestamp(ts / 1000, UTC).isoformat()
    return {"timestamp": stamp, "duration": 0, "data": data}


# -- aw-server's load ------------------------------------------------------------------------


class AwStats:
    """Counters shared by every connection of one aw-server measurement."""

    def __init__(self):
        self.running = True
        self.measuring = False
        self.requests = 0
        self.events = 0
        self.events_total = 0
        self.errors: collections.Counter = collections.Counter()
        self.failed_events = 0  # events of requests not answered 200: maybe stored, not counted
        self.latencies: list[float] = []


async def aw_connection(port: int, bucket: str, kind: str, frame_size: int, stats: AwStats):
    """Keep one request in flight on one keep-alive connection until `stats.running` drops."""
    if kind == "bulk":
        now = int(time.time() * 1000)
        pool = [
            json.dumps([aw_event(make_event(f * frame_size + i, now)) for i in range(frame_size)])
            for f in range(40)
        ]
        path = f"/api/0/buckets/{bucket}/events"
    else:
        pool = []
        path = f"/api/0/buckets/{bucket}/heartbeat?pulsetime={PULSETIME}"
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = 0
    while stats.running:
        n += 1
        if kind == "bulk":
            body, count = pool[n % len(pool)].encode(), frame_size
        else:
            # A later timestamp and a different page every time: a new stored event each.
            body, count = json.dumps(aw_event(make_event(n, int(time.time() * 1000)))).encode(), 1
        sent = time.perf_counter()
        writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        header = await reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
        await reader.readexactly(int(fields.get("content-length", 0)))
        done = time.perf_counter()
        if status == 200:
            stats.events_total += count
            if stats.measuring:
                stats.requests += 1
                stats.events += count
                stats.latencies.append(done - sent)
        else:
            stats.errors[status] += 1
            stats.failed_events += count
        if fields.get("connection", "").lower() == "close" or lines[0].startswith("HTTP/1.0"):
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()


async def aw_drive(port: int, pid: int, targets: list[str], kind: str, frame_size: int, args):
    """Run one connection per entry of `targets` (a bucket each) against aw-server."""
    stats = AwStats()
    tasks = [asyncio.create_task(aw_connection(port, b, kind, frame_size, stats)) for b in targets]
    await asyncio.sleep(args.warmup)
    cpu0, client0, t0 = cpu_seconds(pid), time.process_time(), time.perf_counter()
    stats.measuring = True
    await asyncio.sleep(args.seconds)
    stats.measuring = False
    elapsed = time.perf_counter() - t0
    cpu = {
        "server": (cpu_seconds(pid) - cpu0) / elapsed,
        "redis": 0.0,
        "client": (time.process_time() - client0) / elapsed,
    }
    stats.running = False
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    lat = percentiles(stats.latencies)
    return {
        "model": "aw",
        "handler": "aw-server" if kind == "bulk" else "aw-hbeat",
        "kind": kind,
        "frame_size": frame_size,
        "events_per_s": stats.events / elapsed,
        "frames_per_s": stats.requests / elapsed,
        "ack_ms": {k: v * 1000 for k, v in lat.items()},
        "cpu": cpu,
        "accepted_total": stats.events_total,
        "errors": dict(stats.errors),
        "failed_events": stats.failed_events,
        "sockets_per_process": [len(targets)],
    }


def aw_case(port: int, pid: int, kind: str, conns: int, buckets: list[str], args) -> dict:
    """Measure one aw-server case; check that every acknowledged event was stored."""
    size = 50 if kind == "bulk" else 1

    def stored() -> int:
        return sum(aw_call(port, "GET", f"/0/buckets/{b}/events/count") for b in buckets)

    before = stored()
    targets = [buckets[i % len(buckets)] for i in range(conns)]
    result = asyncio.run(aw_drive(port, pid, targets, kind, size, args))
    added = stored() - before
    acked = result["accepted_total"]
    # A request answered 500 (SQLite busy under many connections) counts for nothing, whether
    # or not its events were stored; every one answered 200 must be.
    if not acked <= added <= acked + result["failed_events"]:
        raise RuntimeError(f"aw-server acknowledged {acked} events, holds {added}")
    if result["errors"]:
        print(f"  (aw-server answered {result['errors']}: not counted)", flush=True)
    return result


def overt_case(lab: Lab, port: int, tokens: list[str], size: int, pids: dict, args) -> dict:
    """Measure Overt's real handler with `size`-event frames; check Redis holds every ack."""
    r = lab.redis_client()
    try:
        r.unlink(keys.KEY_INCOMING)
        result = asyncio.run(drive(port, tokens, size, args, pids))
        stored = r.llen(keys.KEY_INCOMING)
        r.unlink(keys.KEY_INCOMING)
    finally:
        r.close()
    if stored != result["accepted_total"]:
        raise RuntimeError(f"Overt acknowledged {result['accepted_total']} events, holds {stored}")
    if result["rejected"] or result["errors"]:
        raise RuntimeError(f"Overt refused events: {result['rejected']} {result['errors']}")
    result.update(model="gevent", handler="real", kind="bulk" if size > 1 else "heartbeat")
    return result


def run_rounds(lab: Lab, exe: Path, args) -> list[dict]:
    """Start both servers, then alternate Overt's and aw-server's cases round after round.

    Other work on the machine comes and goes; alternating case by case exposes both servers to
    it alike, and each round's ratio compares measurements taken seconds apart.
    """
    proc, port = lab.start_server("gevent", REAL_APP, workers=1)
    set_policy(port)
    tokens = [enroll_consenting(port, f"aw-bench-{i}") for i in range(args.clients)]
    pids = {"server": proc.pid, "redis": lab.redis.process.pid, "redis_url": lab.redis.url}
    aw_proc, aw_port = start_aw_server(lab, exe)
    buckets = {kind: [f"aw-watcher-web-bench-{kind}-{i}" for i in range(2)] for kind in TARGETS}
    for bucket in buckets["bulk"] + buckets["heartbeat"]:
        meta = {"client": "aw-watcher-web", "type": "web.tab.current", "hostname": "bench"}
        aw_call(aw_port, "POST", f"/0/buckets/{bucket}", meta)
    results = []
    for rnd in range(1, args.rounds + 1):
        for kind, size in (("bulk", 50), ("heartbeat", 1)):
            res = overt_case(lab, port, tokens, size, pids, args)
            res["round"] = rnd
            print(row(res), f"  round {rnd}", flush=True)
            results.append(res)
            for conns in args.aw_clients:
                res = aw_case(aw_port, aw_proc.pid, kind, conns, buckets[kind], args)
                res["round"] = rnd
                print(row(res), f"  round {rnd}", flush=True)
                results.append(res)
    lab.stop(aw_proc)
    lab.stop(proc)
    return results


# -- the comparison --------------------------------------------------------------------------


def per_core(res: dict) -> float:
    """Return events per CPU-second of the server processes (Redis included for Overt)."""
    cpu = res["cpu"]["server"] + res["cpu"]["redis"]
    return res["events_per_s"] / max(cpu, 0.01)


def report(results: list[dict], rounds: int) -> dict:
    """Print, per round and as the median, Overt / aw-server's best; return the medians."""

    def pick(model: str, kind: str, rnd: int) -> dict:
        return max(
            (r for r in results if r["model"] == model and r["kind"] == kind and r["round"] == rnd),
            key=lambda r: r["events_per_s"],
        )

    print(
        "\nOvert / aw-server's best connection count, per round "
        "(server CPU counts Redis for Overt; SQLite runs inside aw-server)"
    )
    labels = {"bulk": "50 events a frame / request", "heartbeat": "1 event a frame / request"}
    medians: dict = {}
    for kind in ("bulk", "heartbeat"):
        walls, cores = [], []
        for rnd in range(1, rounds + 1):
            o, a = pick("gevent", kind, rnd), pick("aw", kind, rnd)
            walls.append(o["events_per_s"] / max(a["events_per_s"], 1e-9))
            cores.append(per_core(o) / max(per_core(a), 1e-9))
            print(
                f"  {labels[kind]:28} round {rnd}: Overt {o['events_per_s']:>7,.0f} events/s "
                f"({per_core(o):,.0f}/CPU-s) vs aw-server {a['events_per_s']:>6,.0f} "
                f"({per_core(a):,.0f}/CPU-s, {a['sockets_per_process'][0]} conn.): "
                f"{walls[-1]:.1f} x, per CPU-second {cores[-1]:.1f} x"
            )
        wall, core = statistics.median(walls), statistics.median(cores)
        met = "met" if wall >= TARGETS[kind] else "NOT met"
        medians[kind] = {"events_per_s": wall, "per_cpu_second": core}
        print(
            f"  {labels[kind]:28} median: {wall:.1f} x events/s (target >= {TARGETS[kind]:.0f} x: "
            f"{met}), {core:.1f} x per server CPU-second"
        )
    batched = [
        pick("gevent", "bulk", rnd)["events_per_s"]
        / max(pick("aw", "heartbeat", rnd)["events_per_s"], 1e-9)
        for rnd in range(1, rounds + 1)
    ]
    batched_cores = [
        per_core(pick("gevent", "bulk", rnd)) / max(per_core(pick("aw", "heartbeat", rnd)), 1e-9)
        for rnd in range(1, rounds + 1)
    ]
    medians["batched_vs_heartbeat"] = batched_median = statistics.median(batched)
    medians["batched_vs_heartbeat_per_cpu_second"] = batched_core = statistics.median(batched_cores)
    print(
        "  each as its client sends (Overt's extension batches, aw-watcher-web sends heartbeats): "
        f"Overt's 50-event frames / aw-server's heartbeats, median {batched_median:.0f} x "
        f"events/s, {batched_core:.0f} x per server CPU-second"
    )
    return medians


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short round (about a minute)")
    parser.add_argument("--rounds", type=int, help="rounds of alternating cases (default 3)")
    parser.add_argument("--clients", type=int, default=16, help="Overt's WebSocket clients")
    parser.add_argument("--window", type=int, default=2, help="frames in flight per client")
    parser.add_argument(
        "--aw-clients",
        default="1,4,32",
        help="aw-server connections to try, comma-separated; the best figure is compared",
    )
    parser.add_argument("--seconds", type=float, help="measured seconds per case (default 6)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary dir (logs)")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (3.0 if args.quick else 6.0)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.warmup = 1.0 if args.quick else 2.0
    args.aw_clients = [int(n) for n in args.aw_clients.split(",") if n]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    raise_fd_limit(4096)
    exe = ensure_aw_venv()
    print(f"load average before: {os.getloadavg()[0]:.2f} (other work skews the figures)")
    print(
        f"{os.cpu_count()} cores; Overt: {args.clients} clients x {args.window} frames in flight; "
        f"aw-server: {'/'.join(map(str, args.aw_clients))} connections x 1 request; "
        f"{args.seconds:.0f} s per case after {args.warmup:.0f} s warm-up, {args.rounds} round(s)\n"
    )
    print(HEADER)
    with Lab(keep=args.keep) as lab:
        results = run_rounds(lab, exe, args)
        if args.keep:
            print(f"logs kept in {lab.dir}")
    ratios = report(results, args.rounds)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "ratios": ratios}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
