"""Timing helpers and the fake Intercom as a subprocess on loopback."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TOKEN = "bench-token"


def environment() -> dict[str, str]:
    """This process's environment, but free to write bytecode caches, as a user's Python
    is: timed child interpreters then import from caches, not from source."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, timeout: float, process: subprocess.Popen[bytes], what: str = "the fake server"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {HOST}:{port} within {timeout} s")


def cli_command() -> list[str]:
    """The console script installed next to this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "intercom-phone-switch"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("intercom-phone-switch")
    if found is None:
        raise RuntimeError("the intercom-phone-switch console script is not installed")
    return [found]


def peak_rss_kib(pid: int) -> int | None:
    """The process's peak resident set size (VmHWM) in KiB, where /proc has it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def peak_rss_kib(self) -> int | None:
        return peak_rss_kib(self.process.pid)


@contextlib.contextmanager
def process_server(
    command: Sequence[str],
    port: int,
    *,
    startup: float = 20.0,
    what: str = "server",
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Run ``command`` (a server listening on ``port``); interrupt it on exit."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        try:
            try:
                wait_for_port(port, startup, process)
            except RuntimeError as exc:
                process.kill()
                process.wait(timeout=5)
                log.seek(0)
                tail = log.read().decode(errors="replace").strip().splitlines()[-5:]
                raise RuntimeError(f"{what}: {exc}: {' | '.join(tail)}") from None
            yield Server(port, process)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)


@contextlib.contextmanager
def fake_server(*extra: str, token: str = TOKEN, startup: float = 20.0) -> Iterator[Server]:
    """Run ``intercom-phone-switch serve`` on a free loopback port; stop it on exit."""
    port = free_port()
    command = [*cli_command(), "serve", "--port", str(port), "--token", token, *extra]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with process_server(command, port, startup=startup, what="the fake server", env=env) as s:
        yield s


@contextlib.contextmanager
def redis_server(startup: float = 15.0) -> Iterator[str]:
    """Run the OS's ``redis-server`` on a free loopback port, with nothing saved to disk
    beyond a temporary directory; yield its URL; stop it (by its pid) on exit."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError("redis-server is not installed (the OS package redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="guard-redis-") as directory:
        command = [
            executable,
            *("--bind", HOST, "--port", str(port), "--dir", directory),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
        ]
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            try:
                try:
                    wait_for_port(port, startup, process, "redis-server")
                except RuntimeError as exc:
                    log.seek(0)
                    tail = log.read().decode(errors="replace").strip().splitlines()[-3:]
                    raise RuntimeError(f"{exc}: {' | '.join(tail)}") from None
                yield f"redis://{HOST}:{port}/0"
            finally:
                if process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait(timeout=5)
