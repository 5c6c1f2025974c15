"""No command prints a traceback for any user input: a usage message and exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.import_command import import_spec
from intercom_phone_switch.cli import main
from tests.versions import LATEST, NEXT, PREVIOUS

ROOT = Path(__file__).resolve().parents[2]
MOBILE = "+353832345678"
NOWHERE = "http://127.0.0.1:9"  # nothing is sent to it: every case fails before sending


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    (folder / "binary.yaml").write_bytes(b"\xff\xfe\x00")
    (folder / "broken.yaml").write_text("a: [\n")
    (folder / "list.yaml").write_text("- 1\n")
    (folder / "paths.yaml").write_text("paths: 3\n")
    (folder / "folder.yaml").mkdir()
    (folder / "a-file").write_text("")
    (folder / "empty-root").mkdir()
    return folder


def _cases(files: Path) -> list[list[str]]:
    send = ["send", MOBILE]
    contract = ["contract", "--version", LATEST, "--max-examples", "1"]
    spec = ["import-spec", LATEST]
    check = ["--root", str(ROOT), "--check", "--no-generate"]
    return [
        # send
        [*send, "--base-url", "ftp://x"],
        [*send, "--base-url", "not a url"],
        [*send, "--base-url", "http://[::1"],
        [*send, "--base-url", ""],
        [*send, "--base-url", NOWHERE, "--token", "a b"],
        [*send, "--base-url", NOWHERE, "--token", "tøken"],
        [*send, "--base-url", NOWHERE, "--token", ""],
        [*send, "--base-url", NOWHERE, "--attr", "n:=" + "[" * 100_000],
        [*send, "--base-url", NOWHERE, "--attr", "n:=NaN"],
        [*send, "--base-url", NOWHERE, "--attr", "n:=1e999"],
        [*send, "--base-url", NOWHERE, "--attr", "n:=[-Infinity]"],
        [*send, "--base-url", NOWHERE, "--attr", "n:=" + "9" * 5_000],
        [*send, "--base-url", NOWHERE, "--attr", "=x"],
        [*send, "--base-url", NOWHERE, "--attr", ":=1"],
        [*send, "--base-url", NOWHERE, "--attr", "a=1", "--attr", "a=2"],
        [*send, "--intercom-version", NEXT],
        [*send, "--version"],
        [*send, "--region", "mars"],
        ["send"],
        ["--version", "2.13", "send", MOBILE],
        # versions, demo
        ["versions", "extra"],
        ["demo", "--bogus"],
        # contract
        [*contract, "--base-url", "ftp://x", "--token", "t"],
        [*contract, "--base-url", "", "--token", "t"],
        [*contract, "--base-url", NOWHERE, "--token", "tøken"],
        [*contract, "--fake", "--time-limit", "nan"],
        [*contract, "--fake", "--time-limit", "inf"],
        [*contract, "--fake", "--max-examples", "0"],
        [*contract, "--fake", "--seed", "abc"],
        [*contract, "--fake", "--version", NEXT],
        [*contract, "--fake", "--junit-xml", str(files / "a-file" / "x.xml")],
        [*contract, "--fake", "--junit-xml", str(files / "folder.yaml")],
        # import-spec
        [*spec, str(files / "missing.yaml"), *check],
        [*spec, str(files / "binary.yaml"), *check],
        [*spec, str(files / "broken.yaml"), *check],
        [*spec, str(files / "list.yaml"), *check],
        [*spec, str(files / "paths.yaml"), *check],
        [*spec, str(files / "folder.yaml"), *check],
        [*spec, "ftp://x", *check],
        [*spec, "http://[::1", *check],
        [*spec, str(files / "list.yaml"), "--root", str(files / "empty-root"), "--check"],
        ["import-spec", "--normalize", "--root", str(files / "empty-root"), "--check"],
        ["import-spec", "--root", str(files / "nowhere")],
        # diff
        ["diff", str(files / "binary.yaml"), LATEST, "--root", str(ROOT)],
        ["diff", str(files / "broken.yaml"), LATEST, "--root", str(ROOT)],
        ["diff", str(files / "list.yaml"), LATEST, "--root", str(ROOT)],
        ["diff", str(files / "paths.yaml"), LATEST, "--root", str(ROOT)],
        ["diff", NEXT, LATEST, "--root", str(ROOT)],
        ["diff", PREVIOUS, LATEST, "--root", str(files / "empty-root")],
        ["diff", PREVIOUS, LATEST, "--root", str(ROOT), "--output", str(files / "a-file" / "x")],
    ]


#: ``serve`` with each bad input: each must fail before it listens, so these run in a
#: process of their own, which a regression that starts serving cannot hang.
SERVE = [
    ["serve", "--port", "99999"],
    ["serve", "--port", "abc"],
    ["serve", "--rate-limit-window", "inf"],
    ["serve", "--rate-limit-window", "nan"],
    ["serve", "--rate-limit-window", "0"],
    ["serve", "--fault-probability", "nan"],
    ["serve", "--fault-probability", "2"],
    ["serve", "--outbox-cap", "0"],
    ["serve", "--rate-limit", "1e999"],
    ["serve", "--fault-kind", "bogus"],
    ["serve", "--host", "no such host", "--port", "0"],
]


def test_every_command_answers_bad_input_with_a_usage_message(files: Path) -> None:
    runner = CliRunner()
    wrong = []
    for args in _cases(files):
        # import-spec is a maintainer command (codegen/), not part of the installed CLI.
        command, given = (import_spec, args[1:]) if args[0] == "import-spec" else (main, args)
        env = {"INTERCOM_ACCESS_TOKEN": "t", "COLUMNS": "200"}
        result = runner.invoke(command, given, env=env)
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        if crashed or result.exit_code != 2 or "Traceback" in result.output:
            wrong.append((args[:4], result.exit_code, repr(result.exception)))
        elif "Error" not in result.output:
            wrong.append((args[:4], result.exit_code, "no message"))
    assert wrong == []


SCRIPT = [
    sys.executable,
    "-c",
    'from intercom_phone_switch.cli import main; main(prog_name="intercom-phone-switch")',
]


@pytest.mark.parametrize(
    "args",
    [["send", MOBILE, "--base-url", "ftp://x"], ["--version", "2.13", "send", MOBILE], *SERVE],
)
def test_no_traceback_in_a_real_process(args: list[str]) -> None:
    done = subprocess.run(
        [*SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"INTERCOM_ACCESS_TOKEN": "t", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "Error:" in done.stderr


def test_every_command_documents_its_exit_statuses() -> None:
    runner = CliRunner()
    for command in ("send", "versions", "serve", "demo", "contract", "guard", "diff"):
        result = runner.invoke(main, [command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0
        text = " ".join(result.output.split())
        assert "Exit status: 0 " in text, command
        assert "2 usage error" in text, command
    maintainer = " ".join(runner.invoke(import_spec, ["--help"]).output.split())
    assert "Exit status: 0 " in maintainer
    assert "2 usage error" in maintainer


def test_text_no_stream_can_encode_is_shown_escaped() -> None:
    """A phone read from undecodable argv bytes, echoed in the error, crashes nothing."""
    result = CliRunner().invoke(
        main, ["send", "\udcff\x1b[2J", "--base-url", NOWHERE], env={"INTERCOM_ACCESS_TOKEN": "t"}
    )
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "\\udcff" in result.stderr
    assert "\x1b" not in result.stderr


def test_a_refused_base_url_never_shows_the_token() -> None:
    """The usage message for --base-url masks the token in the URL it repeats, whatever
    order the options came in."""
    token = "tok_live_5eCr3t-4bc.Def_0123456789"
    for url in (f"{NOWHERE}/?t={token}", f"{NOWHERE}/{token}/#x", f"ftp://{token}/"):
        result = CliRunner().invoke(main, ["send", MOBILE, "--base-url", url, "--token", token])
        assert result.exit_code == 2
        assert "--base-url" in result.output
        assert token not in result.output
        assert "[redacted]" in result.output
