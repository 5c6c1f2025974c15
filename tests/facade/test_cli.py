"""The console script: ``send`` and ``versions``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import httpx
import pytest
from click.testing import CliRunner
from phone_fakes import LANDLINE, MOBILE, TOKEN, FakeIntercom

from intercom_phone_switch.cli import main
from intercom_phone_switch.commands.versions import (
    differences,
    header_values,
    value_types,
    what_differs,
)
from intercom_phone_switch.spec import effective
from intercom_phone_switch_generated.registry import HEADER_VALUES, LATEST_VERSION, VERSIONS


def send(intercom: FakeIntercom, *args: str, token: str | None = TOKEN) -> tuple[int, str, str]:
    http = httpx.Client(transport=httpx.MockTransport(intercom))
    env = {"INTERCOM_ACCESS_TOKEN": token} if token is not None else {"INTERCOM_ACCESS_TOKEN": ""}
    result = CliRunner().invoke(main, ["send", *args], obj={"http_client": http}, env=env)
    http.close()
    return result.exit_code, result.stdout, result.stderr


def test_send_prints_the_messenger_link(intercom: FakeIntercom) -> None:
    code, out, _ = send(intercom, "+353 83 234 5678")
    assert code == 0
    assert "http://via.intercom.io/msgr/1" in out
    assert MOBILE in out
    assert intercom.requests[0].headers["Intercom-Version"] == LATEST_VERSION
    assert intercom.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_send_with_attributes_version_and_region_as_json(intercom: FakeIntercom) -> None:
    code, out, _ = send(
        intercom,
        MOBILE,
        "--attr",
        "plan=pro",
        "--attr",
        "since=2023-03-04",
        "--attr",
        "seats:=3",
        "--attr",
        "paid:=true",
        "--attr",
        "code=0012",
        "--version",
        "2.12",
        "--region",
        "eu",
        "--json",
    )
    assert code == 0
    outcome = json.loads(out)
    assert outcome["url"] == "http://via.intercom.io/msgr/1"
    assert outcome["version"] == "2.12"
    assert outcome["rate_limit"]["remaining"] == 1665
    (request,) = intercom.requests
    assert str(request.url) == "https://api.eu.intercom.io/phone_call_redirects"
    assert json.loads(request.content)["custom_attributes"] == {
        "plan": "pro",
        "since": "2023-03-04",
        "seats": 3,
        "paid": True,
        "code": "0012",
    }


def test_send_token_option_and_base_url(intercom: FakeIntercom) -> None:
    code, _, _ = send(intercom, MOBILE, "--token", "other", "--base-url", "http://localhost:9/x")
    assert code == 0
    assert intercom.requests[0].headers["Authorization"] == "Bearer other"
    assert str(intercom.requests[0].url) == "http://localhost:9/x/phone_call_redirects"


@pytest.mark.parametrize(
    ("args", "code", "error"),
    [
        ((LANDLINE,), 1, "LandlinePhoneNumber"),
        (("+1 555",), 1, "InvalidPhoneNumber"),
        ((MOBILE, "--version", "2.13", "--attr", "n:=1"), 1, "InvalidCustomAttributes"),
    ],
)
def test_send_failures_exit_non_zero(
    intercom: FakeIntercom, args: tuple[str, ...], code: int, error: str
) -> None:
    exit_code, out, err = send(intercom, *args)
    assert exit_code == code
    assert error in err
    assert out == ""
    exit_code, out, _ = send(intercom, *args, "--json")
    assert json.loads(out)["error"] == error


def test_send_delivery_unknown_exits_3(intercom: FakeIntercom) -> None:
    intercom.script.append(httpx.ReadTimeout("timed out"))
    code, _, err = send(intercom, MOBILE)
    assert code == 3
    assert "DeliveryUnknown" in err
    assert len(intercom.requests) == 1


def test_send_without_token_is_a_usage_error(intercom: FakeIntercom) -> None:
    code, _, err = send(intercom, MOBILE, token=None)
    assert code == 2
    assert "--token" in err
    assert "INTERCOM_ACCESS_TOKEN" in err
    assert intercom.requests == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((MOBILE, "--attr", "novalue"), "key=value"),
        ((MOBILE, "--attr", "n:=nope"), "is not JSON"),
        ((MOBILE, "--version", "preview"), "Invalid value for '--intercom-version'"),
        ((MOBILE, "--region", "eu", "--base-url", "http://x"), "not both"),
    ],
)
def test_send_usage_errors(intercom: FakeIntercom, args: tuple[str, ...], message: str) -> None:
    code, _, err = send(intercom, *args)
    assert code == 2
    assert message in err
    assert intercom.requests == []


def test_send_never_prints_the_token(intercom: FakeIntercom) -> None:
    for args in [(MOBILE,), (LANDLINE,), (MOBILE, "--json"), ("bad",)]:
        _, out, err = send(intercom, *args)
        assert TOKEN not in out + err


def test_versions_lists_every_value_and_what_differs() -> None:
    result = CliRunner().invoke(main, ["versions"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for value in HEADER_VALUES:
        assert value in result.stdout
    assert "What differs" in result.stdout
    assert "string, custom object instance list" in result.stdout  # 2.13


def test_what_differs_is_read_from_each_effective_spec() -> None:
    rows = {row[0]: row for row in what_differs()}
    assert list(rows) == list(VERSIONS)
    for version, (_, listed, values, _) in rows.items():
        assert listed == header_values(effective(version).document)
        assert values == ", ".join(value_types(effective(version))) or values == "none"
    assert rows["2.13"][2] == "string, custom object instance list"
    assert rows["2.11"][1] == "1.0-2.11, Preview"
    # Each version is compared with the latest, whichever it is.
    latest = effective(LATEST_VERSION).document
    assert rows[LATEST_VERSION][3] == "(the newest stable version)"
    for version in VERSIONS:
        if version != LATEST_VERSION:
            found = differences(effective(version).document, latest)
            assert rows[version][3] == ("; ".join(found) or "nothing")
    # What 2.7 lacks stays lacking whatever a newer version adds.
    assert {
        "custom_attributes differs",
        "no custom_object_instance",
        "no custom_object_instance_list",
    } <= set(rows["2.7"][3].split("; "))
    assert differences(effective("2.14").document, effective("2.15").document) == []


def test_differences_compares_whole_documents() -> None:
    latest = effective(LATEST_VERSION).document
    changed = {**latest, "servers": []}
    assert differences(changed, latest) == ["servers"]
    assert differences(latest, latest) == []


# -- exit statuses: 0 accepted, 1 not sent, 2 usage, 3 unknown ---------------------------


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html>ok</html>", headers={"Content-Type": "text/html"}),
        httpx.Response(200, json={"type": "x"}),
        httpx.Response(201, json={"type": "phone_call_redirect"}),
        httpx.Response(202, content=b""),
    ],
)
def test_a_2xx_answer_that_cannot_be_read_is_accepted(
    intercom: FakeIntercom, answer: httpx.Response
) -> None:
    """The SMS went out: exit 0 (a loop retrying on failure must not text again)."""
    intercom.script.append(answer)
    code, out, err = send(intercom, MOBILE)
    assert code == 0, err
    assert "warning:" in err
    assert "Do not send it again" in err
    assert "accepted" in out
    assert len(intercom.requests) == 1

    intercom.script.append(answer)
    code, out, err = send(intercom, MOBILE, "--json")
    assert code == 0
    assert json.loads(out)["outcome"] == "accepted"
    assert json.loads(out)["status"] == answer.status_code
    assert "warning:" in err


@pytest.mark.parametrize(
    ("step", "code", "outcome"),
    [
        (None, 0, "accepted"),
        (httpx.Response(422, json={"error_key": "landline_phone"}), 1, "not_sent"),
        (httpx.Response(404, text="no such route"), 1, "not_sent"),
        (httpx.Response(302, headers={"Location": "http://elsewhere"}), 3, "unknown"),
        (httpx.Response(500, text="oops"), 3, "unknown"),
        (httpx.ReadTimeout("timed out"), 3, "unknown"),
    ],
)
def test_each_exit_status_says_what_happened_to_the_sms(
    intercom: FakeIntercom, step: httpx.Response | Exception | None, code: int, outcome: str
) -> None:
    for as_json in ((), ("--json",)):
        if step is not None:
            intercom.script.append(step)
        exit_code, out, err = send(intercom, MOBILE, *as_json)
        assert exit_code == code, err
        if as_json:
            assert json.loads(out)["outcome"] == outcome
    assert len(intercom.requests) == 2


def test_an_error_that_is_no_phone_switch_error_leaves_the_outcome_unknown() -> None:
    from intercom_phone_switch.commands.send import Exit, exit_status
    from intercom_phone_switch.errors import UnexpectedResponse

    assert exit_status(RecursionError()) is Exit.UNKNOWN
    assert exit_status(UnexpectedResponse(status=None)) is Exit.UNKNOWN
    assert exit_status(UnexpectedResponse(status=204)) is Exit.ACCEPTED


def test_send_help_documents_every_exit_status() -> None:
    result = CliRunner().invoke(main, ["send", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for status in ("0 the SMS was accepted", "1 no SMS was sent", "2 usage error", "3 unknown"):
        assert status in text


# -- the token, echoed by a server, is never shown ---------------------------------------

#: Printable ASCII without spaces, with characters that JSON and URLs escape.
ECHOED = 'tok_live_"echo&me\\x/%2F'


def _echo(status: int, **extra: object) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        authorization = request.headers["Authorization"]
        said = f"bad Authorization header {authorization}"
        return httpx.Response(
            status,
            json={
                "type": "error.list",
                "request_id": authorization,
                "errors": [{"code": "unauthorized", "message": said}],
                "error_key": said,
                **extra,
            },
            headers={"X-Request-Id": authorization},
        )

    return answer


@pytest.mark.parametrize("status", [200, 400, 401, 404, 422, 500])
def test_a_token_echoed_by_the_server_never_reaches_the_output(
    intercom: FakeIntercom, status: int
) -> None:
    spellings = [ECHOED, json.dumps(ECHOED)[1:-1], "echo&me"]
    for args in ((MOBILE,), (MOBILE, "--json")):
        intercom.script.append(_echo(status))
        code, out, err = send(intercom, *args, token=ECHOED)
        assert code in (0, 1, 3)
        shown = out + err
        assert "[redacted]" in shown
        for spelling in spellings:
            assert spelling not in shown, (status, args)


def test_the_client_warnings_are_masked_too(intercom: FakeIntercom) -> None:
    intercom.script.append(_echo(503))
    result = CliRunner().invoke(
        main,
        ["send", MOBILE],
        obj={"http_client": httpx.Client(transport=httpx.MockTransport(intercom))},
        env={"INTERCOM_ACCESS_TOKEN": ECHOED},
    )
    assert result.exit_code == 3
    assert "echo&me" not in result.output


# -- --version: the package's, alone; the Intercom-Version, after the command ------------


def test_the_package_version_flag_stands_alone(intercom: FakeIntercom) -> None:
    http = httpx.Client(transport=httpx.MockTransport(intercom))
    runner = CliRunner()
    alone = runner.invoke(main, ["--version"])
    assert alone.exit_code == 0
    assert "version" in alone.output

    for args in (["--version", "2.13", "send", MOBILE], ["--version", "send", MOBILE]):
        result = runner.invoke(main, args, obj={"http_client": http}, env={"COLUMNS": "200"})
        assert result.exit_code == 2, result.output
        assert "--intercom-version" in result.output
    assert intercom.requests == []


@pytest.mark.parametrize("spelling", ["--intercom-version", "--version"])
def test_send_takes_the_intercom_version_after_the_command(
    intercom: FakeIntercom, spelling: str
) -> None:
    code, _, err = send(intercom, MOBILE, spelling, "2.13")
    assert code == 0, err
    assert intercom.requests[0].headers["Intercom-Version"] == "2.13"


# -- nothing a user needs is cut ---------------------------------------------------------

LONG_URL = "http://via.intercom.io/msgr/" + "2fb7c1d0-" * 12 + "end"


@pytest.mark.parametrize("env", [{"COLUMNS": "80"}, {"COLUMNS": "80", "TTY_COMPATIBLE": "1"}])
def test_the_messenger_link_is_printed_whole(intercom: FakeIntercom, env: dict[str, str]) -> None:
    intercom.script.append(
        httpx.Response(200, json={"type": "phone_call_redirect", "url": LONG_URL})
    )
    http = httpx.Client(transport=httpx.MockTransport(intercom))
    result = CliRunner().invoke(
        main,
        ["send", MOBILE],
        obj={"http_client": http},
        env={**env, "INTERCOM_ACCESS_TOKEN": TOKEN},
    )
    assert result.exit_code == 0
    assert f"Messenger link: {LONG_URL}\n" in result.stdout


def test_error_text_is_printed_whole_and_as_it_came(intercom: FakeIntercom) -> None:
    message = "The number [/red] cannot be used: " + "it was tried before and refused " * 5
    intercom.script.append(
        httpx.Response(400, json={"error_key": "parameter_invalid", "message": message})
    )
    http = httpx.Client(transport=httpx.MockTransport(intercom))
    result = CliRunner().invoke(
        main,
        ["send", MOBILE],
        obj={"http_client": http},
        env={"COLUMNS": "80", "INTERCOM_ACCESS_TOKEN": TOKEN},
    )
    assert result.exit_code == 1
    assert message.strip() in result.stderr.replace("\n", "\0").split("\0")[0]


def test_versions_never_cuts_a_cell_when_piped() -> None:
    result = CliRunner().invoke(main, ["versions"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "…" not in result.stdout
    lines = result.stdout.split("What differs")[1].splitlines()
    for version, listed, values, differs in what_differs():
        (row,) = [line for line in lines if line.startswith(f"│ {version} ")]
        assert [cell.strip() for cell in row.split("│")[1:-1]] == [version, listed, values, differs]


def test_versions_folds_cells_in_an_80_column_terminal() -> None:
    env = {"COLUMNS": "80", "TTY_COMPATIBLE": "1", "NO_COLOR": "1"}
    result = CliRunner().invoke(main, ["versions"], env=env)
    assert result.exit_code == 0
    assert "…" not in result.stdout
    lines = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout).splitlines()
    assert max(len(line) for line in lines) <= 80
    start = next(i for i, line in enumerate(lines) if "What differs" in line)
    cells = [line.split("│") for line in lines[start:] if line.startswith("│")]
    column = "".join(cell[4].strip() for cell in cells if len(cell) == 6)
    for _, _, _, differs in what_differs():
        assert differs.replace(" ", "") in column.replace(" ", "")
