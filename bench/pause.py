"""Pause fan-out latency: authenticated clients on two backend processes, timed at the kernel.

    .venv/bin/python bench/pause.py [--clients 1000] [--rounds 6] [--layout serve|two]
                                    [--client-procs 2] [--no-deflate] [--nice 10]

`--layout serve` (the default) runs one `overt serve --workers 2`: two gevent processes behind
one port, the production model; the kernel spreads the connections between them. `--layout two`
runs two single-process backends (`--model gevent`, or `threads` for `overt up`'s server), half
the clients on each. Both share one private redis-server.

The clients are bench/fleet.py: `--client-procs` lean processes on raw sockets, each offering
permessage-deflate as Chromium does and answering `pause_applied` at once as the extension does.
Each round calls `POST /admin/api/pause` and takes, per client, the time from just before the
call (`time.time()`) to the kernel's receive timestamp of its `pause` frame (SO_TIMESTAMPNS, the
same clock): on 127.0.0.1, the moment the server's send reached the client's socket, however
busy the client processes were. The time the client's Python read the frame is printed too (the
"client read" column): the gap is the load generator's own delay, which a client that timestamps
on reading adds to the figures. `POST /admin/api/resume` ends the round, measured the same way.
Each backend process's log line for the fan-out (wall time, CPU, delay after the publish) is
printed per round. Target: p99 <= 50 ms at 1,000 clients, <= 250 ms at 10,000, all reached.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

from _common import Lab, call, family, percentiles, raise_fd_limit, rss_mb, threads_of
from fleet import Fleet

from backend.core import employees

SETTLE = 1.0  # seconds between steps, so one round's bursts do not overlap the next
FANOUT_LINE = re.compile(
    r"\[(\d+)\].*control (pause|resume) delivered to (\d+) local client\(s\) in ([\d.]+) ms "
    r"\(([\d.]+) ms CPU\), starting ([\d.na]+) ms after"
)


def enroll_direct(lab: Lab, count: int) -> list[str]:
    """Enroll `count` employees in 10 teams with the backend's own code; return their tokens."""
    r = lab.redis_client()
    pipe_tokens = [employees.enroll(r, f"emp{i}", f"team{i % 10}")[0] for i in range(count)]
    r.close()
    return pipe_tokens


def start_backends(lab: Lab, args) -> tuple[list[int], list[int]]:
    """Start the servers of `--layout`; return their ports and the pids of the serving processes."""
    if args.layout == "serve":
        proc, port = lab.start_server("gevent", workers=2)
        time.sleep(1.0)  # both workers up
        return [port], family(proc.pid)[1:]
    ports, pids = [], []
    for _ in range(2):
        proc, port = lab.start_server(args.model, workers=1)
        ports.append(port)
        pids += family(proc.pid)[1:] if args.model == "gevent" else [proc.pid]
    return ports, pids


def fanout_lines(lab: Lab, kind: str) -> list[tuple]:
    """Return (pid, clients, wall ms, CPU ms, ms after publish) of every `kind` fan-out logged."""
    out = []
    for log in sorted(lab.dir.glob("server-*.log")):
        for m in FANOUT_LINE.finditer(log.read_text(errors="replace")):
            if m.group(2) == kind:
                out.append((int(m.group(1)), int(m.group(3)), *map(float, m.group(4, 5, 6))))
    return out


def timed_round(fleet: Fleet, api: int, kind: str, path: str, body: dict) -> dict:
    """Call the API, collect every client's arrival of the frame; return the figures in ms."""
    t0 = time.time()
    reply = call(api, "POST", path, body)
    api_ms = (time.time() - t0) * 1000
    got = fleet.collect(kind, reply["pause_id"])
    kernel = [(k - t0) * 1000 for k, _, _ in got["arrivals"]]
    read = [(u - t0) * 1000 for _, u, _ in got["arrivals"]]
    ports = sorted({p for _, _, p in got["arrivals"]})
    return {
        "t0": t0,
        "pause_id": reply["pause_id"],
        "reached": len(kernel),
        "kernel_ms": percentiles(kernel),
        "read_ms": percentiles(read),
        "client_delay_ms": percentiles([r - k for r, k in zip(read, kernel, strict=True)]),
        "by_port": {
            p: percentiles([(k - t0) * 1000 for k, _, q in got["arrivals"] if q == p])
            for p in ports
        },
        "api_ms": api_ms,
        "client_cpu_s": got["cpu_s"],
        "live": got["live"],
        "closed": dict(got["closed"]),
    }


def wait_applied(api: int, paused: dict, clients: int) -> tuple[int, float]:
    """Wait (up to 30 s) until every client's pause_applied is recorded; return (count, seconds).

    The round does not go on while the server is still recording them: a resume meanwhile would
    measure the acknowledgements' work as much as its own.
    """
    deadline = time.monotonic() + 30
    while True:
        applied = call(api, "GET", f"/admin/api/pauses/{paused['pause_id']}")["applied"]
        if len(applied) >= clients or time.monotonic() > deadline:
            return len(applied), time.time() - paused["t0"]
        time.sleep(0.1)


