"""Pure helpers of the benchmark parts. Nothing here is timed."""

from __future__ import annotations

import json
from statistics import median

import pytest

from bench.bulk import lost_and_duplicated
from bench.fakeserver import expected, invalid_bodies, lua_string, valid_bodies
from bench.loadgen import post
from bench.pacing import utilisation


def test_utilisation_counts_only_the_complete_windows() -> None:
    # Windows of 2 s holding a budget of 3: [10, 12) partial, [12, 14) and [14, 16)
    # complete, [16, 18) partial.
    times = [11.5, 11.6, 11.7, 12.0, 12.1, 12.2, 14.0, 14.5, 15.9, 16.0]
    assert utilisation(times, budget=3, window=2) == (6 / 6, 2)


def test_utilisation_sees_a_window_left_unused() -> None:
    times = [11.0, 12.0, 12.1, 12.2, 16.5]  # [14, 16) got nothing
    assert utilisation(times, budget=3, window=2) == (3 / 6, 2)


def test_utilisation_needs_a_complete_window() -> None:
    assert utilisation([], budget=3, window=2) == (None, 0)
    assert utilisation([10.0, 12.5], budget=3, window=2) == (None, 0)


def test_load_requests_are_complete_http_messages() -> None:
    body = b'{"phone": "+353830000001"}'
    raw = post("127.0.0.1", 8000, "/phone_call_redirects", body, {"Authorization": "Bearer t"})
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /phone_call_redirects HTTP/1.1\r\n")
    assert f"Content-Length: {len(body)}".encode() in head
    assert b"Authorization: Bearer t" in head
    assert rest == body


def test_load_bodies_are_json_and_distinct() -> None:
    valid = valid_bodies(50)
    assert len({json.loads(body)["phone"] for body in valid}) == 50
    assert all("phone" in json.loads(body) for body in invalid_bodies())


def test_lua_strings_escape_quotes_and_backslashes() -> None:
    assert lua_string(b'{"a": "\\\\"}') == '"{\\"a\\": \\"\\\\\\\\\\"}"'


def test_load_phases_check_the_kind_of_answer() -> None:
    assert expected({"200": 10}, valid=True)
    assert expected({"2xx": 10, "non-2xx": 0}, valid=True)
    assert not expected({"200": 9, "500": 1}, valid=True)
    assert expected({"400": 5, "422": 5}, valid=False)
    assert expected({"2xx": 0, "non-2xx": 10}, valid=False)
    assert not expected({"400": 5, "200": 1}, valid=False)


def test_lost_and_duplicated_sms_are_told_apart() -> None:
    sent = ["+1", "+2", "+3"]
    assert lost_and_duplicated(sent, ["+3", "+1", "+2"]) == (0, 0)
    assert lost_and_duplicated(sent, ["+1", "+2"]) == (1, 0)
    assert lost_and_duplicated(sent, ["+1", "+1", "+2", "+3", "+9"]) == (0, 2)


def test_spreads_are_min_max_and_say_when_there_was_one_run() -> None:
    from bench.report import Row, spread, spread_text

    assert spread([3.0, 1.0, 2.0]) == (1.0, 3.0)
    assert spread([]) is None
    ratio = Row("s", "x", 5.0, "/s", ratio=1.2, ratio_spread=(1.1, 1.31), spread=(4.0, 6.0))
    assert spread_text(ratio) == "1.10-1.31x"
    assert spread_text(Row("s", "x", 5.0, "ms", spread=(4.0, 6.5))) == "4-6.50"
    assert spread_text(Row("s", "x", 5.0, "MiB")) == "one run"
    assert spread_text(Row("s", "x", None, "")) == "-"


def test_wrk_numbers_each_thread_from_a_slice_of_its_own() -> None:
    from bench.fakeserver import SLICE, SLICES, Slices, wrk_script

    slices = Slices()
    first, second = slices.take(), slices.take()
    assert (first, second) == (0, 2)  # two slices per phase: one per wrk thread
    script = wrk_script(second, [])
    assert f'thread:set("first", {2 * SLICE} + threads * {SLICE})' in script
    assert f"first + sent % {SLICE}" in script
    assert "Intercom-Version" in script
    while slices.next < SLICES:
        slices.take()
    with pytest.raises(RuntimeError, match="slices"):
        slices.take()


