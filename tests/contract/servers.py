"""Loopback HTTP servers that misbehave on purpose, for the contract runner's limits.

Each answers every request the same way (``mode``), counts the requests it read and the
body bytes it wrote, and stops each answer once its client is gone or ``MAX_ANSWER_SECONDS``
have passed, so that no thread outlives a test by long.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: The longest any one answer goes on.
MAX_ANSWER_SECONDS = 30.0
UNAUTHORIZED = json.dumps(
    {
        "type": "error.list",
        "request_id": None,
        "errors": [{"code": "unauthorized", "message": "Access Token Invalid"}],
    }
).encode()
BAD_REQUEST = json.dumps(
    {
        "type": "error.list",
        "request_id": None,
        "errors": [{"code": "parameter_invalid", "message": "Invalid parameter"}],
    }
).encode()


class Misbehaving(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.requests = 0
        self.written = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Misbehaving
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        with self.server.lock:
            self.server.requests += 1
        mode = self.server.mode
        if mode in ("unauthorized", "bad_request"):
            status, body = (401, UNAUTHORIZED) if mode == "unauthorized" else (400, BAD_REQUEST)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"x" * (64 * 1024 if mode == "flood" else 1)
        ends = time.monotonic() + MAX_ANSWER_SECONDS
        try:
            while time.monotonic() < ends:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
                with self.server.lock:
                    self.server.written += len(chunk)
                if mode == "trickle":
                    time.sleep(0.2)
        except OSError:  # the client is gone
            pass
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _answer


@contextmanager
def misbehaving(mode: str) -> Iterator[Misbehaving]:
    """A server answering every request as ``mode`` says: "flood" (an endless 200 body,
    as fast as it is read), "trickle" (an endless 200 body, a byte every 0.2 s),
    "unauthorized" (401) or "bad_request" (400, an error list)."""
    server = Misbehaving(mode)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
