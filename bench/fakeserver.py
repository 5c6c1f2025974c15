"""The fake server under load: requests per second and peak memory, on loopback.

``intercom-phone-switch serve`` runs in its own process with a budget no load reaches,
once per HTTP implementation of uvicorn installed (httptools with the ``server`` extra,
h11 always).
The load comes from wrk (2 threads, 10 connections) when it is installed, else from
``bench.loadgen`` (10 keep-alive connections). Two phases, each bounded in time and
count: valid requests (200, the SMS goes to the outbox) and invalid ones (a malformed
phone, a landline, a body that breaks the schema: 400 and 422). The reference is
Stoplight Prism 5 serving the same spec on the same machine, measured with wrk.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import httpx

from .loadgen import LoadResult, post, run_load
from .report import Row, Target
from .support import HOST, TOKEN, Server, fake_server

PATH = "/phone_call_redirects"
VERSION = "2.16"
#: Stoplight Prism 5 serving the stored spec, wrk -t2 -c10, on this kind of machine.
PRISM_PER_SECOND = 6000.0
CONNECTIONS = 10
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Intercom-Version": VERSION}


def valid_bodies(count: int = 200) -> list[bytes]:
    return [
        json.dumps({"phone": f"+35383{index:07d}", "custom_attributes": {"order": index}}).encode()
        for index in range(count)
    ]


def invalid_bodies() -> list[bytes]:
    return [
        json.dumps({"phone": "+4412345"}).encode(),  # 400 invalid_phone_number
        json.dumps({"phone": "+40241100100"}).encode(),  # 422 landline_phone
        json.dumps({"phone": "+353832345678", "custom_attributes": "x"}).encode(),  # 400
    ]


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process, where /proc has it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


WRK_SCRIPT = """
local bodies = {%s}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
wrk.headers["Intercom-Version"] = "%s"
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
"""


def lua_string(raw: bytes) -> str:
    return '"' + raw.decode().replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_load(wrk: str, server: Server, bodies: list[bytes], seconds: float) -> LoadResult:
    script = WRK_SCRIPT % (", ".join(lua_string(body) for body in bodies), TOKEN, VERSION)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        done = subprocess.run(
            [
                wrk,
                "-t2",
                f"-c{CONNECTIONS}",
                f"-d{max(1, round(seconds))}s",
                "-s",
                handle.name,
                server.base_url + PATH,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        )
    finally:
        Path(handle.name).unlink()
    rate = re.search(r"Requests/sec:\s*([\d.]+)", done.stdout)
    total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", done.stdout)
    if rate is None or total is None:
        raise RuntimeError(f"unexpected wrk output: {done.stdout!r}")
    result = LoadResult(requests=int(total.group(1)))
    result.seconds = result.requests / float(rate.group(1))
    # wrk tells 2xx answers from the others, no more.
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", done.stdout)
    failed = int(non_2xx.group(1)) if non_2xx else 0
    result.statuses.update({"2xx": result.requests - failed, "non-2xx": failed})
    socket_errors = re.search(r"Socket errors:.*", done.stdout)
    result.errors = (
        0 if socket_errors is None else sum(map(int, re.findall(r"\d+", socket_errors[0])))
    )
    return result


def expected(statuses: dict[str, int], valid: bool) -> bool:
    """Whether every answer was a success (valid phase) or a 4xx (invalid phase)."""
    seen = {key for key, count in statuses.items() if count}
    if valid:
        return seen <= {"200", "2xx"}
    return all(key == "non-2xx" or key.startswith("4") for key in seen)


def phase(server: Server, bodies: list[bytes], seconds: float, wrk: str | None) -> dict[str, Any]:
    cpu_before = cpu_seconds(server.process.pid)
    if wrk is not None:
        result = wrk_load(wrk, server, bodies, seconds)
    else:
        requests = [post(HOST, server.port, PATH, body, HEADERS) for body in bodies]
        result = run_load(HOST, server.port, requests, connections=CONNECTIONS, seconds=seconds)
    cpu_after = cpu_seconds(server.process.pid)
    busy = None
    if cpu_before is not None and cpu_after is not None and result.seconds:
        busy = (cpu_after - cpu_before) / result.seconds
    return {
        "per_second": result.per_second,
        "requests": result.requests,
        "seconds": result.seconds,
        "statuses": dict(result.statuses),
        "connection_errors": result.errors,
        "server_cpu_busy": busy,
    }


def implementations() -> list[str]:
    """uvicorn's HTTP implementations the fake can use here, the one ``serve`` picks first."""
    from intercom_phone_switch.fake._server import available_http

    return sorted(available_http(), key=lambda name: name != "httptools")


def load_server(
    http: str, seconds: float, warmup: float, wrk: str | None
) -> tuple[dict[str, Any], dict[str, Any], int | None]:
    """Valid and invalid phases against ``serve --http HTTP``; and its peak memory."""
    with fake_server("--rate-limit", "1000000000", "--http", http) as server:
        phase(server, valid_bodies() + invalid_bodies(), warmup, wrk)
        valid = phase(server, valid_bodies(), seconds, wrk)
        invalid = phase(server, invalid_bodies(), seconds, wrk)
        peak = server.peak_rss_kib()
        valid["outbox_total"] = httpx.get(server.base_url + "/__fake__/outbox").json()["total"]
    return valid, invalid, peak


def run(seconds: float = 4.0, warmup: float = 1.0, generator: str = "auto") -> list[Row]:
    """``generator``: "wrk", "python", or "auto" (wrk when installed).

    Every HTTP implementation installed is measured; the target judges the one ``serve``
    picks by default (httptools when the ``server`` extra is installed), the others are
    shown for information.
    """
    wrk = None if generator == "python" else shutil.which("wrk")
    if generator == "wrk" and wrk is None:
        raise RuntimeError("wrk is not installed")
    generator = f"wrk -t2 -c{CONNECTIONS}" if wrk else f"python loop, {CONNECTIONS} connections"
    section = "fake server (loopback)"
    rows = []
    for index, http in enumerate(implementations()):
        judged = index == 0
        valid, invalid, peak = load_server(http, seconds, warmup, wrk)
        for name, figures in (("valid", valid), ("invalid", invalid)):
            busy = figures["server_cpu_busy"]
            notes = [] if busy is None else [f"server process busy {busy:.0%} of one CPU"]
            if not judged:
                notes.insert(0, f"informative: serve --http {http}")
            if not expected(figures["statuses"], name == "valid"):
                notes.append(f"unexpected answers: {figures['statuses']}")
            if figures["connection_errors"]:
                notes.append(f"{figures['connection_errors']} connection errors")
            rows.append(
                Row(
                    section,
                    f"{name} requests, {http} ({generator})",
                    figures["per_second"],
                    "req/s",
                    reference=f"Prism 5, {PRISM_PER_SECOND:,.0f}/s (wrk -t2 -c10)",
                    ratio=figures["per_second"] / PRISM_PER_SECOND,
                    target=Target(">=", 1.0) if judged else None,
                    note="; ".join(notes),
                    details={**figures, "load_generator": generator, "http": http},
                )
            )
        rows.append(
            Row(
                section,
                f"peak memory, {http}",
                None if peak is None else peak / 1024,
                "MiB",
                note="" if peak is not None else "no /proc on this platform",
            )
        )
    return rows
