"""Pause fan-out latency: 1,000 authenticated clients across two backend processes.

    .venv/bin/python bench/pause.py [--quick] [--clients 1000] [--rounds 5] [--max-connections N]

For each server model, two backends share one private redis-server; half the clients connect to
each and authenticate (hello -> welcome). Each round then calls `POST /admin/api/pause` on backend
A and measures, per client, the time from just before the call to the receipt of its `pause`
frame; every client answers `pause_applied` as the extension does. `POST /admin/api/resume` ends
the round (its fan-out is measured the same way). Target: p99 <= 50 ms, all clients reached.
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
    call,
    percentiles,
    raise_fd_limit,
    rss_mb,
    threads_of,
    ws_connect,
)

from backend.core import employees

CONNECT_BATCH = 50  # below werkzeug's listen backlog of 128
PING_EVERY = 15.0  # the server closes a socket idle for 60 s; extensions ping every 20 s
SETTLE = 1.0  # seconds between steps, so one round's bursts do not overlap the next


class PauseClient(WSClientProtocol):
    """Authenticates, then records when each pause and resume frame arrives."""

    applied_delay = 0.0  # seconds before answering pause_applied (0: at once, as extensions do)

    def __init__(self, host, port, path, backend: str):
        super().__init__(host, port, path)
        self.backend = backend
        self.welcomed = asyncio.get_running_loop().create_future()
        self.pause_at: float | None = None
        self.resume_at: float | None = None
        self.pause_id: str | None = None

    def on_message(self, text: str, received_at: float) -> None:
        frame = json.loads(text)
        kind = frame.get("type")
        if kind == "welcome":
            self.welcomed.set_result(frame)
        elif kind == "pause":
            self.pause_at, self.pause_id = received_at, frame["pause_id"]
            applied = json.dumps({"type": "pause_applied", "pause_id": frame["pause_id"]})
            if self.applied_delay:
                asyncio.get_running_loop().call_later(self.applied_delay, self.send_text, applied)
            else:
                self.send_text(applied)
        elif kind == "resume":
            self.resume_at = received_at


def enroll_direct(lab: Lab, count: int) -> list[str]:
    """Enroll `count` employees in 10 teams with the backend's own code; return their tokens."""
    r = lab.redis_client()
    tokens = [employees.enroll(r, f"emp{i}", f"team{i % 10}")[0] for i in range(count)]
    r.close()
    return tokens


async def connect_all(
    ports: dict[str, int], tokens: list[str], clients: list[PauseClient]
) -> list[PauseClient]:
    """Connect and authenticate every client into `clients`, alternating between the backends."""
    names = list(ports)
    for start in range(0, len(tokens), CONNECT_BATCH):
        batch = []
        for i, token in enumerate(tokens[start : start + CONNECT_BATCH], start):
            name = names[i % len(names)]
            batch.append(connect_one(ports[name], name, token))
        clients += await asyncio.gather(*batch)
    return clients


async def connect_one(port: int, name: str, token: str) -> PauseClient:
    client = await ws_connect(lambda h, p, path: PauseClient(h, p, path, name), "127.0.0.1", port)
    client.send_text(json.dumps({"type": "hello", "token": token, "client": {"version": "b"}}))
    welcome = await asyncio.wait_for(client.welcomed, 15)
    if welcome["pause"] is not None:
        raise RuntimeError("a pause is still active from an earlier run")
    return client


async def keepalive(clients: list[PauseClient]) -> None:
    """Ping from every client, as extensions do, so no socket is closed as idle."""
    while True:
        await asyncio.sleep(PING_EVERY)
        for client in clients:
            if not client.transport.is_closing():
                client.send_text('{"type":"ping"}')


async def timed_call(port: int, path: str, body: dict) -> tuple[float, dict]:
    """Call the admin API in a thread (the event loop keeps receiving); return (t0, reply)."""

    def run():
        t0 = time.perf_counter()
        return t0, call(port, "POST", path, body)

    return await asyncio.get_running_loop().run_in_executor(None, run)


