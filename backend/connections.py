"""The sockets connected to this process, and their presence in Redis for `overt status`."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field

import redis

from . import metrics, wire
from .core import keys, pauses
from .core.employees import Identity
from .core.policy import get_policy
from .revocation import close_revoked
from .wire import Broadcast

log = logging.getLogger(__name__)

PRESENCE_TTL = 45  # seconds without a heartbeat before a connection no longer counts


@dataclass(eq=False)
class Connection:
    """One authenticated WebSocket and who it belongs to."""

    ws: object
    ident: Identity
    id: str = field(default_factory=lambda: "c_" + secrets.token_hex(6))
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The pause this client was last told about (None after a resume): lets a resync after a
    # Redis outage send exactly what was missed.
    told_pause: str | None = None
    # How this socket frames a message (backend/wire.py): fixed by the handshake, looked up once.
    framing: tuple | None = field(default=None, repr=False)
    framing_known: bool = field(default=False, repr=False)

    def send(self, frame: dict) -> bool:
        """Send a frame; return False when the socket is gone. Safe from any thread."""
        return self.send_text(json.dumps(frame))

    def send_text(self, data: str) -> bool:
        """Send an already encoded frame."""
        try:
            with self.lock:
                self.ws.send(data)
            return True
        except Exception as err:  # a closed socket raises several kinds; the handler cleans up
            log.debug("send to %s failed: %s", self.id, type(err).__name__)
            return False

    def send_broadcast(self, message: Broadcast) -> bool:
        """Send a fan-out's message, framed once for every socket framed alike (backend/wire.py)."""
        ws = self.ws
        if not self.framing_known:
            self.framing, self.framing_known = wire.framing(ws), True
        try:
            with self.lock:
                if not ws.connected:
                    return False
                data = message.bytes_for(ws, self.framing)
                # send() before sendall(): gevent's sendall costs 3 µs more per socket, and a
                # small frame almost always goes whole into the socket's buffer.
                sent = ws.sock.send(data)
                if sent < len(data):
                    ws.sock.sendall(data[sent:])
            return True
        except Exception as err:  # as send_text
            log.debug("send to %s failed: %s", self.id, type(err).__name__)
            return False


class Registry:
    """Connections of this process, fanned out to by the control listener."""

    def __init__(self, r: redis.Redis, process_id: str):
        self.r = r
        self.process_id = process_id
        self.lock = threading.Lock()
        self.connections: dict[str, Connection] = {}
        self.policy: dict | None = None

    def add(self, conn: Connection) -> None:
        """Register a connection here and in Redis."""
        with self.lock:
            self.connections[conn.id] = conn
        info = {
            "employee": conn.ident.employee,
            "team": conn.ident.team,
            "device": conn.ident.device,
            "process": self.process_id,
            "since": time.time(),
        }
        pipe = self.r.pipeline()
        pipe.zadd(keys.KEY_CONNECTIONS, {conn.id: time.time()})
        pipe.hset(keys.KEY_CONNECTION_INFO, conn.id, json.dumps(info))
        pipe.execute()

    def remove(self, conn: Connection) -> None:
        """Forget a connection."""
        with self.lock:
            self.connections.pop(conn.id, None)
        try:
            pipe = self.r.pipeline()
            pipe.zrem(keys.KEY_CONNECTIONS, conn.id)
            pipe.hdel(keys.KEY_CONNECTION_INFO, conn.id)
            pipe.execute()
        except redis.RedisError as err:
            log.warning("could not remove connection %s from Redis: %s", conn.id, err)

    def snapshot(self) -> list[Connection]:
        """Return the current connections."""
        with self.lock:
            return list(self.connections.values())

    def heartbeat(self) -> None:
        """Refresh this process's connections in Redis and expire those of dead processes."""
        now = time.time()
        conns = self.snapshot()
        pipe = self.r.pipeline()
        if conns:
            pipe.zadd(keys.KEY_CONNECTIONS, {c.id: now for c in conns})
        pipe.zremrangebyscore(keys.KEY_CONNECTIONS, 0, now - PRESENCE_TTL)
        pipe.execute()
        # A connection removed after the snapshot was just written back: take it out again.
        with self.lock:
            gone = [c.id for c in conns if c.id not in self.connections]
        if gone:
            self.r.zrem(keys.KEY_CONNECTIONS, *gone)

    def dispatch(self, command: dict) -> None:
        """Deliver a control command to every matching connection of this process."""
        started, cpu = time.perf_counter(), time.process_time()
        # Milliseconds from the publish (`at`, backend/core/control.py) to this listener's turn.
        lag = time.time() * 1000 - command["at"] if "at" in command else float("nan")
        kind, frame, scope = command["kind"], command["frame"], command["scope"]
        if kind == "policy":
            self.policy = frame_to_policy(frame)
        # After a resume, a client may still be covered by another (broader or narrower) pause.
        remaining = pauses.active_pauses(self.r) if kind == "resume" else []
        # Each distinct frame is encoded and framed once, not once per socket.
        encoded: dict[str | None, Broadcast] = {None: Broadcast(json.dumps(frame))}
        sent = 0
        # Per socket only what differs between sockets (this loop runs 5,000 times a pause).
        everyone, device = keys.pause_field(scope) == "all", command.get("device")
        for conn in self.snapshot():
            ident = conn.ident
            employee, team = ident.employee, ident.team
            if not everyone and not pauses.matches(scope, employee, team):
                continue
            if device is not None and device != ident.device:
                continue
            out = None
            if kind == "revoke":
                close_revoked(conn)
                sent += 1
                continue
            if kind == "pause":
                conn.told_pause = frame["pause_id"]
            elif kind == "resume":
                if conn.told_pause != frame["pause_id"]:
                    continue  # this client is held by another pause it was told about
                still = next(
                    (p for p in remaining if pauses.matches(p["scope"], employee, team)), None
                )
                conn.told_pause = still["pause_id"] if still else None
                if still:
                    out = still["pause_id"]
                    if out not in encoded:
                        encoded[out] = Broadcast(json.dumps(pauses.pause_frame(still)))
            sent += conn.send_broadcast(encoded[out])
        if kind == "pause" and sent:
            metrics.pause_fanned_out(frame)
        log.info(
            "control %s delivered to %d local client(s) in %.1f ms (%.1f ms CPU), "
            "starting %.1f ms after it was published; framed %d way(s)",
            kind,
            sent,
            (time.perf_counter() - started) * 1000,
            (time.process_time() - cpu) * 1000,
            lag,
            sum(b.framings for b in encoded.values()),
        )

    def resync(self) -> None:
        """After missing control messages, tell each client the pause state it should have."""
        self.policy = get_policy(self.r)
        for conn in self.snapshot():
            active = pauses.active_for(self.r, conn.ident.employee, conn.ident.team)
            active_id = active["pause_id"] if active else None
            if active_id == conn.told_pause:
                continue
            if active:
                conn.send(pauses.pause_frame(active))
            else:
                conn.send({"type": "resume", "pause_id": conn.told_pause})
            conn.told_pause = active_id
        log.info("control resync checked %d client(s)", len(self.snapshot()))


def frame_to_policy(frame: dict) -> dict:
    """Return the policy carried by a `policy` frame."""
    return {k: v for k, v in frame.items() if k != "type"}
