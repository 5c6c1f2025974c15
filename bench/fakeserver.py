"""The fake server under load, against Stoplight Prism 5 measured in the same run.

``intercom-phone-switch serve`` runs in its own process with a budget no load reaches,
once per HTTP implementation of uvicorn installed (httptools, the default, and h11), and
Prism 5 (``prism mock``, warnings only, from ``build/prism``, where ``nox -s bench``
installs it with npm) serves the same effective spec (the latest version's, as
generated). The same load generator loads each: wrk (2 threads, 10 connections) when it
is installed, else ``bench.loadgen`` (10 keep-alive connections). Every valid request
carries a phone number no request of the run sent before, as a bulk send would. Rounds
take the servers in turn (the order reverses each round), each phase bounded in time
and count: valid requests (200, the SMS goes to the outbox), then, for the fake,
invalid ones (a malformed phone, a landline, a body that breaks the schema: 400 and
422; Prism, which checks no number, gets only the valid ones). Ratios are taken round by
round. Peak memory is each server's VmHWM.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from intercom_phone_switch.spec import effective
from intercom_phone_switch_generated.registry import LATEST_VERSION, PATH

from .loadgen import LoadResult, post, run_load
from .report import Row, Target, spread
from .support import HOST, ROOT, TOKEN, Server, fake_server, free_port, median, process_server

VERSION = LATEST_VERSION
#: The fake against Prism, valid requests, same run: the target and the stretch.
TARGET, STRETCH = 2.0, 3.0
CONNECTIONS = 10
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Intercom-Version": VERSION}
PRISM = "Prism 5"
#: Where ``nox -s bench`` installs Prism (npm install --prefix build/prism ...).
PRISM_FOLDER = ROOT / "build" / "prism"
#: Phones are +35383 and 7 digits, cut into disjoint slices, one per load phase and wrk
#: thread, so no number goes out twice in a run.
SLICES = 64
SLICE = 10**7 // SLICES
#: The most requests one phase of the Python load generator sends.
MAX_REQUESTS = 60_000


def prism_command() -> list[str] | None:
    """Prism from ``build/prism``, else a ``prism`` on PATH; None when neither exists."""
    local = PRISM_FOLDER / "node_modules" / ".bin" / "prism"
    if local.exists():
        return [str(local)]
    found = shutil.which("prism")
    return [found] if found else None


def prism_version(command: list[str]) -> str:
    done = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60)
    return done.stdout.strip()


def effective_spec(version: str = VERSION) -> Path:
    """The effective spec the generated package of ``version`` was made from."""
    from intercom_phone_switch_generated.registry import MODULES

    module: str = MODULES[version]
    return ROOT / "generated" / "intercom_phone_switch_generated" / module / "openapi.json"


#: The served version's names of the request's fields (a new version may rename them).
PHONE = effective(VERSION).request_field("phone")
ATTRIBUTES = effective(VERSION).request_field("custom_attributes")


def valid_body(number: int) -> bytes:
    """A valid request for Irish mobile number ``number`` (0 to 9,999,999)."""
    body = {PHONE: f"+35383{number % 10**7:07d}", ATTRIBUTES: {"order": number}}
    return json.dumps(body).encode()


def valid_bodies(count: int = 200, first: int = 0) -> list[bytes]:
    return [valid_body(first + index) for index in range(count)]


def invalid_bodies() -> list[bytes]:
    return [
        json.dumps({PHONE: "+4412345"}).encode(),  # 400 invalid_phone_number
        json.dumps({PHONE: "+40241100100"}).encode(),  # 422 landline_phone
        json.dumps({PHONE: "+353832345678", ATTRIBUTES: "x"}).encode(),  # 400
    ]


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process, where /proc has it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: wrk: each thread numbers its requests from the first phone of its own slice.
WRK_DISTINCT = """
local threads = 0
function setup(thread)
  thread:set("first", %d + threads * %d)
  threads = threads + 1
end
local sent = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
wrk.headers["Intercom-Version"] = "%s"
request = function()
  local number = first + sent %% %d
  sent = sent + 1
  local body = string.format(
    '{"%s": "+35383%%07d", "%s": {"order": %%d}}', number, number)
  return wrk.format(nil, nil, nil, body)
end
"""

WRK_CYCLE = """
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


def wrk_script(first: int | None, bodies: list[bytes]) -> str:
    """Distinct valid requests from slice ``first`` on (two threads, two slices), or
    ``bodies`` in turn when ``first`` is None."""
    if first is None:
        return WRK_CYCLE % (", ".join(lua_string(body) for body in bodies), TOKEN, VERSION)
    return WRK_DISTINCT % (first * SLICE, SLICE, TOKEN, VERSION, SLICE, PHONE, ATTRIBUTES)


def wrk_load(wrk: str, server: Server, script: str, seconds: float) -> LoadResult:
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


class Slices:
    """Hands out the number slices of a run, two at a time (one per wrk thread)."""

    def __init__(self) -> None:
        self.next = 0

    def take(self) -> int:
        first, self.next = self.next, self.next + 2
        if self.next > SLICES:
            raise RuntimeError("more load phases than number slices")
        return first


def phase(
    server: Server, valid: bool, seconds: float, wrk: str | None, slices: Slices
) -> dict[str, Any]:
    first = slices.take() if valid else None
    cpu_before = cpu_seconds(server.process.pid)
    if wrk is not None:
        result = wrk_load(wrk, server, wrk_script(first, invalid_bodies()), seconds)
    else:
        whole = valid_bodies(MAX_REQUESTS, first * SLICE) if first is not None else None
        bodies = invalid_bodies() if whole is None else whole
        requests = [post(HOST, server.port, PATH, body, HEADERS) for body in bodies]
        result = run_load(
            HOST,
            server.port,
            requests,
            connections=CONNECTIONS,
            seconds=seconds,
            max_requests=MAX_REQUESTS,
        )
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


