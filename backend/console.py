"""What the admin console shows live: pauses and their acknowledgements, devices, queue, batches.

Flask-free; `GET /admin/api/live` returns `live_view(r)`, polled by static/admin.js.
"""

from __future__ import annotations

import json
import math
import time

import redis

from workers.queue import get_queue

from .connections import PRESENCE_TTL
from .core import keys, pauses
from .status import status

RECENT_PAUSES = 8
RECENT_BATCHES = 10


def connected_clients(r: redis.Redis) -> list[dict]:
    """Return the clients connected to any backend now (seen within PRESENCE_TTL)."""
    seen = r.zrangebyscore(keys.KEY_CONNECTIONS, time.time() - PRESENCE_TTL, "+inf")
    ids = [c.decode() for c in seen]
    infos = r.hmget(keys.KEY_CONNECTION_INFO, ids) if ids else []
    out = []
    for conn_id, raw in zip(ids, infos, strict=True):
        if raw:
            info = json.loads(raw)
            out.append({"connection": conn_id, **info, "since_ms": int(info["since"] * 1000)})
    return out


def devices_by_team(clients: list[dict]) -> dict[str, list[dict]]:
    """Group connected clients by team (employee, device, connected since)."""
    teams: dict[str, list[dict]] = {}
    for c in sorted(clients, key=lambda c: (c["team"], c["employee"])):
        teams.setdefault(c["team"], []).append(
            {"employee": c["employee"], "device": c["device"], "since_ms": c["since_ms"]}
        )
    return teams


def percentile(values: list[int], q: float) -> int | None:
    """Return the nearest-rank percentile `q` (0-100) of `values`, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def ack_report(record: dict, acked: list[dict], clients: list[dict]) -> dict:
    """Return who acknowledged a pause (`acked`: its acks), how fast, and who has not yet.

    A client that connected after the pause learnt it in `welcome`: its latency counts from
    its connection, not from the pause.
    """
    connected_since = {c["device"]: c["since_ms"] for c in clients}
    latencies = [
        max(0, a["at"] - max(record["since_ms"], connected_since.get(a["device"], 0)))
        for a in acked
    ]
    acked_devices = {a["device"] for a in acked}
    covered = [c for c in clients if pauses.matches(record["scope"], c["employee"], c["team"])]
    missing = [
        {"employee": c["employee"], "team": c["team"], "device": c["device"]}
        for c in covered
        if c["device"] not in acked_devices
    ]
    return {
        "acknowledged": len(acked),
        "expected": len(acked) + len(missing),
        "latency_ms": {
            "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99),
            "max": max(latencies, default=None),
        },
        "not_acknowledged": missing,
    }


def recent_pauses(r: redis.Redis, active: list[dict], clients: list[dict]) -> list[dict]:
    """Return the RECENT_PAUSES newest pauses and every active one, newest first, with acks.

    Reads those records only (their time index, backend/core/pauses.py), not every pause ever
    made; an active pause older than the newest few is still shown with its report.
    """
    shown = {p["pause_id"]: p for p in pauses.newest_pauses(r, RECENT_PAUSES)}
    shown |= {p["pause_id"]: p for p in active if p["pause_id"] not in shown}
    ordered = sorted(shown.values(), key=lambda p: p["since_ms"], reverse=True)
    acks = pauses.acks_of(r, [p["pause_id"] for p in ordered])
    return [
        {**p, "active": p["until_ms"] is None, **ack_report(p, acked, clients)}
        for p, acked in zip(ordered, acks, strict=True)
    ]


def recent_batches(r: redis.Redis) -> list[dict]:
    """Return the newest sealed batches with their counts (no contributor pseudonyms)."""
    cards = [json.loads(v) for v in r.hvals(keys.KEY_BATCHES)]
    cards.sort(key=lambda c: c.get("sealed_ms", 0), reverse=True)
    return [
        {k: c.get(k) for k in ("batch_id", "date", "events", "sealed_ms")}
        | {"contributors": len(c.get("contributors", []))}
        for c in cards[:RECENT_BATCHES]
    ]


def live_view(r: redis.Redis) -> dict:
    """Return everything the console's live panels show, in one answer."""
    clients = connected_clients(r)
    info = status(r)
    active = pauses.active_pauses(r)
    return {
        "now_ms": int(time.time() * 1000),
        "active_pauses": active,
        "devices": devices_by_team(clients),
        "connected_clients": len(clients),
        "pauses": recent_pauses(r, active, clients),
        "pauses_total": r.hlen(keys.KEY_PAUSES),
        "queue": {**info["queue"], "failed_jobs": get_queue(r).failed_job_registry.count},
        "workers": info["workers"],
        "batches": {**info["batches"], "recent": recent_batches(r)},
        "drops_pending": info["drops_pending"],
    }
