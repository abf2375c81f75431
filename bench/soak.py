"""Soak: 1,000 WebSocket clients for 60 s on 2 backends and 2 workers, plus oversized-frame abusers.

    .venv/bin/python bench/soak.py [--quick] [--clients 1000] [--seconds 60] [--abusers 100]

Two gunicorn + gevent backends (one worker each) and two `overt worker` processes share one
private redis-server. Every client sends an events frame (5 events) every 2 s, as an extension
flushing its outbox does, pings every 15 s, and records the ack round trip. Meanwhile `--abusers`
clients each send a frame just over the 1 MiB limit, get closed with 1009, reconnect and do it
again. Prints the RSS of every process after warm-up and at the end, p50/p99 ack latency, how
many frames were refused, and whether every acknowledged event was sealed exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _common import (
    CATEGORIES,
    Lab,
    WSClientProtocol,
    make_event,
    percentiles,
    raise_fd_limit,
    rss_mb,
    set_policy,
    ws_connect,
)

from backend.core import employees, keys
from backend.core.datasets import read_shard

OVERT = str(Path(sys.executable).with_name("overt"))
CONNECT_BATCH = 50
EVENTS_PER_FRAME = 5
FRAME_EVERY = 2.0
PING_EVERY = 15.0
OVERSIZED = 1024 * 1024 + 1024


class SoakClient(WSClientProtocol):
    """Sends an events frame every FRAME_EVERY seconds; keeps acked ids and ack latencies."""

    def __init__(self, host, port, path):
        super().__init__(host, port, path)
        self.welcomed = asyncio.get_running_loop().create_future()
        self.sent: dict[int, tuple[float, list[str]]] = {}
        self.acked: list[str] = []
        self.latencies: list[float] = []
        self.seq = 0

    def on_message(self, text: str, received_at: float) -> None:
        frame = json.loads(text)
        kind = frame.get("type")
        if kind == "welcome":
            self.welcomed.set_result(frame)
        elif kind == "ack" and frame["seq"] in self.sent:
            t0, ids = self.sent.pop(frame["seq"])
            self.latencies.append((received_at - t0) * 1000)
            if frame["accepted"] == len(ids):
                self.acked += ids

    def send_frame(self) -> None:
        self.seq += 1
        events = [make_event(self.seq * 10 + i) for i in range(EVENTS_PER_FRAME)]
        self.sent[self.seq] = (time.perf_counter(), [e["id"] for e in events])
        self.send_text(json.dumps({"type": "events", "seq": self.seq, "events": events}))


class AbuserClient(WSClientProtocol):
    """Sends one frame over the size limit right after its hello is welcomed."""

    def __init__(self, host, port, path):
        super().__init__(host, port, path)
        self.welcomed = asyncio.get_running_loop().create_future()

    def on_message(self, text: str, received_at: float) -> None:
        if json.loads(text).get("type") == "welcome":
            self.welcomed.set_result(True)


def prepare(lab: Lab, port: int, count: int) -> list[str]:
    """Set the policy; enroll `count` consenting employees directly in Redis; return tokens."""
    set_policy(port)
    r = lab.redis_client()
    tokens = []
    for i in range(count):
        token, _ = employees.enroll(r, f"soak{i}", f"team{i % 10}")
        r.hset(
            keys.key(keys.KEY_CONSENT, employee=f"soak{i}"), mapping=dict.fromkeys(CATEGORIES, 0)
        )
        tokens.append(token)
    r.close()
    return tokens


async def connect(factory, port: int, token: str):
    client = await ws_connect(factory, "127.0.0.1", port)
    client.send_text(json.dumps({"type": "hello", "token": token}))
    await asyncio.wait_for(client.welcomed, 20)
    return client


async def abuse(port: int, token: str, stop: asyncio.Event, refused: list[int]) -> None:
    """Send oversized frames over and over, reconnecting after each close."""
    payload = json.dumps({"type": "events", "seq": 1, "events": ["x" * OVERSIZED]})
    while not stop.is_set():
        try:
            client = await connect(AbuserClient, port, token)
            client.send_text(payload)
            code = await asyncio.wait_for(client.closed, 20)
            refused.append(code or 0)
        except (OSError, TimeoutError, ConnectionError):
            await asyncio.sleep(0.5)


async def soak(ports: list[int], tokens: list[str], args, pids: dict[str, int]) -> dict:
    clients: list[SoakClient] = []
    for start in range(0, args.clients, CONNECT_BATCH):
        batch = tokens[start : start + CONNECT_BATCH]
        clients += await asyncio.gather(
            *(connect(SoakClient, ports[i % 2], t) for i, t in enumerate(batch, start))
        )
    stop = asyncio.Event()
    refused: list[int] = []
    abusers = [
        asyncio.create_task(abuse(ports[i % 2], tokens[args.clients + i], stop, refused))
        for i in range(args.abusers)
    ]
    rss: dict[str, dict] = {name: {} for name in pids}
    started = time.monotonic()
    last_ping = started
    warm = min(10.0, args.seconds / 4)
    while time.monotonic() - started < args.seconds:
        for i, c in enumerate(clients):  # spread the frames over the interval
            if not c.transport.is_closing():
                asyncio.get_running_loop().call_later(FRAME_EVERY * i / len(clients), c.send_frame)
        if time.monotonic() - last_ping > PING_EVERY:
            last_ping = time.monotonic()
            for c in clients:
                if not c.transport.is_closing():
                    c.send_text('{"type":"ping"}')
        await asyncio.sleep(FRAME_EVERY)
        if not rss[next(iter(pids))] and time.monotonic() - started >= warm:
            for name, pid in pids.items():
                rss[name]["start"] = rss_mb(pid)
    stop.set()
    await asyncio.sleep(5)  # last acks
    for name, pid in pids.items():
        rss[name]["end"] = rss_mb(pid)
    for task in abusers:
        task.cancel()
    await asyncio.gather(*abusers, return_exceptions=True)
    closed = sum(c.closed.done() for c in clients)
    for c in clients:
        c.close()
    return {
        "acked": [i for c in clients for i in c.acked],
        "frames_unacked": sum(len(c.sent) for c in clients),
        "latency_ms": percentiles([x for c in clients for x in c.latencies]),
        "refused": refused,
        "rss": rss,
        "closed_by_server": closed,
    }


def sealed_ids(datasets: Path) -> list[str]:
    return [rec["id"] for shard in datasets.glob("*/*.jsonl.gz") for rec in read_shard(shard)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 clients, 20 s, 20 abusers")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--abusers", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the temporary dir (logs)")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.seconds, args.abusers = 200, 20.0, 20
    raise_fd_limit((args.clients + args.abusers) * 3 + 256)
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
    with Lab(keep=args.keep, max_connections=2000) as lab:
        servers = [lab.start_server("gevent", workers=1) for _ in range(2)]
        env = {**lab.env, "OVERT_BATCH_SIZE": "5000", "OVERT_BATCH_MAX_AGE": "5"}
        tokens = prepare(lab, servers[0][1], args.clients + args.abusers)
        workers = []
        for i in range(2):
            log = open(lab.dir / f"worker{i}.log", "wb")  # noqa: SIM115 (closed with the process)
            proc = subprocess.Popen([OVERT, "worker"], env=env, stdout=log, stderr=log)
            proc.log = log
            lab.procs.append(proc)
            workers.append(proc)
        pids = {f"backend{i}": p.pid for i, (p, _) in enumerate(servers)}
        pids.update({f"worker{i}": p.pid for i, p in enumerate(workers)})
        print(
            f"{args.clients} clients and {args.abusers} oversized-frame abusers for "
            f"{args.seconds:.0f} s on 2 backends (gunicorn -k gevent) and 2 workers"
        )
        res = asyncio.run(soak([port for _, port in servers], tokens, args, pids))
        acked = set(res["acked"])
        deadline = time.monotonic() + 180
        sealed = sealed_ids(lab.dir / "data" / "datasets")
        while not acked <= set(sealed) and time.monotonic() < deadline:
            time.sleep(2)
            sealed = sealed_ids(lab.dir / "data" / "datasets")
        r = lab.redis_client()
        dead = r.llen(keys.KEY_DEAD_LETTER)
        r.close()
    lat = res["latency_ms"]
    print(f"ack latency: p50 {lat['p50']:.1f} ms  p99 {lat['p99']:.1f} ms  max {lat['max']:.1f} ms")
    print(f"events acknowledged: {len(acked)} (frames never acked: {res['frames_unacked']})")
    lost = len(acked - set(sealed))
    dup = len(sealed) - len(set(sealed))
    print(f"sealed: {len(set(sealed))}; acknowledged but not sealed: {lost}; duplicates: {dup}")
    codes = {c: res["refused"].count(c) for c in sorted(set(res["refused"]))}
    print(f"oversized frames refused: {len(res['refused'])} (close codes {codes})")
    print(f"soak sockets closed by the server: {res['closed_by_server']}")
    for name, m in res["rss"].items():
        start, end = m.get("start", float("nan")), m.get("end", float("nan"))
        print(
            f"RSS {name:9} after warm-up {start:7.1f} MiB  end {end:7.1f} MiB  ({end - start:+.1f})"
        )
    print(f"dead letters: {dead}; load average after: {os.getloadavg()[0]:.2f}")
    return 0 if lost == 0 and dup == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
