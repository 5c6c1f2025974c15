"""Every workflow a maintainer runs: `nox -l` lists them."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")

nox.needs_version = ">=2025.2.9"
# Interpreters come from this machine, never from a download.
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")


def _interpreter(version: str) -> str:
    """A working ``python<version>``: on PATH, else one that pyenv installed."""
    for candidate in (
        shutil.which(f"python{version}"),
        *sorted(
            glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}"))
        ),
    ):
        if candidate and subprocess.run([candidate, "-c", ""], capture_output=True).returncode == 0:
            return candidate
    return version  # let nox report it missing


nox.options.default_venv_backend = "uv|venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "check_generated", "tests"]


#: The fake server's reference in the benchmarks, from the npm registry.
PRISM = "@stoplight/prism-cli@5"


def _group(name: str) -> list[str]:
    return nox.project.dependency_groups(PYPROJECT, name)


def _install(session: nox.Session, *groups: str, extras: str = "all") -> None:
    session.install("-e", f".[{extras}]", *[req for group in groups for req in _group(group)])


def _install_prism(session: nox.Session) -> None:
    """Stoplight Prism 5 into build/prism, the fake server's reference in the benchmarks
    (and in their tests). Without npm the bench says Prism was not measured."""
    if shutil.which("npm") is None:
        session.warn("npm is missing: Prism is not installed")
        return
    command = ["npm", "install", "--prefix", str(ROOT / "build" / "prism")]
    try:
        session.run(*command, "--no-audit", "--no-fund", "--silent", PRISM, external=True)
    except nox.command.CommandFailed:
        session.warn("Prism could not be installed")


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate generated/ from openapi.yaml, overlays/ and generator-config.yml."""
    _install(session, "generate")
    session.run("python", "-m", "codegen.generate", "--root", str(ROOT))


@nox.session
def check_generated(session: nox.Session) -> None:
    """Fail when the committed generated/ differs from a fresh generation."""
    _install(session, "generate")
    session.run("python", "-m", "codegen.drift", "--root", str(ROOT))


@nox.session
def import_spec(session: nox.Session) -> None:
    """Import an Intercom description, then regenerate: `-- VERSION PATH_OR_URL`."""
    if len(session.posargs) < 2 and "--normalize" not in session.posargs:
        session.error("usage: nox -s import_spec -- VERSION PATH_OR_URL [--check] | --normalize")
    _install(session, "generate")
    session.run("python", "-m", "codegen.import_command", "--root", str(ROOT), *session.posargs)


@nox.session
def spec_diff(session: nox.Session) -> None:
    """What changes for a client between two versions: `-- OLD NEW [--json]`."""
    if len(session.posargs) < 2:
        session.error("usage: nox -s spec_diff -- OLD NEW [--json] [--output FILE]")
    _install(session, extras="cli")
    session.run("intercom-phone-switch", "diff", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and mypy on the handwritten code; the public API's type
    completeness."""
    _install(session, "lint", "generate")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # The source folders are plain path entries (see pyproject.toml): nothing to assemble.
    session.run("mypy")
    # Every public symbol has a declared type: the command fails below a score of 100%.
    # Types of other packages (httpx, starlette, ...) are theirs to complete.
    session.run("basedpyright", "--verifytypes", "intercom_phone_switch", "--ignoreexternal")
    # The direction of dependencies (pyproject.toml's [tool.importlinter]).
    session.run("lint-imports")


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite (pytest); extra arguments go to pytest."""
    _install(session, "test", "generate")
    _install_prism(session)
    env = {}
    if "INTERCOM_OPENAPI_DIR" in os.environ:
        env["INTERCOM_OPENAPI_DIR"] = os.environ["INTERCOM_OPENAPI_DIR"]
    session.run("pytest", *session.posargs, env=env)


@nox.session
def contract(session: nox.Session) -> None:
    """Contract suite against the embedded fake, JUnit report in build/contract/junit.xml.

    With arguments, checks another server instead: `-- --base-url URL [--version V ...]
    [--sms-allowlist +E164,... --max-sms N]`, token from INTERCOM_ACCESS_TOKEN.
    """
    _install(session, "test")
    report = ROOT / "build" / "contract" / "junit.xml"
    if session.posargs:
        session.run(
            "intercom-phone-switch", "contract", "--junit-xml", str(report), *session.posargs
        )
    else:
        session.run("pytest", str(ROOT / "tests" / "contract"), f"--junit-xml={report}")


#: The oldest and the newest supported Python besides the main one (3.11).
OTHER_PYTHONS = ("3.10", "3.13")


@nox.session(python=[_interpreter(version) for version in OTHER_PYTHONS])
def tests_pythons(session: nox.Session) -> None:
    """The suite on the other supported Pythons, less the whole-system tests (real
    servers, many processes, a browser: `nox -s tests` runs those) and, on 3.10, the
    generator (3.11+ only)."""
    groups = ("test",) if session.python == _interpreter("3.10") else ("test", "generate")
    _install(session, *groups)
    marks = "not system" if "generate" in groups else "not system and not generator"
    session.run("pytest", "-m", marks, *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: phone switches for every version against the embedded fake Intercom."""
    _install(session)
    session.run("intercom-phone-switch", "demo")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against the alternatives: prints one table, writes bench/results.json."""
    _install(session, "bench", "generate")  # every extra: the bench serves the fake (cli, fake)
    _install_prism(session)
    session.run("python", "bench/run.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site, built strictly (any warning fails) into build/docs."""
    _install(session, "docs")
    site = ROOT / "build" / "docs"
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--config-file",
        str(ROOT / "mkdocs.yml"),
        "--site-dir",
        str(site),
        env={"NO_MKDOCS_2_WARNING": "1"},
    )
    session.log(f"open {site / 'index.html'}")


@nox.session
def build(session: nox.Session) -> None:
    """Build the sdist and wheel into dist/."""
    session.install("build")
    shutil.rmtree(ROOT / "dist", ignore_errors=True)
    session.run("python", "-m", "build", str(ROOT))
