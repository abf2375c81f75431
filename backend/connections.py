"""The sockets connected to this process, and their presence in Redis for `overt status`."""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import select
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from socket import MSG_DONTWAIT

import redis

from . import metrics, wire
from .core import keys, pauses
from .core.employees import Identity
from .core.policy import get_policy
from .revocation import close_revoked
from .wire import Broadcast

log = logging.getLogger(__name__)

PRESENCE_TTL = 45  # seconds without a heartbeat before a connection no longer counts
# A socket that takes no byte of a fan-out frame for this long is reset: its client does not read.
# Clients ping every 20 s (backend/ingest.py), and a live one reads its socket to see the pong.
SEND_TIMEOUT = 20.0
_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() resets the connection
# Guards every connection's `backlog` hand-over between the fan-out and the background senders.
_backlogs = threading.Lock()

# KEYS[1]: the presence zset, KEYS[2]: its info hash; ARGV[1]: the oldest heartbeat still live.
# Connections not refreshed since (their process died without removing them) leave both.
TRIM_LUA = """
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
for i = 1, #stale, 1000 do
  local chunk = {unpack(stale, i, math.min(i + 999, #stale))}
  redis.call('ZREM', KEYS[1], unpack(chunk))
  redis.call('HDEL', KEYS[2], unpack(chunk))
end
return #stale
"""
# KEYS[1]: the info hash; ARGV: connection id, its new row, ... A row is written only if it is
# still there: a connection removed meanwhile is not brought back (only the process holding a
# connection writes its row, one control message after another, so no other write can race).
UPDATE_LUA = """
local n = 0
for i = 1, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    n = n + 1
  end
end
return n
"""


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
    raw: socket.socket | None = field(default=None, repr=False)  # set with `framing`
    # Fan-out messages waiting for this socket's background sender (None: no sender running).
    backlog: deque | None = field(default=None, repr=False)

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
        """Send a fan-out's message without ever waiting on this socket; False if it is gone.

        Framed once for every socket framed alike (backend/wire.py). The fan-out loops over every
        socket of the process, so one client that stops reading must not hold up the others: the
        send never blocks. When another send holds the lock (an answer blocked on a full socket),
        or a backlog is already waiting, the message joins this socket's backlog, which a
        background thread (a greenlet under gevent) sends in order. When the socket takes only
        part of the frame, that thread keeps the lock and sends the rest, so nothing interleaves
        with it. A socket that takes nothing for SEND_TIMEOUT seconds is aborted (see `abort`).
        """
        ws = self.ws
        if not self.framing_known:
            self.framing, self.framing_known = wire.framing(ws), True
            self.raw = _os_socket(ws.sock)
        if self.backlog is not None and self._queue(message):
            return True
        lock = self.lock
        if not lock.acquire(False):
            self._start_backlog(message, None)
            return True
        try:
            if not ws.connected:
                lock.release()
                return False
            data = message.bytes_for(ws, self.framing)
            # MSG_DONTWAIT: a full socket raises instead of blocking (gevent's `_sock` is the
            # OS socket under its wrapper, which would otherwise wait for room).
            sent = self.raw.send(data, MSG_DONTWAIT)
        except BlockingIOError:
            sent = 0
        except Exception as err:  # a closed socket raises several kinds; the handler cleans up
            lock.release()
            log.debug("send to %s failed: %s", self.id, type(err).__name__)
            return False
        if sent < len(data):
            self._start_backlog(None, data[sent:])  # the lock stays held until the rest is sent
            return True
        lock.release()
        return True

    def _queue(self, message: Broadcast) -> bool:
        """Add `message` to the running backlog; False if the backlog has just finished."""
        with _backlogs:
            if self.backlog is None:
                return False
            self.backlog.append(message)
            return True

    def _start_backlog(self, message: Broadcast | None, rest: bytes | None) -> None:
        """Start a background sender: of `rest` of a frame (lock held), or of `message` (not).

        Senders take the lock in turn and pop the backlog in order, so messages keep their order
        however many senders run (a second starts only when two threads fan out at once).
        """
        with _backlogs:
            if self.backlog is None:
                self.backlog = deque()
            elif rest is None:
                self.backlog.append(message)  # a sender is running or waiting for the lock
                return
            if message is not None:
                self.backlog.append(message)
        threading.Thread(
            target=self._send_backlog, args=(rest,), name="overt-backlog", daemon=True
        ).start()

    def _send_backlog(self, rest: bytes | None) -> None:
        """Background: send `rest` (the lock is held), then the backlog in order, then stop."""
        if rest is None and not self.lock.acquire(timeout=SEND_TIMEOUT):
            # Whoever holds the lock has been blocked sending for SEND_TIMEOUT seconds.
            self._end_backlog()
            self.abort("a send blocked")
            return
        try:
            if rest:
                self._send_within(rest)
            while True:
                with _backlogs:
                    if not self.backlog:
                        self.backlog = None
                        return
                    message = self.backlog.popleft()
                if not self.ws.connected:
                    continue  # drop the rest of the backlog: the socket is gone
                self._send_within(message.bytes_for(self.ws, self.framing))
        except TimeoutError:
            self._end_backlog()
            self.abort("no room for a fan-out frame")
        except Exception as err:  # as send_text
            self._end_backlog()
            log.debug("send to %s failed: %s", self.id, type(err).__name__)
        finally:
            self.lock.release()

    def _end_backlog(self) -> None:
        with _backlogs:
            self.backlog = None

    def _send_within(self, data: bytes) -> None:
        """Send all of `data` (lock held); raise TimeoutError if no byte goes for SEND_TIMEOUT."""
        view, raw, poller = memoryview(data), self.raw, None
        while view:
            try:
                view = view[raw.send(view, MSG_DONTWAIT) :]
                continue
            except BlockingIOError:
                pass
            if poller is None:
                poller = select.poll()  # gevent's when patched: waits as a greenlet
                poller.register(raw.fileno(), select.POLLOUT)
            if not poller.poll(SEND_TIMEOUT * 1000):
                raise TimeoutError

    def abort(self, why: str) -> None:
        """Drop a client that does not read: reset its socket; the usual cleanup then runs.

        Shutting the socket down wakes whatever waits on it (the reader, a blocked send); the
        reader's end (backend/ws_reader.py) then closes it and wakes the handler, which removes
        the connection. SO_LINGER 0 makes that close a reset, dropping the unsent bytes at once.
        """
        log.warning(
            "closing %s: %s for %.0f s, the client does not read", self.id, why, SEND_TIMEOUT
        )
        self.ws.connected = False
        raw = self.raw if self.framing_known else _os_socket(self.ws.sock)
        with contextlib.suppress(OSError):
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        with contextlib.suppress(OSError):
            raw.shutdown(socket.SHUT_RDWR)