@contextlib.contextmanager
def prism_server(command: list[str]) -> Iterator[Server]:
    port = free_port()
    arguments = ["mock", "-h", HOST, "-p", str(port), "-v", "warn", str(effective_spec())]
    with process_server([*command, *arguments], port, startup=90, what=PRISM) as server:
        yield server


def run(
    seconds: float = 3.0, warmup: float = 1.0, rounds: int = 3, generator: str = "auto"
) -> list[Row]:
    """``generator``: "wrk", "python", or "auto" (wrk when installed).

    Every HTTP implementation installed is measured; the target judges the one ``serve``
    picks by default (httptools), the others are shown for information.
    """
    wrk = None if generator == "python" else shutil.which("wrk")
    if generator == "wrk" and wrk is None:
        raise RuntimeError("wrk is not installed")
    load = f"wrk -t2 -c{CONNECTIONS}" if wrk else f"python loop, {CONNECTIONS} connections"
    prism = prism_command()
    servers: dict[str, Callable[[], contextlib.AbstractContextManager[Server]]] = {
        http: (lambda http=http: fake_server("--rate-limit", "1000000000", "--http", http))  # type: ignore[misc]
        for http in implementations()
    }
    problems: dict[str, str] = {}
    if prism is None:
        problems[PRISM] = "not measured: Prism is not installed (npm missing?)"
    else:
        servers[PRISM] = lambda: prism_server(prism)
    slices = Slices()
    figures: dict[str, dict[str, list[dict[str, Any]]]] = {
        name: {"valid": [], "invalid": []} for name in servers
    }
    peaks: dict[str, int | None] = {}
    outbox: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        running: dict[str, Server] = {}
        for name, start in servers.items():
            try:
                running[name] = stack.enter_context(start())
            except Exception as error:  # a server that cannot start is reported, not fatal
                problems[name] = f"not measured: {error}"
        for server in running.values():  # untimed
            phase(server, True, warmup, wrk, slices)
        for index in range(rounds):
            for name in list(running)[:: 1 if index % 2 == 0 else -1]:
                server = running[name]
                figures[name]["valid"].append(phase(server, True, seconds, wrk, slices))
                if name != PRISM:
                    figures[name]["invalid"].append(phase(server, False, seconds, wrk, slices))
        for name, server in running.items():
            peaks[name] = server.peak_rss_kib()
            if name != PRISM:
                answer = httpx.get(server.base_url + "/__fake__/outbox").json()
                outbox[name] = answer["total"]
    details = {
        "load_generator": load,
        "rounds": rounds,
        "seconds_per_phase": seconds,
        # uvicorn runs the served fake on uvloop when it imports (the [fake] extra).
        "event_loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
    }
    if prism is not None:
        details["prism"] = prism_version(prism)
    return rows(figures, peaks, outbox, problems, load, details)


def rows(
    figures: dict[str, dict[str, list[dict[str, Any]]]],
    peaks: dict[str, int | None],
    outbox: dict[str, int],
    problems: dict[str, str],
    load: str,
    details: dict[str, Any],
) -> list[Row]:
    section = "fake server (loopback)"
    prism_rates = [f["per_second"] for f in figures.get(PRISM, {}).get("valid", [])]
    out = [
        Row(
            section,
            f"{PRISM}, valid requests ({load})",
            median(prism_rates) if prism_rates else None,
            "req/s",
            spread=spread(prism_rates),
            note=problems.get(PRISM, "informative: the reference, `prism mock -v warn`"),
            details={**details, "phases": figures.get(PRISM, {}).get("valid", [])},
        )
    ]
    fakes = [name for name in figures if name != PRISM]
    for index, http in enumerate(fakes):
        judged = index == 0
        for kind in ("valid", "invalid"):
            found = figures[http][kind]
            rates = [f["per_second"] for f in found]
            notes = [] if judged else [f"informative: serve --http {http}"]
            busy = [f["server_cpu_busy"] for f in found if f["server_cpu_busy"] is not None]
            if busy:
                notes.append(f"server process busy {median(busy):.0%} of one CPU")
            if any(not expected(f["statuses"], kind == "valid") for f in found):
                notes.append(f"unexpected answers: {[f['statuses'] for f in found]}")
            errors = sum(f["connection_errors"] for f in found)
            if errors:
                notes.append(f"{errors} connection errors")
            if http in problems:
                notes.append(problems[http])
            row = Row(
                section,
                f"{kind} requests, {http} ({load})",
                median(rates) if rates else None,
                "req/s",
                spread=spread(rates),
                note="; ".join(notes),
                details={**details, "http": http, "phases": found},
            )
            if kind == "valid":
                ratios = [a / b for a, b in zip(rates, prism_rates, strict=False) if b]
                row.reference = f"{PRISM}, valid requests, same run"
                row.ratio = median(ratios) if ratios else None
                row.ratio_spread = spread(ratios)
                row.target = Target(">=", TARGET) if judged else None
                if judged and row.ratio is not None:
                    stretch = "met" if row.ratio >= STRETCH else "not met"
                    notes.append(f"stretch {STRETCH:g}x {stretch}")
                    row.note = "; ".join(notes)
                row.details["outbox_total"] = outbox.get(http)
            out.append(row)
    for name in figures:
        peak = peaks.get(name)
        label = name if name == PRISM else f"fake, {name}"
        out.append(
            Row(
                section,
                f"peak memory, {label}",
                None if peak is None else peak / 1024,
                "MiB",
                note="" if peak is not None else problems.get(name, "no /proc on this platform"),
            )
        )
    return out
