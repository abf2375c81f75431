"""Many WebSocket clients in a few lean processes, timing each frame by when the kernel received it.

Used by bench/pause.py. One Python process holding 10,000 sockets is itself a bottleneck: reading
10,000 pause frames and answering them costs it a few hundred ms of CPU, and a receipt time taken
when its event loop reaches a socket measures that loop's queue as much as the server. So:

- the clients are split over `procs` processes, each a plain epoll loop over raw non-blocking
  sockets (no asyncio, no WebSocket library: frames are parsed from the read buffer in place);
- each socket has SO_TIMESTAMPNS set, and every read takes the kernel's receive time of the data
  (CLOCK_REALTIME, the clock of `time.time()`) from `recvmsg`'s ancillary data. On 127.0.0.1
  that is the moment the server's `send()` put the bytes in the client's socket, whatever the
  client process was doing; the time the client's Python saw them is recorded as well, so the
  difference (the client's own delay) is printed rather than hidden in the figures;
- the processes run at a lower priority (`nice`), so on a shared machine the servers get the
  cores first, as they would if the clients were other machines;
- clients offer permessage-deflate as Chromium does (`client_max_window_bits`), so the server
  frames and compresses as it does for real extensions; compressed frames are inflated here.

A read's kernel timestamp is that of the last data read, and the kernel merges small segments
waiting in a socket's queue, keeping the later time: a frame is timed correctly only if nothing
else reached that socket between it and the read. Nothing does during a round: clients ping (the
server answers each ping, and closes a socket idle for 60 s) only while connecting and when told
to (`Fleet.ping`, between rounds), and the resume is not sent before every pause was read. A
client that pinged on a timer of its own got pongs behind unread pause frames when starved of
CPU, which moved those pauses' times seconds later.

Each client answers `pause_applied` as soon as it reads a pause, as the extension does.
"""

from __future__ import annotations

import base64
import collections
import json
import multiprocessing
import os
import resource
import select
import socket
import struct
import time
import traceback
import zlib

from _common import client_frame

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; Python does not name it
ANCILLARY = socket.CMSG_SPACE(16)  # one struct timespec
CONNECT_BATCH = 50
DEFLATE_OFFER = "permessage-deflate; client_max_window_bits"  # what Chromium sends


def next_frame(buf: bytearray):
    """Remove and return (first byte, payload) of the first whole server frame, or None."""
    if len(buf) < 2:
        return None
    length, offset = buf[1] & 0x7F, 2
    if length == 126:
        if len(buf) < 4:
            return None
        length, offset = int.from_bytes(buf[2:4], "big"), 4
    elif length == 127:
        if len(buf) < 10:
            return None
        length, offset = int.from_bytes(buf[2:10], "big"), 10
    if len(buf) < offset + length:
        return None
    b0, payload = buf[0], bytes(buf[offset : offset + length])
    del buf[: offset + length]
    return b0, payload


class Client:
    """One socket: its read buffer and whether it negotiated deflate."""

    __slots__ = ("buf", "close_code", "deflate", "port", "sock")

    def __init__(self, sock: socket.socket, port: int):
        self.sock, self.port = sock, port
        self.buf = bytearray()
        self.deflate = False
        self.close_code: int | None = None

    def messages(self):
        """Yield the text of each whole message in the buffer; answer pings; note a close."""
        while (frame := next_frame(self.buf)) is not None:
            b0, payload = frame
            opcode = b0 & 0x0F
            if opcode == 1:  # the server never fragments its small frames
                if b0 & 0x40:  # RSV1: compressed; the server keeps no context between messages
                    payload = zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff")
                yield payload.decode()
            elif opcode == 8:
                self.close_code = int.from_bytes(payload[:2], "big") if payload else 1005
            elif opcode == 9:
                self.sock.send(client_frame(0xA, payload))


def handshake(sock: socket.socket, host: str, port: int, deflate: bool) -> Client:
    """Send the upgrade request; the answer is read by `finish_handshake`."""
    key = base64.b64encode(os.urandom(16)).decode()
    extensions = f"Sec-WebSocket-Extensions: {DEFLATE_OFFER}\r\n" if deflate else ""
    sock.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n{extensions}\r\n"
        ).encode()
    )
    return Client(sock, port)


def read_until(client: Client, done) -> None:
    """Read (blocking) until `done(client)` is true."""
    while not done(client):
        data = client.sock.recv(65536)
        if not data:
            raise ConnectionError("closed by the server while connecting")
        client.buf += data


