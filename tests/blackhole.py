"""A TCP relay the test controls, to cut the network between a client and the backend.

`BlackholeProxy` forwards bytes both ways between clients and an upstream port. `cut()` makes the
network silent: nothing is delivered in either direction, and no FIN or RST is sent to anyone,
so neither end learns anything from the network itself; only its own timeouts tell it. Bytes
written during a cut are held (as TCP keeps retransmitting them) and delivered in order once
`restore()` is called, an end-of-stream included. A connection opened during a cut is accepted
by the local kernel but reaches the upstream only after the restore: its handshake hangs, as
over a dead link.

The relay runs its own asyncio loop on a daemon thread; every method is safe from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

CHUNK = 65536


class BlackholeProxy:
    """Relay 127.0.0.1:<port> to 127.0.0.1:<upstream_port>; `cut()` and `restore()` the link."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.port = 0
        self.accepted = 0  # connections accepted from clients
        self.held_bytes = 0  # bytes that arrived while the link was cut (delivered after)
        self._loop = asyncio.new_event_loop()
        self._flowing: asyncio.Event | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> BlackholeProxy:
        """Listen on a port chosen by the OS; return self once listening."""
        self._thread.start()
        self._call(self._listen())
        return self

    def url(self, path: str = "/ws", scheme: str = "ws") -> str:
        """The proxy's URL for `path`."""
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def cut(self) -> None:
        """Make the link silent both ways, from now until `restore()`."""
        self._call(self._set_flowing(False))

    def restore(self) -> None:
        """Deliver what was held and relay again."""
        self._call(self._set_flowing(True))

    @property
    def is_cut(self) -> bool:
        return self._flowing is not None and not self._flowing.is_set()

    def close(self) -> None:
        """Stop listening, drop every relayed connection and stop the loop."""
        if not self._thread.is_alive():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def _call(self, coro, timeout: float = 10.0):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _listen(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _set_flowing(self, flowing: bool) -> None:
        if flowing:
            self._flowing.set()
        else:
            self._flowing.clear()

    async def _shutdown(self) -> None:
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _relay(self, client_reader, client_writer) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        self.accepted += 1
        upstream_writer = None
        try:
            await self._flowing.wait()  # over a dead link the connection never gets through
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.upstream_port
            )
            async with asyncio.TaskGroup() as both_ways:
                both_ways.create_task(self._pump(client_reader, upstream_writer))
                both_ways.create_task(self._pump(upstream_reader, client_writer))
        except* (ConnectionError, OSError):
            pass  # one end went away with the link up: the other learns it from us, as over TCP
        finally:
            self._tasks.discard(task)
            for writer in (client_writer, upstream_writer):
                if writer is not None:
                    writer.close()

    async def _pump(self, reader, writer) -> None:
        """Copy one direction; while the link is cut, hold each chunk (and stop reading)."""
        while True:
            data = await reader.read(CHUNK)
            if not self._flowing.is_set():
                self.held_bytes += len(data)
                await self._flowing.wait()
            if not data:
                with contextlib.suppress(OSError):
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()
