"""A loopback HTTP/1.1 server that misbehaves on purpose, one scripted answer per request."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
from collections.abc import AsyncIterator, Sequence

OK_BODY = json.dumps({"type": "phone_call_redirect", "url": "http://via.intercom.io/msgr/t"})


def answer(status: int, body: bytes, *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


OK = answer(200, OK_BODY.encode(), "Content-Type: application/json", "X-Request-Id: r1")


class ScriptedServer:
    """Each request is read in full, then the next step of ``script`` decides:

    "ok" (a 200), "drop" (close without answering), "hang" (never answer), "big"
    (announce 2 MiB), "chunked_big" (2 MiB, chunked), "gzip" (a gzip-encoded 200),
    "cookie" (a 200 that sets a cookie), "close" (a 200 saying ``Connection: close``, then
    closing), "idle_close" (a 200, then closing the connection 0.1 s later, while idle).
    The last step repeats. ``requests`` counts the requests read completely.
    """

    def __init__(self, script: Sequence[str]) -> None:
        self.script = list(script)
        self.requests = 0
        self.connections = 0
        self.port = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                step = self.script[min(self.requests, len(self.script) - 1)]
                self.requests += 1
                if step == "drop":
                    return
                if step == "hang":
                    await asyncio.sleep(3600)
                if step == "big":  # announces 2 MiB, sends a little, then waits
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2097152\r\n\r\nxx")
                    await writer.drain()
                    await asyncio.sleep(3600)
                if step == "chunked_big":
                    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                    for _ in range(32):
                        writer.write(b"10000\r\n" + b"x" * 0x10000 + b"\r\n")
                        await writer.drain()
                    writer.write(b"0\r\n\r\n")
                elif step == "close":
                    writer.write(answer(200, OK_BODY.encode(), "Connection: close"))
                    await writer.drain()
                    return
                elif step == "idle_close":
                    writer.write(OK)
                    await writer.drain()
                    await asyncio.sleep(0.1)
                    return
                elif step == "cookie":
                    writer.write(answer(200, b"{}", "Set-Cookie: session=abc; Path=/"))
                elif step == "gzip":
                    body = gzip.compress(OK_BODY.encode())
                    writer.write(answer(200, body, "Content-Encoding: gzip"))
                else:
                    writer.write(OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ScriptedServer]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            server.close()
            for task in asyncio.all_tasks():  # the handlers of hanging steps
                if task is not asyncio.current_task() and "_handle" in repr(task.get_coro()):
                    task.cancel()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