async def wait_for(clients, attr: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(getattr(c, attr) is not None or c.closed.done() for c in clients):
            return
        await asyncio.sleep(0.005)


async def measure(ports: dict[str, int], tokens: list[str], rounds: int, pids: dict) -> dict:
    """Connect everyone, run the pause/resume rounds, return latencies in ms."""
    empty = {name: rss_mb(pid) for name, pid in pids.items()}
    t = time.perf_counter()
    clients: list[PauseClient] = []
    # Pings start now: connecting thousands takes longer than the server's 60 s idle timeout.
    pinger = asyncio.create_task(keepalive(clients))
    await connect_all(ports, tokens, clients)
    connect_s = time.perf_counter() - t
    await asyncio.sleep(1.0)  # let the presence writes settle
    idle = {}
    for name, pid in pids.items():
        rss, sockets = rss_mb(pid), sum(c.backend == name for c in clients)
        idle[name] = {
            "rss_mb": rss,
            "threads": threads_of(pid),
            "kib_per_socket": (rss - empty[name]) * 1024 / max(1, sockets),
        }
    api = ports["A"]
    out = {"connect_s": connect_s, "idle": idle, "rounds": []}
    for n in range(rounds):
        for c in clients:
            c.pause_at = c.resume_at = None
        client_cpu = time.process_time()
        t0, reply = await timed_call(api, "/admin/api/pause", {"scope": "all", "reason": f"r{n}"})
        api_ms = (time.perf_counter() - t0) * 1000
        await wait_for(clients, "pause_at", 10.0)
        got = [c for c in clients if c.pause_at is not None and c.pause_id == reply["pause_id"]]
        lat = [(c.pause_at - t0) * 1000 for c in got]
        by_backend = {
            name: percentiles([(c.pause_at - t0) * 1000 for c in got if c.backend == name])
            for name in ports
        }
        client_cpu = time.process_time() - client_cpu
        await asyncio.sleep(SETTLE + PauseClient.applied_delay)  # let pause_applied land
        t1, _ = await timed_call(api, "/admin/api/resume", {"pause_id": reply["pause_id"]})
        await wait_for(clients, "resume_at", 10.0)
        resumed = [(c.resume_at - t1) * 1000 for c in clients if c.resume_at is not None]
        applied = len(call(api, "GET", f"/admin/api/pauses/{reply['pause_id']}")["applied"])
        result = {
            "received": len(got),
            "pause_ms": percentiles(lat),
            "by_backend": by_backend,
            "api_ms": api_ms,
            "applied": applied,
            "resumed": len(resumed),
            "resume_ms": percentiles(resumed),
            "client_cpu_s": client_cpu,
            "closed_by_server": dict(
                collections.Counter(str(c.close_code) for c in clients if c.closed.done())
            ),
        }
        out["rounds"].append(result)
        print(round_row(n + 1, len(clients), result), flush=True)
        await asyncio.sleep(SETTLE)
    pinger.cancel()
    for c in clients:
        c.close()
    await asyncio.sleep(0.5)
    return out


def round_row(n: int, total: int, res: dict) -> str:
    p, q = res["pause_ms"], res["resume_ms"]
    sides = "  ".join(f"{name} p99 {v['p99']:.1f}" for name, v in res["by_backend"].items())
    return (
        f"  round {n}: pause reached {res['received']}/{total}  p50 {p['p50']:6.1f}  "
        f"p99 {p['p99']:6.1f}  max {p['max']:6.1f} ms  ({sides}; API reply {res['api_ms']:.1f} ms;"
        f" {res['applied']} pause_applied; client CPU {res['client_cpu_s'] * 1000:.0f} ms)"
        f"  resume p99 {q['p99']:.1f} ms"
        + (
            f"  sockets closed by the server so far: {res['closed_by_server']}"
            if res["closed_by_server"]
            else ""
        )
    )


def run_model(lab: Lab, model: str, tokens: list[str], args) -> dict:
    """Start two backends of `model`, measure, stop them."""
    servers = {}
    try:
        for name in ("A", "B"):
            servers[name] = lab.start_server(model, workers=1)
        ports = {name: port for name, (_, port) in servers.items()}
        pids = {name: proc.pid for name, (proc, _) in servers.items()}
        print(
            f"\n{model}: backends A :{ports['A']} and B :{ports['B']}, {len(tokens)} clients",
            flush=True,
        )
        result = asyncio.run(measure(ports, tokens, args.rounds, pids))
    finally:
        for proc, _ in servers.values():
            lab.stop(proc)
    idle = result["idle"]
    print(
        "  idle with the clients connected: "
        + ", ".join(
            f"{k} {v['rss_mb']:.0f} MiB in {v['threads']} OS threads "
            f"({v['kib_per_socket']:.0f} KiB per socket over the process before connecting)"
            for k, v in idle.items()
        )
        + f"; connecting took {result['connect_s']:.1f} s"
    )
    return result


def summary(model: str, res: dict, clients: int) -> str:
    p99s = sorted(r["pause_ms"]["p99"] for r in res["rounds"])
    p50s = sorted(r["pause_ms"]["p50"] for r in res["rounds"])
    reached = min(r["received"] for r in res["rounds"])
    ok = "meets" if p99s[-1] <= 50 and reached == clients else "MISSES"
    return (
        f"  {model:8} p50 {p50s[len(p50s) // 2]:6.1f} ms  p99 {p99s[len(p99s) // 2]:6.1f} ms "
        f"(median round), {p99s[-1]:6.1f} ms (worst round)  max "
        f"{max(r['pause_ms']['max'] for r in res['rounds']):6.1f} ms  reached {reached}/{clients}"
        f" in every round -> {ok} the target (p99 <= 50 ms)"
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--clients", type=int, default=1000, help="clients across both backends")
    parser.add_argument("--rounds", type=int, help="pause/resume rounds per model (default 5)")
    parser.add_argument("--models", default=",".join(MODELS), help="threads,gevent")
    parser.add_argument(
        "--max-connections", type=int, help="Redis pool per backend (?max_connections= in the URL)"
    )
    parser.add_argument(
        "--applied-delay",
        type=float,
        default=0.0,
        help="ms before each client answers pause_applied (0: at once, as the extension does)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary dir (logs)")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args(argv)
    PauseClient.applied_delay = args.applied_delay / 1000
    args.rounds = args.rounds or (3 if args.quick else 6)
    args.models = [m for m in args.models.split(",") if m]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    limit = raise_fd_limit(args.clients * 2 + 256)
    if limit < args.clients + 64:
        sys.exit(f"the open-file limit ({limit}) is too low for {args.clients} clients")
    print(f"load average before: {os.getloadavg()[0]:.2f} (other work skews the figures)")
    print(f"{os.cpu_count()} cores; {args.clients} clients over 2 backends; {args.rounds} rounds")
    results = {}
    with Lab(keep=args.keep, max_connections=args.max_connections) as lab:
        tokens = enroll_direct(lab, args.clients)
        for model in args.models:
            results[model] = run_model(lab, model, tokens, args)
    print("\nsummary (latency from just before POST /admin/api/pause to receipt of `pause`)")
    for model, res in results.items():
        print(summary(model, res, args.clients))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    if args.keep:
        print(f"server logs kept in {lab.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
