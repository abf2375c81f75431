"""Backend memory per idle socket, with and without permessage-deflate (as Chromium offers it).

    .venv/bin/python bench/idle.py [--clients 500]

Starts one `overt serve --workers 1` on a private redis-server, reads its resident memory, then
connects `--clients` authenticated clients with the `websockets` library (which, like Chromium,
offers permessage-deflate), each sending one events frame and getting its ack, as a real
extension does on connect; reads the memory again once they are idle and prints the difference
per socket. Then the same with clients that do not offer compression. Needs the test extras
(`websockets`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

from _common import Lab, make_event, raise_fd_limit, rss_mb, set_policy
from websockets.asyncio.client import connect

from backend.core import employees, keys

BATCH = 50


async def one(port: int, token: str, compression: str | None):
    ws = await connect(
        f"ws://127.0.0.1:{port}/ws", compression=compression, max_size=2**20, ping_interval=None
    )
    await ws.send(json.dumps({"type": "hello", "token": token, "client": {"version": "b"}}))
    welcome = json.loads(await ws.recv())
    assert welcome["type"] == "welcome", welcome
    now = int(time.time() * 1000)
    frame = {"type": "events", "seq": 1, "events": [make_event(i, now) for i in range(5)]}
    await ws.send(json.dumps(frame))
    ack = json.loads(await ws.recv())
    assert ack["accepted"] == 5, ack
    return ws


async def measure(port: int, pid: int, tokens: list[str], compression: str | None) -> dict:
    before = rss_mb(pid)
    sockets = []
    for start in range(0, len(tokens), BATCH):
        sockets += await asyncio.gather(
            *(one(port, t, compression) for t in tokens[start : start + BATCH])
        )
    await asyncio.sleep(2.0)
    after = rss_mb(pid)
    negotiated = sockets[0].response.headers.get("Sec-WebSocket-Extensions")
    for ws in sockets:
        await ws.close()
    await asyncio.sleep(1.0)
    return {
        "compression": compression or "none",
        "negotiated": negotiated,
        "kib_per_socket": (after - before) * 1024 / len(sockets),
        "rss_before_mb": before,
        "rss_after_mb": after,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    args = parser.parse_args(argv)
    raise_fd_limit(args.clients * 2 + 256)
    print(f"load average before: {os.getloadavg()[0]:.2f}; {args.clients} clients per case")
    results = []
    with Lab() as lab:
        r = lab.redis_client()
        consent = {c: "1" for c in ("navigation", "clicks", "scroll", "typing")}
        tokens = []
        for compression in ("deflate", None):
            proc, port = lab.start_server("gevent", workers=1)
            if not tokens:
                set_policy(port)  # before consent: a new purpose lapses every grant
                for i in range(args.clients):
                    token, ident = employees.enroll(r, f"idle{i}", "idle")
                    r.hset(keys.key(keys.KEY_CONSENT, employee=ident.employee), mapping=consent)
                    tokens.append(token)
            time.sleep(1.0)
            res = asyncio.run(measure(port, proc.pid, tokens, compression))
            lab.stop(proc)
            results.append(res)
            print(
                f"  client compression {res['compression']:8} (server answered "
                f"{res['negotiated'] or 'no extension'}): "
                f"{res['kib_per_socket']:.0f} KiB per idle socket "
                f"({res['rss_before_mb']:.0f} -> {res['rss_after_mb']:.0f} MiB)",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
