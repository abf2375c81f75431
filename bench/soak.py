"""Soak: 1,000 WebSocket clients for 60 s on 2 backend processes and 2 workers, plus abusers.

    .venv/bin/python bench/soak.py [--quick] [--clients 1000] [--seconds 60] [--abusers 100]
                                   [--abuse-seconds 30]

`overt serve --workers 2` (gunicorn + gevent: one master, two backend processes on one port) and
two `overt worker` processes share one private redis-server. Every client sends an events frame
(5 events) every 2 s, as an extension flushing its outbox does, pings every 15 s, and records the
ack round trip. Meanwhile `--abusers` clients each send a frame just over the 1 MiB limit, get
closed with 1009, reconnect and do it again. Once every frame is acknowledged, the abusers go on
alone for `--abuse-seconds` while the 1,000 sockets stay open (pinging), so that memory can be
read against the number of refused frames with nothing else moving. Prints the RSS of every
process (master, backends, workers, Redis) after warm-up, every 10 s and at the end beside the
count of refused frames, the CPU time each process got (the machine is shared), p50/p99 ack
latency, and whether every acknowledged event was sealed exactly once (exit status 1 if not).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
    set_policy,
    ws_connect,
)

from backend.core import employees, keys
from backend.core.datasets import SHARD_GLOB, open_storage, read_shard

OVERT = str(Path(sys.executable).with_name("overt"))
CONNECT_BATCH = 50
EVENTS_PER_FRAME = 5
FRAME_EVERY = 2.0
PING_EVERY = 15.0
OVERSIZED = 1024 * 1024 + 1024
SAMPLE_EVERY = 10.0


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
        if kind == "welcome" and not self.welcomed.done():
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
        if json.loads(text).get("type") == "welcome" and not self.welcomed.done():
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
    try:
        client.send_text(json.dumps({"type": "hello", "token": token}))
        await asyncio.wait_for(asyncio.shield(client.welcomed), 20)
    except BaseException:
        client.close()  # a socket given up on is closed, never left open behind a retry
        raise
    return client


def oversized_frame() -> bytes:
    """One masked text frame over the size limit, built once: masking 1 MiB costs the load
    generator a few milliseconds of the CPU it shares with the servers (one mask is reused; the
    server does not care)."""
    payload = json.dumps({"type": "events", "seq": 1, "events": ["x" * OVERSIZED]}).encode()
    mask = os.urandom(4)
    n = len(payload)
    repeated = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")).to_bytes(
        n, "little"
    )
    return bytes((0x81, 0x80 | 127)) + n.to_bytes(8, "big") + mask + masked


async def abuse(
    port: int, token: str, frame: bytes, stop: asyncio.Event, refused: list[int]
) -> None:
    """Send oversized frames over and over, reconnecting after each close."""
    while not stop.is_set():
        client = None
        try:
            client = await connect(AbuserClient, port, token)
            client.transport.write(frame)
            code = await asyncio.wait_for(asyncio.shield(client.closed), 20)
            refused.append(code or 0)
        except (OSError, TimeoutError, ConnectionError):
            await asyncio.sleep(0.5)
        finally:
            if client is not None:
                client.close()


def rss_mib(pid: int) -> float:
    """Resident memory of one process (not its children) in MiB; NaN once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def sockets_of(pid: int) -> int:
    """Open sockets of one process (Linux /proc): the WebSockets a backend process holds."""
    count = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    except OSError:
        pass
    return count


