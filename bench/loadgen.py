"""A small HTTP/1.1 load generator: keep-alive connections on raw asyncio streams.

It exists so that the load generator, not the server, is the cheaper side of the
measurement: requests are prepared bytes, and answers are read by ``Content-Length``
without building any response object. Bounded by a duration and a request count.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field


def post(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """The bytes of one keep-alive POST request."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)
    errors: int = 0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def _connection(
    host: str,
    port: int,
    requests: Sequence[bytes],
    offset: int,
    deadline: float,
    remaining: list[int],
    result: LoadResult,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    cycle = itertools.cycle([*requests[offset:], *requests[:offset]])
    try:
        while remaining[0] > 0 and time.perf_counter() < deadline:
            remaining[0] -= 1
            writer.write(next(cycle))
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
                    break
            if length:
                await reader.readexactly(length)
            result.statuses[head[9:12].decode()] += 1
            result.requests += 1
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        result.errors += 1
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def load(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    connections: int = 10,
    seconds: float = 5.0,
    max_requests: int = 200_000,
) -> LoadResult:
    """Send ``requests`` round-robin over ``connections`` until time or count runs out."""
    result = LoadResult()
    remaining = [max_requests]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            _connection(host, port, requests, index % len(requests), deadline, remaining, result)
            for index in range(connections)
        )
    )
    result.seconds = time.perf_counter() - started
    return result


def run_load(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    connections: int = 10,
    seconds: float = 5.0,
    max_requests: int = 200_000,
) -> LoadResult:
    return asyncio.run(
        load(
            host,
            port,
            requests,
            connections=connections,
            seconds=seconds,
            max_requests=max_requests,
        )
    )