def test_valid_load_bodies_never_repeat_a_number() -> None:
    from bench.fakeserver import SLICE, valid_bodies

    phones = [json.loads(body)["phone"] for body in valid_bodies(SLICE, SLICE)]
    assert len(set(phones)) == SLICE
    assert phones[0] == f"+35383{SLICE:07d}"


def test_pacing_spread_is_taken_over_the_complete_windows() -> None:
    from bench.pacing import per_window

    times = [11.5, 12.0, 12.1, 12.2, 14.0, 15.9, 16.0]
    assert per_window(times, budget=3, window=2) == [1.0, 2 / 3]


def test_a_missing_prism_is_reported_not_measured_and_never_passes() -> None:
    from bench.fakeserver import PRISM, rows

    phase = {
        "per_second": 900.0,
        "statuses": {"2xx": 10},
        "connection_errors": 0,
        "server_cpu_busy": 0.5,
    }
    figures = {"httptools": {"valid": [phase], "invalid": [phase | {"statuses": {"400": 3}}]}}
    found = rows(figures, {}, {}, {PRISM: "not measured: no npm"}, "python", {})
    judged = [row for row in found if row.target is not None]
    assert [row.verdict for row in judged] == ["not measured"]
    assert "no npm" in found[0].note


def _bulk_run(per_second: float, items: int = 100) -> object:
    from bench.bulk import BulkRun

    return BulkRun(items / per_second, items, cpu_seconds=0.01, connections=8)


def test_bulk_rows_judge_each_facade_against_its_reference() -> None:
    from bench.bulk import FACADE, FACADE_AIOHTTP, RAW_HTTPX, raw_aiohttp_name, rows

    runs = {
        RAW_HTTPX: [_bulk_run(100.0), _bulk_run(110.0)],
        raw_aiohttp_name(16): [_bulk_run(1000.0), _bulk_run(1000.0)],
        raw_aiohttp_name(64): [_bulk_run(900.0), _bulk_run(950.0)],
        FACADE: [_bulk_run(200.0), _bulk_run(200.0)],
        FACADE_AIOHTTP: [_bulk_run(800.0), _bulk_run(600.0)],
    }
    found = {row.subject: row for row in rows(runs, {}, 100, 64)}  # type: ignore[arg-type]
    assert "raw aiohttp, concurrency 16 (its best)" in found
    assert found[FACADE].ratio == pytest.approx(median([2.0, 200 / 110]))
    assert found[FACADE_AIOHTTP].ratio == pytest.approx(0.7)
    assert found[FACADE_AIOHTTP].ratio_spread == pytest.approx((0.6, 0.8))
    assert found[f"{FACADE_AIOHTTP}, against raw httpx"].met is True
    assert found[f"client CPU per item, {FACADE}"].figure == pytest.approx(100.0)
    assert "8" in found[f"client CPU per item, {FACADE}"].reference
    assert found["facade: SMS lost or duplicated"].met is True


def test_the_meter_counts_the_connections_a_client_opens() -> None:
    import asyncio

    import httpx

    from bench.bulk import Meter

    async def run() -> int:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while await reader.readuntil(b"\r\n\r\n"):
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                pass  # the client closed the connection
            finally:
                writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        meter = Meter()
        meter.count_connections()
        async with httpx.AsyncClient() as http:
            for _ in range(3):
                await http.get(f"http://127.0.0.1:{port}/")
            await asyncio.gather(*(http.get(f"http://127.0.0.1:{port}/") for _ in range(2)))
        server.close()
        await server.wait_closed()
        return meter.connections

    assert asyncio.run(run()) == 2  # one reused three times, then a second for the pair


@pytest.mark.generator
def test_the_regeneration_part_runs_the_maintainer_tools_from_a_scratch_folder() -> None:
    # The timed child runs outside the checkout, where codegen/ is not importable unless
    # the part says where it is; a failure would only show as "not measured".
    from bench.regenerate import run

    _, ours = run(rounds=1, cli_rounds=0)
    assert ours.note == ""
    assert ours.figure is not None
    assert ours.figure > 0
