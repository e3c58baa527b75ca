"""A delaying TCP proxy on loopback: replication delay and network cuts as real knobs.

A standby connects to its primary through a :class:`DelayProxy`. The proxy
runs an asyncio event loop in a background thread and forwards bytes both
ways. Bytes from the primary (the WAL stream) are held for :attr:`delay`
seconds before they go on; bytes from the standby (its acknowledgements)
pass at once. :meth:`pause` holds everything, in both directions, as a cut
link would; :meth:`resume` lets it flow again. :meth:`drop` closes every
connection and throws the held bytes away: WAL that was "in the network"
when the primary died is really lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from typing import Any

__all__ = ["DelayProxy"]

_EOF = b""


class _Pipe:
    """One direction of one connection: a queue of (due time, bytes)."""

    def __init__(
        self, proxy: DelayProxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delayed: bool
    ) -> None:
        self.proxy, self.reader, self.writer, self.delayed = proxy, reader, writer, delayed
        self.queue: deque[tuple[float, bytes]] = deque()
        self.ready = asyncio.Event()

    async def read(self) -> None:
        while True:
            try:
                data = await self.reader.read(65536)
            except (ConnectionError, OSError):
                data = _EOF
            delay = self.proxy.delay if self.delayed else 0.0
            self.queue.append((time.monotonic() + delay, data))
            self.ready.set()
            if not data:
                return

    async def write(self) -> None:
        while True:
            while not self.queue or self.proxy.paused:
                self.ready.clear()
                await self.ready.wait()
            due, data = self.queue[0]
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            self.queue.popleft()
            if not data:
                self.writer.close()
                return
            self.writer.write(data)
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.drain()


class DelayProxy:
    """Forward ``127.0.0.1:port`` to ``127.0.0.1:target``, with a delay and a pause.

    Parameters
    ----------
    target : int
        The port of the server behind the proxy (the primary).
    delay : float
        Seconds to hold each chunk from the server, 0..60.

    Examples
    --------
    >>> DelayProxy(5432, delay=-1)
    Traceback (most recent call last):
    ...
    ValueError: delay must be a number of seconds in 0..60, got -1
    """

    def __init__(self, target: int, delay: float = 0.0) -> None:
        self.target = target
        self.delay = _check_delay(delay)
        self.paused = False
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._conns: set[tuple[_Pipe, _Pipe]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="replnb-proxy", daemon=True)

    def __enter__(self) -> DelayProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> int:
        """Start listening on a free loopback port; that port."""
        self._thread.start()
        self._call(self._listen())
        return self.port

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _accept(self, down_reader: asyncio.StreamReader, down_writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            down_writer.close()
            return
        to_client = _Pipe(self, up_reader, down_writer, delayed=True)
        to_server = _Pipe(self, down_reader, up_writer, delayed=False)
        pair = (to_client, to_server)
        self._conns.add(pair)
        tasks = [asyncio.ensure_future(c) for p in pair for c in (p.read(), p.write())]
        self._tasks.update(tasks)
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.difference_update(tasks)
        self._conns.discard(pair)
        for p in pair:
            p.writer.close()

    def _call(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def set_delay(self, delay: float) -> None:
        """Hold later chunks from the server for ``delay`` seconds."""
        self.delay = _check_delay(delay)

    def pause(self) -> None:
        """Hold every byte, both ways, until :meth:`resume` (a cut link)."""
        self.paused = True

    def resume(self) -> None:
        """Let the held bytes go on."""
        self.paused = False
        self._call(self._wake())

    async def _wake(self) -> None:
        for pair in self._conns:
            for pipe in pair:
                pipe.ready.set()

    def held_bytes(self) -> int:
        """How many bytes the proxy is holding right now."""
        return int(self._call(self._held()))

    async def _held(self) -> int:
        return sum(len(d) for pair in self._conns for p in pair for _, d in p.queue)

    def drop(self) -> int:
        """Close every connection and discard the held bytes; how many were discarded."""
        return int(self._call(self._drop()))

    async def _drop(self) -> int:
        lost = await self._held()
        for task in list(self._tasks):
            task.cancel()
        for pair in list(self._conns):
            for pipe in pair:
                pipe.queue.clear()
                pipe.writer.close()
        await asyncio.sleep(0)
        return lost

    def close(self) -> None:
        """Drop every connection, stop listening and stop the thread."""
        if not self._thread.is_alive():
            self._loop.close()
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10.0)
        self._loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._drop()
        for _ in range(50):
            if not self._tasks:
                break
            await asyncio.sleep(0.01)
        if self._server is not None:
            await self._server.wait_closed()


def _check_delay(delay: Any) -> float:
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= 60:
        raise ValueError(f"delay must be a number of seconds in 0..60, got {delay!r}")
    return float(delay)