def measure(lab: Lab, ports: list[int], pids: list[int], tokens: list[str], args) -> dict:
    empty = {pid: rss_mb(pid) for pid in pids}
    targets = [(ports[i % len(ports)], token) for i, token in enumerate(tokens)]
    fleet = Fleet(targets, procs=args.client_procs, deflate=args.deflate, nice=args.nice)
    try:
        ready = fleet.ready()
        print(
            f"  {ready['connected']} clients connected and welcomed in {ready['connect_s']:.1f} s"
            f" ({ready['deflate']} with permessage-deflate negotiated)",
            flush=True,
        )
        time.sleep(2.0)  # let the presence writes settle
        idle = {pid: {"rss_mb": rss_mb(pid), "threads": threads_of(pid)} for pid in pids}
        for pid in pids:
            idle[pid]["mib_over_empty"] = idle[pid]["rss_mb"] - empty[pid]
        out = {"ready": ready, "idle": idle, "rounds": []}
        for n in range(args.rounds):
            missing = fleet.ping()  # now, not during the round (bench/fleet.py says why)
            if missing:
                print(f"  ({missing} pongs missing before round {n + 1})")
            time.sleep(SETTLE)
            body = {"scope": "all", "reason": f"r{n}"}
            paused = timed_round(fleet, ports[0], "pause", "/admin/api/pause", body)
            paused["applied"], paused["applied_s"] = wait_applied(ports[0], paused, len(tokens))
            resumed = timed_round(
                fleet,
                ports[0],
                "resume",
                "/admin/api/resume",
                {"pause_id": paused["pause_id"]},
            )
            out["rounds"].append({"pause": paused, "resume": resumed})
            print(round_row(n + 1, len(tokens), paused, resumed), flush=True)
        return out
    finally:
        fleet.stop()


def round_row(n: int, total: int, res: dict, resumed: dict) -> str:
    k, r, d = res["kernel_ms"], res["read_ms"], res["client_delay_ms"]
    closed = f"  closed by the server: {res['closed']}" if res["closed"] else ""
    return (
        f"  round {n}: reached {res['reached']}/{total}  p50 {k['p50']:6.1f}  p99 {k['p99']:6.1f}"
        f"  max {k['max']:6.1f} ms (client read p99 {r['p99']:6.1f}, client delay p99 "
        f"{d['p99']:5.1f}); API reply {res['api_ms']:5.1f} ms; {res['applied']} pause_applied"
        f" recorded {res['applied_s']:.1f} s after the call;"
        f" client CPU {res['client_cpu_s'] * 1000:.0f} ms; resume p99 "
        f"{resumed['kernel_ms']['p99']:.1f} ms{closed}"
    )


def print_server_side(lab: Lab, rounds: int) -> None:
    """Print each process's logged fan-out per round: how long, how much CPU, how late."""
    lines = fanout_lines(lab, "pause")
    pids = sorted({line[0] for line in lines})
    if not pids:
        return
    print("  server side, per pause (backend log): process: clients, wall ms / CPU ms, ms after")
    print("  the publish that the listener started")
    for n in range(rounds):
        cells = []
        for pid in pids:
            mine = [line for line in lines if line[0] == pid]
            if n < len(mine):
                _, clients, wall, cpu, lag = mine[n]
                cells.append(f"{pid}: {clients}, {wall:.1f} / {cpu:.1f}, +{lag:.1f}")
        print(f"    round {n + 1}: " + ";  ".join(cells))


def summary(res: dict, clients: int, target: float) -> str:
    p99s = sorted(r["pause"]["kernel_ms"]["p99"] for r in res["rounds"])
    p50s = sorted(r["pause"]["kernel_ms"]["p50"] for r in res["rounds"])
    reads = sorted(r["pause"]["read_ms"]["p99"] for r in res["rounds"])
    reached = min(r["pause"]["reached"] for r in res["rounds"])
    ok = "meets" if p99s[len(p99s) // 2] <= target and reached == clients else "MISSES"
    return (
        f"  p50 {p50s[len(p50s) // 2]:6.1f} ms  p99 {p99s[len(p99s) // 2]:6.1f} ms (median round),"
        f" {p99s[0]:.1f}-{p99s[-1]:.1f} ms over the rounds; timed at the client's read instead:"
        f" p99 {reads[len(reads) // 2]:.1f} ms; reached {reached}/{clients} in every round"
        f" -> {ok} the target (median round p99 <= {target:.0f} ms)"
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    parser.add_argument("--clients", type=int, default=1000, help="clients in all")
    parser.add_argument("--rounds", type=int, help="pause/resume rounds (default 6)")
    parser.add_argument("--layout", choices=("serve", "two"), default="serve")
    parser.add_argument("--model", choices=("gevent", "threads"), default="gevent")
    parser.add_argument("--client-procs", type=int, default=2, help="load generator processes")
    parser.add_argument("--no-deflate", dest="deflate", action="store_false")
    parser.add_argument("--nice", type=int, default=10, help="niceness of the client processes")
    parser.add_argument("--keep", action="store_true", help="keep the temporary dir (logs)")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 6)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    target = 50.0 if args.clients <= 1000 else 250.0
    layout = (
        "one `overt serve --workers 2`"
        if args.layout == "serve"
        else f"two single-process {args.model} backends"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f} (other work skews the figures)")
    print(
        f"{os.cpu_count()} cores; {args.clients} clients on {layout}; {args.rounds} rounds; "
        f"{args.client_procs} client processes at nice {args.nice}, "
        f"{'offering' if args.deflate else 'without'} permessage-deflate"
    )
    raise_fd_limit(args.clients + 512)  # the servers inherit it (the client processes raise theirs)
    with Lab(keep=args.keep) as lab:
        tokens = enroll_direct(lab, args.clients)
        ports, pids = start_backends(lab, args)
        result = measure(lab, ports, pids, tokens, args)
        time.sleep(0.5)
        print_server_side(lab, args.rounds)
        print(
            "  idle with the clients connected: "
            + ", ".join(
                f"process {pid} {v['rss_mb']:.0f} MiB in {v['threads']} OS threads "
                f"(+{v['mib_over_empty']:.0f} MiB over the process before connecting)"
                for pid, v in result["idle"].items()
            )
        )
        if args.keep:
            print(f"server logs kept in {lab.dir}")
    print("\nsummary (latency from just before POST /admin/api/pause to the kernel's receipt)")
    print(summary(result, args.clients, target))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
