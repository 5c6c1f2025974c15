"""Load the fake server over loopback and report requests/s and the server's memory.

    python -m intercom_phone_switch.fake._load --requests 10000 --concurrency 8

Without ``--url`` it starts ``intercom-phone-switch serve`` on a free 127.0.0.1 port
(with a budget the load cannot reach) and stops it afterwards; with ``--url`` and
``--pid`` it loads a server that is already running. Bounded: at most ``--requests``
requests, and nothing is sent after ``--time-limit`` seconds. Exits non-zero when any
request failed, any answer was not 200, or the run was cut short. ``--json`` prints the
report as one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from intercom_phone_switch_generated.registry import HEADER_VALUES, PATH

TOKEN = "load-token"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: Irish mobile numbers: each is valid and textable.
PHONES = tuple(f"+3538310{index:05d}" for index in range(500))


@dataclass
class Report:
    requests: int
    concurrency: int
    completed: int = 0
    ok: int = 0
    seconds: float = 0.0
    requests_per_second: float = 0.0
    latency_ms_p50: float = 0.0
    latency_ms_p99: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    timed_out: bool = False
    server_pid: int | None = None
    rss_kib_start: int | None = None
    rss_kib_end: int | None = None
    rss_kib_peak: int | None = None
    #: CPU time the server process used while loaded, and what that makes per request.
    server_cpu_seconds: float | None = None
    server_cpu_us_per_request: float | None = None
    outbox_total: int | None = None

    @property
    def passed(self) -> bool:
        return not self.timed_out and self.ok == self.requests and not self.errors


def _status_kib(pid: int, key: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def rss_kib(pid: int) -> int | None:
    """Resident set size of a process, from /proc (None where there is no /proc)."""
    return _status_kib(pid, "VmRSS")


def peak_rss_kib(pid: int) -> int | None:
    """Peak resident set size of a process since it started (VmHWM)."""
    return _status_kib(pid, "VmHWM")


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time a process has used, from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bodies() -> list[tuple[dict[str, str], bytes]]:
    """Headers and bodies to cycle through: every accepted version, many phones."""
    versions = list(HEADER_VALUES)
    prepared = []
    for index, phone in enumerate(PHONES):
        version = versions[index % len(versions)]
        body = {"phone": phone, "custom_attributes": {"issue_type": "Billing"}}
        prepared.append(({"Intercom-Version": version}, json.dumps(body).encode()))
    return prepared


async def _worker(
    client: httpx.AsyncClient,
    prepared: Sequence[tuple[dict[str, str], bytes]],
    counter: list[int],
    total: int,
    deadline: float,
    latencies: list[float],
    statuses: Counter[str],
    errors: Counter[str],
) -> None:
    while counter[0] < total:
        if time.monotonic() >= deadline:
            return
        index = counter[0]
        counter[0] += 1
        headers, body = prepared[index % len(prepared)]
        started = time.perf_counter()
        try:
            response = await client.post(PATH, content=body, headers=headers)
        except httpx.HTTPError as error:
            errors[type(error).__name__] += 1
            continue
        latencies.append(time.perf_counter() - started)
        statuses[str(response.status_code)] += 1


async def _sample_rss(pid: int, peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        current = rss_kib(pid)
        if current is not None:
            peak[0] = max(peak[0], current)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)


async def load(
    url: str, pid: int | None, requests: int, concurrency: int, time_limit: float
) -> Report:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load {url}: only loopback servers are loaded")
    report = Report(requests=requests, concurrency=concurrency, server_pid=pid)
    prepared = bodies()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    counter = [0]
    peak = [0]
    stop = asyncio.Event()
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=30.0
    ) as client:
        # Warm up the connections and the server before measuring.
        await asyncio.gather(*(client.get("/__fake__/health") for _ in range(concurrency)))
        cpu_before = None if pid is None else cpu_seconds(pid)
        if pid is not None:
            report.rss_kib_start = rss_kib(pid)
            sampler = asyncio.ensure_future(_sample_rss(pid, peak, stop))
        started = time.monotonic()
        deadline = started + time_limit
        await asyncio.gather(
            *(
                _worker(client, prepared, counter, requests, deadline, latencies, statuses, errors)
                for _ in range(concurrency)
            )
        )
        report.seconds = time.monotonic() - started
        cpu_after = None if pid is None else cpu_seconds(pid)
        if cpu_before is not None and cpu_after is not None:
            report.server_cpu_seconds = round(cpu_after - cpu_before, 3)
        stop.set()
        if pid is not None:
            await sampler
        outbox = await client.get("/__fake__/outbox", params={"limit": "0"})
        report.outbox_total = int(outbox.json()["total"])
    report.completed = sum(statuses.values()) + sum(errors.values())
    report.ok = statuses.get("200", 0)
    report.timed_out = counter[0] < requests
    report.statuses = dict(statuses)
    report.errors = dict(errors)
    report.requests_per_second = report.completed / report.seconds if report.seconds else 0.0
    if report.server_cpu_seconds is not None and report.completed:
        report.server_cpu_us_per_request = report.server_cpu_seconds / report.completed * 1e6
    if latencies:
        ordered = sorted(latencies)
        report.latency_ms_p50 = ordered[len(ordered) // 2] * 1000
        report.latency_ms_p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    if pid is not None:
        report.rss_kib_end = rss_kib(pid)
        hwm = peak_rss_kib(pid)
        report.rss_kib_peak = max(peak[0], hwm or 0) or None
    return report


async def _spawn_and_load(
    requests: int, concurrency: int, time_limit: float, http: str = "auto"
) -> Report:
    script = "import sys; from intercom_phone_switch.cli import main; sys.exit(main())"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--token",
        TOKEN,
        "--rate-limit",
        "1000000000",
        "--http",
        http,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        url = line.decode().strip()
        if not url.startswith("http://"):
            raise SystemExit(f"the fake server did not start (it printed {url!r})")
        return await load(url, process.pid, requests, concurrency, time_limit)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()


def _print(report: Report) -> None:
    print(
        f"{report.completed} of {report.requests} requests in {report.seconds:.2f} s "
        f"with {report.concurrency} connections: {report.requests_per_second:.0f} requests/s"
    )
    print(f"latency p50 {report.latency_ms_p50:.1f} ms, p99 {report.latency_ms_p99:.1f} ms")
    print(f"statuses {report.statuses or {}}, errors {report.errors or {}}")
    if report.server_pid is not None:
        print(
            f"server RSS: {report.rss_kib_start} KiB after warm-up, {report.rss_kib_end} KiB "
            f"at the end, peak {report.rss_kib_peak} KiB; outbox total {report.outbox_total}"
        )
    if report.server_cpu_us_per_request:
        print(
            f"server CPU: {report.server_cpu_seconds:.2f} s, "
            f"{report.server_cpu_us_per_request:.0f} us per request "
            f"(one busy core would serve {1e6 / report.server_cpu_us_per_request:.0f} requests/s)"
        )
    if report.timed_out:
        print("the time limit cut the run short")
    print("PASS" if report.passed else "FAIL")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds")
    parser.add_argument("--url", help="a running fake (loopback only); else one is started")
    parser.add_argument("--pid", type=int, help="the running fake's process id, for its RSS")
    parser.add_argument(
        "--http",
        choices=["auto", "h11", "httptools"],
        default="auto",
        help="the HTTP implementation of the server this script starts",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 1_000_000 or not 1 <= args.concurrency <= 1_000:
        parser.error("requests must lie in 1..1,000,000 and concurrency in 1..1,000")
    if not 0 < args.time_limit <= 3_600:
        parser.error("the time limit lies in (0, 3600] seconds")
    if args.url:
        run = load(args.url, args.pid, args.requests, args.concurrency, args.time_limit)
    else:
        run = _spawn_and_load(args.requests, args.concurrency, args.time_limit, args.http)
    report = asyncio.run(run)
    if args.json:
        print(json.dumps({**asdict(report), "passed": report.passed}))
    else:
        _print(report)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