def finish_handshake(client: Client) -> None:
    read_until(client, lambda c: b"\r\n\r\n" in c.buf)
    end = client.buf.find(b"\r\n\r\n")
    head = bytes(client.buf[:end]).decode(errors="replace")
    del client.buf[: end + 4]
    if " 101 " not in head.split("\r\n", 1)[0]:
        raise ConnectionError(head.split("\r\n", 1)[0])
    client.deflate = "permessage-deflate" in head.lower()


def await_welcome(client: Client) -> None:
    while True:
        for text in client.messages():
            frame = json.loads(text)
            if frame.get("type") == "welcome":
                if frame.get("pause") is not None:
                    raise RuntimeError("a pause is still active from an earlier run")
                return
        if client.close_code is not None:
            raise ConnectionError(f"closed with {client.close_code} before welcome")
        data = client.sock.recv(65536)
        if not data:
            raise ConnectionError("closed by the server before welcome")
        client.buf += data


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Loop:
    """The epoll loop of one fleet process."""

    def __init__(self, pipe, host: str, targets: list[tuple[int, str]], options: dict):
        self.pipe, self.host, self.targets, self.options = pipe, host, targets, options
        self.clients: dict[int, Client] = {}
        self.epoll = select.epoll()
        # (kind, pause id) -> [(kernel receive time, client read time, backend port)]
        self.arrivals: dict[tuple[str, str], list] = collections.defaultdict(list)
        self.closed: collections.Counter = collections.Counter()
        self.report: tuple | None = None
        self.pongs = 0
        self.pinged: tuple[int, float] | None = None  # (pongs to wait for, deadline)
        self.cpu_mark = cpu_seconds()
        self.applied: dict[str, bytes] = {}

    def connect(self) -> None:
        limit = len(self.targets) + 256
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, limit), hard), hard))
        next_ping = time.monotonic() + self.options["ping_every"]
        for start in range(0, len(self.targets), CONNECT_BATCH):
            batch = []
            for port, token in self.targets[start : start + CONNECT_BATCH]:
                sock = socket.create_connection((self.host, port), timeout=30)
                batch.append((handshake(sock, self.host, port, self.options["deflate"]), token))
            for client, _ in batch:
                finish_handshake(client)
            for client, token in batch:
                hello = {"type": "hello", "token": token, "client": {"version": "bench"}}
                client.sock.sendall(client_frame(0x1, json.dumps(hello).encode()))
            for client, _ in batch:
                await_welcome(client)
                client.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                self.clients[client.sock.fileno()] = client
            if time.monotonic() >= next_ping:  # connecting 10,000 can take over a minute
                next_ping += self.options["ping_every"]
                self.ping()
        for fd, client in self.clients.items():
            client.sock.setblocking(False)
            self.epoll.register(fd, select.EPOLLIN)

    def ping(self) -> None:
        frame = client_frame(0x1, b'{"type":"ping"}')
        for client in self.clients.values():
            client.sock.send(frame)

    def run(self) -> None:
        started = time.perf_counter()
        self.connect()
        os.nice(self.options["nice"])  # after connecting, which is not measured
        deflated = sum(c.deflate for c in self.clients.values())
        took = time.perf_counter() - started
        self.pipe.send(
            ("ready", {"connected": len(self.clients), "deflate": deflated, "connect_s": took})
        )
        self.epoll.register(self.pipe.fileno(), select.EPOLLIN)
        while True:
            for fd, _ in self.epoll.poll(0.05, len(self.clients) + 1):
                if fd == self.pipe.fileno():
                    if not self.command(self.pipe.recv()):
                        return
                else:
                    self.readable(fd)
            self.maybe_report()

    def readable(self, fd: int) -> None:
        client = self.clients[fd]
        try:
            data, ancillary, _, _ = client.sock.recvmsg(65536, ANCILLARY)
        except BlockingIOError:
            return
        except OSError:
            data, ancillary = b"", []
        read_at = time.time()
        kernel_at = read_at
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", value[:16])
                kernel_at = sec + nsec / 1e9
        if not data:
            self.drop(fd, client.close_code or 1006)
            return
        client.buf += data
        for text in client.messages():
            frame = json.loads(text)
            kind = frame.get("type")
            if kind == "pong":
                self.pongs += 1
            elif kind in ("pause", "resume"):
                pause_id = frame["pause_id"]
                self.arrivals[(kind, pause_id)].append((kernel_at, read_at, client.port))
                if kind == "pause":
                    client.sock.send(self.applied_frame(pause_id))
        if client.close_code is not None:
            self.drop(fd, client.close_code)

    def applied_frame(self, pause_id: str) -> bytes:
        # The same masked bytes for every socket of this process: the server unmasks each frame
        # alike, and this keeps the client's cost per answer to one send().
        if pause_id not in self.applied:
            applied = {"type": "pause_applied", "pause_id": pause_id}
            self.applied[pause_id] = client_frame(0x1, json.dumps(applied).encode())
        return self.applied[pause_id]

    def drop(self, fd: int, code: int) -> None:
        client = self.clients.pop(fd)
        self.epoll.unregister(fd)
        client.sock.close()
        self.closed[str(code)] += 1

    def command(self, message: tuple) -> bool:
        if message[0] == "stop":
            for fd in list(self.clients):
                client = self.clients.pop(fd)
                client.sock.send(client_frame(0x8, (1000).to_bytes(2, "big")))
                client.sock.close()
            self.pipe.send(("stopped", {}))
            return False
        if message[0] == "ping":
            self.pinged = (self.pongs + len(self.clients), time.monotonic() + message[1])
            self.ping()
            return True
        _, kind, pause_id, timeout = message
        self.report = (kind, pause_id, time.monotonic() + timeout)
        self.maybe_report()
        return True

    def maybe_report(self) -> None:
        if self.pinged is not None:
            wanted, deadline = self.pinged
            if self.pongs >= wanted or time.monotonic() >= deadline:
                self.pinged = None
                self.pipe.send(("pinged", {"missing": max(0, wanted - self.pongs)}))
        if self.report is None:
            return
        kind, pause_id, deadline = self.report
        got = self.arrivals.get((kind, pause_id), [])
        if len(got) < len(self.clients) and time.monotonic() < deadline:
            return
        cpu = cpu_seconds()
        figures = {
            "arrivals": got,
            "live": len(self.clients),
            "closed": dict(self.closed),
            "cpu_s": cpu - self.cpu_mark,
        }
        self.cpu_mark = cpu
        self.report = None
        self.pipe.send(("report", figures))


