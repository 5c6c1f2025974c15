"""httpx transports that call a fake in-process: no socket, no port, no thread races.

httpx's own ``ASGITransport`` is async-only and ignores timeouts. These two add what a
client under test needs: a sync variant (the app runs on a private event loop thread),
read timeouts that behave like a real network (the client gets ``httpx.ReadTimeout``
while the fake carries on with the request, as a real server would), and transport
errors that carry their request. A connection dropped by an injected fault reaches the
client as ``httpx.RemoteProtocolError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

import httpx

#: The client address the app sees for in-process requests.
CLIENT = ("127.0.0.1", 50_000)


class FakeAsyncTransport(httpx.AsyncBaseTransport):
    """An async transport calling an ASGI app (the fake) in the running event loop."""

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app, client=CLIENT)
        self._orphans: set[asyncio.Future[httpx.Response]] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = (request.extensions.get("timeout") or {}).get("read")
        call = asyncio.ensure_future(self._inner.handle_async_request(request))
        try:
            if timeout is None:
                response = await call
            else:
                response = await asyncio.wait_for(asyncio.shield(call), timeout)
        except asyncio.TimeoutError:
            # Like a server whose client gave up, the fake finishes the request anyway.
            self._orphans.add(call)
            call.add_done_callback(self._forget)
            raise httpx.ReadTimeout("The fake did not answer in time.", request=request) from None
        except httpx.RequestError as error:
            _attach(error, request)
            raise
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    def _forget(self, call: asyncio.Future[httpx.Response]) -> None:
        self._orphans.discard(call)
        if not call.cancelled():
            call.exception()  # retrieved: a dropped connection nobody waits for is fine

    async def aclose(self) -> None:
        for call in list(self._orphans):
            call.cancel()
        if self._orphans:
            await asyncio.gather(*self._orphans, return_exceptions=True)


class FakeTransport(httpx.BaseTransport):
    """A sync transport: the app runs on an event loop in a private daemon thread,
    started with the first request and stopped by ``close``."""

    def __init__(self, app: Any) -> None:
        self._async = FakeAsyncTransport(app)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise RuntimeError("the transport is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="fake-intercom-transport", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the body becomes a stream that async code can read too
        loop = self._running_loop()
        future = asyncio.run_coroutine_threadsafe(self._async.handle_async_request(request), loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._async.aclose(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()


def _attach(error: httpx.RequestError, request: httpx.Request) -> None:
    """Give a transport error raised by the app the request it interrupted."""
    try:
        error.request  # noqa: B018 - raises RuntimeError when no request is attached
    except RuntimeError:
        error.request = request