def children_of(pid: int) -> list[int]:
    """Direct children of `pid` (Linux /proc)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def backend_pids(master: int, workers: int, timeout: float = 30.0) -> list[int]:
    """The gunicorn worker processes of `overt serve` (children of its master), once all run."""
    deadline = time.monotonic() + timeout
    while len(children := children_of(master)) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"overt serve has {len(children)} of {workers} worker processes")
        time.sleep(0.1)
    return sorted(children)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used, in seconds (Linux /proc); NaN once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sampler:
    """RSS and CPU time of every process, with the refused and acknowledged counts then."""

    def __init__(self, pids: dict[str, int]):
        self.pids = pids
        self.started = time.monotonic()
        self.rows: list[dict] = []

    def sample(self, label: str, refused: int, acked: int) -> None:
        self.rows.append(
            {
                "label": label,
                "t": time.monotonic() - self.started,
                "refused": refused,
                "acked": acked,
                "rss": {name: rss_mib(pid) for name, pid in self.pids.items()},
                "cpu": {name: cpu_seconds(pid) for name, pid in self.pids.items()},
                "cpu_generator": time.process_time(),
            }
        )

    def row(self, label: str) -> dict:
        return next(r for r in self.rows if r["label"] == label)


class Clients:
    """The soak clients: connected once, sending frames while `sending`, pinging throughout."""

    def __init__(self, clients: list[SoakClient]):
        self.clients = clients
        self.last_ping = time.monotonic()

    def open(self) -> list[SoakClient]:
        return [c for c in self.clients if not c.transport.is_closing()]

    def send_round(self) -> None:
        """One frame from each client, spread over FRAME_EVERY seconds."""
        loop = asyncio.get_running_loop()
        clients = self.open()
        for i, c in enumerate(clients):
            loop.call_later(FRAME_EVERY * i / len(clients), c.send_frame)

    def ping_if_due(self) -> None:
        """Ping from every client every PING_EVERY s (the server drops sockets silent for 60 s)."""
        if time.monotonic() - self.last_ping < PING_EVERY:
            return
        self.last_ping = time.monotonic()
        for c in self.open():
            c.send_text('{"type":"ping"}')

    def acked(self) -> int:
        return sum(len(c.acked) for c in self.clients)

    def unacked(self) -> int:
        return sum(len(c.sent) for c in self.clients)


async def run_phase(clients, seconds, sending, sampler, refused, every, label) -> None:
    """Run for `seconds`: send rounds if `sending`, keep pinging, sample every `every` s."""
    started = last_sample = time.monotonic()
    while time.monotonic() - started < seconds:
        if sending:
            clients.send_round()
        clients.ping_if_due()
        await asyncio.sleep(FRAME_EVERY)
        if time.monotonic() - last_sample >= every:
            last_sample = time.monotonic()
            sampler.sample(label, len(refused), clients.acked())


async def soak(port: int, tokens: list[str], args, sampler: Sampler) -> dict:
    """Load for args.seconds (clients and abusers), then abusers alone on the held sockets."""
    connected: list[SoakClient] = []
    for start in range(0, args.clients, CONNECT_BATCH):
        batch = tokens[start : start + CONNECT_BATCH]
        connected += await asyncio.gather(*(connect(SoakClient, port, t) for t in batch))
    clients = Clients(connected)
    stop = asyncio.Event()
    refused: list[int] = []
    frame = oversized_frame()
    abusers = [
        asyncio.create_task(abuse(port, tokens[args.clients + i], frame, stop, refused))
        for i in range(args.abusers)
    ]
    warm = min(10.0, args.seconds / 4)
    await run_phase(clients, warm, True, sampler, refused, warm, "")
    sampler.rows.clear()
    sampler.sample("warm", len(refused), clients.acked())
    sockets = {n: sockets_of(p) for n, p in sampler.pids.items() if n.startswith("backend")}
    await run_phase(clients, args.seconds - warm, True, sampler, refused, SAMPLE_EVERY, "")
    sampler.sample("load end", len(refused), clients.acked())
    # Let the backlog drain (frames still unacknowledged), abusers still at work.
    deadline = time.monotonic() + 120
    while clients.unacked() and time.monotonic() < deadline:
        await run_phase(clients, FRAME_EVERY, False, sampler, refused, 3600, "")
    sampler.sample("abuse", len(refused), clients.acked())
    await run_phase(clients, args.abuse_seconds, False, sampler, refused, SAMPLE_EVERY / 2, "")
    sampler.sample("end", len(refused), clients.acked())
    stop.set()
    for task in abusers:
        task.cancel()
    await asyncio.gather(*abusers, return_exceptions=True)
    closed = sum(c.closed.done() for c in connected)
    for c in connected:
        c.close()
    return {
        "acked": [i for c in connected for i in c.acked],
        "frames_unacked": clients.unacked(),
        "latency_ms": percentiles([x for c in connected for x in c.latencies]),
        "refused": refused,
        "closed_by_server": closed,
        "sockets": sockets,
    }


def sealed_ids(datasets: Path) -> list[str]:
    """Every sealed event id, a duplicate as often as it was sealed."""
    storage = open_storage(datasets)
    return [rec["id"] for shard in storage.glob(SHARD_GLOB) for rec in read_shard(shard, storage)]


def start_workers(lab: Lab, count: int) -> list[subprocess.Popen]:
    """Start `count` `overt worker` processes sealing batches at most 5 s old."""
    env = {**lab.env, "OVERT_BATCH_SIZE": "5000", "OVERT_BATCH_MAX_AGE": "5"}
    workers = []
    for i in range(count):
        log = open(lab.dir / f"worker{i}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen([OVERT, "worker"], env=env, stdout=log, stderr=log)
        proc.log = log
        lab.procs.append(proc)
        workers.append(proc)
    return workers


def wait_sealed(lab: Lab, acked: set[str], timeout: float = 180) -> list[str]:
    """Sealed event ids, once every acknowledged one is sealed (or `timeout` passed)."""
    deadline = time.monotonic() + timeout
    sealed = sealed_ids(lab.dir / "data" / "datasets")
    while not acked <= set(sealed) and time.monotonic() < deadline:
        time.sleep(2)
        sealed = sealed_ids(lab.dir / "data" / "datasets")
    return sealed


def report(sampler: Sampler) -> None:
    """Print RSS per process over time, CPU used under load, and growth per refused frame."""
    names = list(sampler.pids)
    print("RSS (MiB); t in s from the first connect; refused = oversized frames so far")
    print(f"{'t':>5} {'refused':>8} {'acked':>8} " + " ".join(f"{n:>12}" for n in names))
    for row in sampler.rows:
        cells = " ".join(f"{row['rss'][n]:12.1f}" for n in names)
        print(f"{row['t']:5.0f} {row['refused']:8d} {row['acked']:8d} {cells}  {row['label']}")
    warm, load_end = sampler.row("warm"), sampler.row("load end")
    spent = load_end["t"] - warm["t"]
    used = {n: load_end["cpu"][n] - warm["cpu"][n] for n in names}
    used["load generator"] = load_end["cpu_generator"] - warm["cpu_generator"]
    share = ", ".join(f"{n} {cpu:.1f}" for n, cpu in used.items())
    print(f"CPU seconds used in {spent:.0f} s of load (2 cores = {2 * spent:.0f}): {share}")
    frames = (load_end["acked"] - warm["acked"]) / EVENTS_PER_FRAME
    backends = sum(cpu for n, cpu in used.items() if n.startswith("backend"))
    if frames:
        print(
            f"backend CPU per acknowledged frame ({EVENTS_PER_FRAME} events), the abusers' "
            f"{load_end['refused'] - warm['refused']} refused frames included: "
            f"{backends / frames * 1000:.2f} ms; acknowledged {frames / spent:.0f} frames/s"
        )
    start, end = sampler.row("abuse"), sampler.row("end")
    refused = end["refused"] - start["refused"]
    print(f"abusers alone on the held sockets: {refused} oversized frames refused")
    for name in names:
        before, after = start["rss"][name], end["rss"][name]
        per = ""
        if refused and name.startswith("backend"):  # the processes that refuse the frames
            per = f"; {(after - before) * 1024 / refused * 1000:+.0f} KiB per 1,000 refused"
        print(f"RSS {name:12} {before:6.1f} -> {after:6.1f} MiB{per}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="200 clients, 20 s, 20 abusers (then 10 s alone)"
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--abusers", type=int, default=100)
    parser.add_argument(
        "--abuse-seconds", type=float, default=30.0, help="abusers alone, after the load"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary dir (logs)")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.seconds, args.abusers, args.abuse_seconds = 200, 20.0, 20, 10.0
    raise_fd_limit((args.clients + args.abusers) * 3 + 256)
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
    with Lab(keep=args.keep, max_connections=2000) as lab:
        server, port = lab.start_server("gevent", workers=2)
        backends = backend_pids(server.pid, 2)
        tokens = prepare(lab, port, args.clients + args.abusers)
        workers = start_workers(lab, 2)
        pids = {"serve master": server.pid}
        pids.update({f"backend{i + 1}": pid for i, pid in enumerate(backends)})
        pids.update({f"worker{i + 1}": p.pid for i, p in enumerate(workers)})
        pids["redis"] = lab.redis.process.pid
        print(
            f"{args.clients} clients and {args.abusers} oversized-frame abusers for "
            f"{args.seconds:.0f} s on `overt serve --workers 2` (2 gevent backend processes) "
            "and 2 `overt worker`s"
        )
        sampler = Sampler(pids)
        res = asyncio.run(soak(port, tokens, args, sampler))
        restarted = backend_pids(server.pid, 2) != backends
        acked = set(res["acked"])
        sealed = wait_sealed(lab, acked)
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
    print(f"sockets per backend process after warm-up: {res['sockets']}")
    print(f"a backend process was restarted by gunicorn: {restarted}")
    report(sampler)
    print(f"dead letters: {dead}; load average after: {os.getloadavg()[0]:.2f}")
    return 0 if lost == 0 and dup == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