def _process(pipe, host, targets, options) -> None:
    try:
        Loop(pipe, host, targets, options).run()
    except Exception:
        pipe.send(("error", traceback.format_exc()))


class Fleet:
    """Client processes holding `targets` (backend port, device token) between them."""

    def __init__(
        self,
        targets: list[tuple[int, str]],
        procs: int = 2,
        deflate: bool = True,
        nice: int = 10,
        ping_every: float = 15.0,
        host: str = "127.0.0.1",
    ):
        context = multiprocessing.get_context("spawn")
        options = {"deflate": deflate, "nice": nice, "ping_every": ping_every}
        self.pipes, self.procs = [], []
        for i in range(procs):
            ours, theirs = context.Pipe()
            proc = context.Process(
                target=_process, args=(theirs, host, targets[i::procs], options), daemon=True
            )
            proc.start()
            self.pipes.append(ours)
            self.procs.append(proc)

    def _answers(self, timeout: float) -> list[dict]:
        out = []
        for pipe in self.pipes:
            if not pipe.poll(timeout):
                raise TimeoutError("a client process did not answer")
            kind, body = pipe.recv()
            if kind == "error":
                raise RuntimeError(f"a client process failed:\n{body}")
            out.append(body)
        return out

    def ready(self, timeout: float = 600) -> dict:
        """Wait until every client is connected and welcomed; return counts and the time taken."""
        answers = self._answers(timeout)
        return {
            "connected": sum(a["connected"] for a in answers),
            "deflate": sum(a["deflate"] for a in answers),
            "connect_s": max(a["connect_s"] for a in answers),
        }

    def collect(self, kind: str, pause_id: str, timeout: float = 10.0) -> dict:
        """Wait until every live client has the `kind` frame of `pause_id` (or `timeout`)."""
        for pipe in self.pipes:
            pipe.send(("report", kind, pause_id, timeout))
        answers = self._answers(timeout + 30)
        closed: collections.Counter = collections.Counter()
        for a in answers:
            closed.update(a["closed"])
        return {
            "arrivals": [a for ans in answers for a in ans["arrivals"]],
            "live": sum(a["live"] for a in answers),
            "closed": dict(closed),
            "cpu_s": sum(a["cpu_s"] for a in answers),
        }

    def ping(self, timeout: float = 60.0) -> int:
        """Ping from every client, wait for every pong; return how many did not come in time.

        Between rounds: the server closes sockets idle for 60 s. Waiting for the pongs means the
        server has handled every ping before the round starts, as real extensions, which ping at
        random moments, never make it handle thousands at once.
        """
        for pipe in self.pipes:
            pipe.send(("ping", timeout))
        return sum(a["missing"] for a in self._answers(timeout + 30))

    def stop(self) -> None:
        for pipe in self.pipes:
            pipe.send(("stop",))
        for pipe in self.pipes:
            if pipe.poll(10):
                pipe.recv()
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