def _os_socket(sock) -> socket.socket:
    """Return the OS socket under `sock`: gevent wraps one as `_sock`; a standard one is one.

    TLS ends at the proxy in front of Overt (docs/operations.md), so sockets here are plain TCP.
    """
    return getattr(sock, "_sock", sock)


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
        if conns:
            self.r.zadd(keys.KEY_CONNECTIONS, {c.id: now for c in conns})
        trim_presence(self.r, now - PRESENCE_TTL)
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
        # After a resume, a client may still be covered by another (broader or narrower) pause;
        # after a move, by its new team's. Read once here: the loop does no Redis I/O per socket.
        remaining = pauses.active_pauses(self.r) if kind in ("resume", "team") else []
        moved: list[Connection] = []
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
                close_revoked(conn, SEND_TIMEOUT)
                sent += 1
                continue
            if kind == "team":  # the employee moved (backend/core/actions.py): not a frame
                self.move(conn, frame["team"], remaining)
                moved.append(conn)
                sent += 1
                continue
            if kind == "pause":
                conn.told_pause = frame["pause_id"]
            elif kind == "resume":
                if conn.told_pause != frame["pause_id"]:
                    continue  # this client is held by another pause it was told about
                still = pauses.covering(remaining, employee, team)
                conn.told_pause = still["pause_id"] if still else None
                if still:
                    out = still["pause_id"]
                    if out not in encoded:
                        encoded[out] = Broadcast(json.dumps(pauses.pause_frame(still)))
            sent += conn.send_broadcast(encoded[out])
        if moved:
            self.record_teams(moved)
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
        active = pauses.active_pauses(self.r)
        conns = self.snapshot()
        for conn in conns:
            ident = conn.ident
            self.tell_pause_state(conn, pauses.covering(active, ident.employee, ident.team))
        log.info("control resync checked %d client(s)", len(conns))

    def tell_pause_state(self, conn: Connection, active: dict | None) -> None:
        """Send `conn` the pause (or resume) it should have, if it was told something else.

        `active` is the pause that covers it now (None: none does).
        """
        active_id = active["pause_id"] if active else None
        if active_id == conn.told_pause:
            return
        frame = pauses.pause_frame(active) if active else None
        if frame is None:
            frame = {"type": "resume", "pause_id": conn.told_pause}
        conn.send_broadcast(Broadcast(json.dumps(frame)))  # as the fan-out: never blocks
        conn.told_pause = active_id

    def move(self, conn: Connection, team: str, active: list[dict]) -> None:
        """Put a connected device in `team`: its events and pauses follow the team at once.

        `active` is every active pause (`pauses.active_pauses`), read once per fan-out; the
        device is told the one covering it now. Its presence follows with `record_teams`.
        """
        conn.ident = replace(conn.ident, team=team)  # intake reads it for each frame
        self.tell_pause_state(conn, pauses.covering(active, conn.ident.employee, team))

    def record_teams(self, moved: list[Connection]) -> None:
        """Write the new team into the presence of moved connections: one read, one write."""
        ids = [conn.id for conn in moved]
        found = self.r.hmget(keys.KEY_CONNECTION_INFO, ids)
        rows = []
        for conn, raw in zip(moved, found, strict=True):
            if raw:  # removed already: nothing to write back
                rows += [conn.id, json.dumps({**json.loads(raw), "team": conn.ident.team})]
        if rows:
            # Removed between the read and the write: UPDATE_LUA does not bring the row back.
            self.r.register_script(UPDATE_LUA)(keys=[keys.KEY_CONNECTION_INFO], args=rows)


def trim_presence(r: redis.Redis, oldest: float) -> int:
    """Forget connections last refreshed before `oldest` (a time in s); return how many.

    A process that dies (SIGKILL, out of memory) never removes its connections; every live
    backend's heartbeat takes them out of the presence zset and the info hash together.
    """
    return int(
        r.register_script(TRIM_LUA)(
            keys=[keys.KEY_CONNECTIONS, keys.KEY_CONNECTION_INFO], args=[repr(oldest)]
        )
    )


def frame_to_policy(frame: dict) -> dict:
    """Return the policy carried by a `policy` frame."""
    return {k: v for k, v in frame.items() if k != "type"}
