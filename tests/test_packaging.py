"""What each audience installs: built wheels, installed into clean virtual environments."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from intercom_phone_switch_generated.registry import MODULES

ROOT = Path(__file__).resolve().parent.parent

#: What the issue of a light core allows: distributions and bytes of site-packages,
#: pip and setuptools not counted.
CORE_MAX_DISTRIBUTIONS = 13
CORE_MAX_BYTES = 16 * 1024 * 1024
NEVER_IN_CORE = {"starlette", "uvicorn", "httptools", "click", "rich", "pyyaml", "schemathesis"}

#: Lists the distributions of the running environment and the bytes of their files.
INVENTORY = r"""
import importlib.metadata, json, pathlib
found = {}
for dist in importlib.metadata.distributions():
    name = dist.metadata["Name"].lower().replace("_", "-")
    size = 0
    for file in dist.files or ():
        path = pathlib.Path(dist.locate_file(file))
        if path.is_file():
            size += path.stat().st_size
    found[name] = size
print(json.dumps(found))
"""


def _build(kind: str, outdir: Path, source: Path = ROOT) -> Path:
    subprocess.run(
        [sys.executable, "-m", "build", f"--{kind}", "--outdir", str(outdir), str(source)],
        check=True,
        capture_output=True,
    )
    pattern = "*.whl" if kind == "wheel" else "*.tar.gz"
    (built,) = outdir.glob(pattern)
    return built


def _venv(where: Path, *requirements: str) -> Path:
    uv = shutil.which("uv")
    python = where / "bin" / "python"
    if uv:
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(where)], check=True)
        if requirements:
            command = [uv, "pip", "install", "-q", "--python", str(python), *requirements]
            subprocess.run(command, check=True)
    else:
        venv.create(where, with_pip=True)
        if requirements:
            command = [str(python), "-m", "pip", "install", "-q", *requirements]
            subprocess.run(command, check=True)
    return python


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, cwd=cwd, check=False
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build("wheel", tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def core(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean virtual environment holding the plain install: the wheel, no extra."""
    return _venv(tmp_path_factory.mktemp("core") / "venv", str(wheel))


def test_the_wheel_holds_the_two_packages_and_no_maintainer_tooling(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"intercom_phone_switch", "intercom_phone_switch_generated"}
    assert not [n for n in names if "codegen" in n or "openapi_python_client" in n]
    assert "intercom_phone_switch/py.typed" in names
    assert "intercom_phone_switch_generated/py.typed" in names
    for module in MODULES.values():
        assert f"intercom_phone_switch_generated/{module}/openapi.json" in names
        assert f"intercom_phone_switch_generated/{module}/provenance.json" in names
    for name in ("index.html", "msgr.html", "app.js", "style.css", "icon.svg"):
        assert f"intercom_phone_switch/fake/static/{name}" in names  # the web outbox
    license_files = [n for n in names if n.endswith("licenses/LICENSE")]
    assert license_files, "the MIT license ships in the wheel"


def test_the_core_install_is_small(core: Path, tmp_path: Path) -> None:
    found = json.loads(_run(core, "-c", INVENTORY, cwd=tmp_path).stdout)
    # What the package pulls in: itself, pip and setuptools are not counted.
    ignored = {"pip", "setuptools", "intercom-phone-switch"}
    if sys.version_info < (3, 11):  # anyio's backport of ExceptionGroup, for 3.10 only
        ignored.add("exceptiongroup")
    counted = {name: size for name, size in found.items() if name not in ignored}
    total = sum(counted.values())
    print(
        f"core install: {len(counted)} distributions, {total / 1024 / 1024:.1f} MiB: "
        + ", ".join(sorted(counted))
    )
    assert not NEVER_IN_CORE & set(counted), "the client needs none of the extras' libraries"
    assert len(counted) <= CORE_MAX_DISTRIBUTIONS
    assert total <= CORE_MAX_BYTES
    assert "phonenumberslite" in counted
    assert "phonenumbers" not in counted


SEND_THROUGH_A_MOCK = r"""
import httpx, intercom_phone_switch
from intercom_phone_switch import PhoneSwitchClient

seen = []
def intercom(request):
    seen.append(request)
    return httpx.Response(200, json={"type": "phone_call_redirect", "url": "http://via.intercom.io/msgr/1"})

http = httpx.Client(transport=httpx.MockTransport(intercom))
with PhoneSwitchClient("token", http_client=http) as client:
    switch = client.create_phone_switch("+353 83 234 5678", {"plan": "pro"})
assert switch.url.endswith("/msgr/1") and switch.phone == "+353832345678"
assert seen[0].url == "https://api.intercom.io/phone_call_redirects"
print(intercom_phone_switch.__file__)
"""


def test_the_core_install_sends_a_phone_switch(core: Path, tmp_path: Path) -> None:
    result = _run(core, "-c", SEND_THROUGH_A_MOCK, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (["-m", "intercom_phone_switch", "--help"], "cli"),
        (["-m", "intercom_phone_switch", "versions"], "cli"),
        (["-c", "import intercom_phone_switch.fake"], "fake"),
        (["-c", "from intercom_phone_switch.fake import FakeIntercom"], "fake"),
        (["-c", "import intercom_phone_switch.contract"], "contract"),
    ],
)
def test_a_missing_extra_says_what_to_install(
    core: Path, tmp_path: Path, args: list[str], extra: str
) -> None:
    result = _run(core, *args, cwd=tmp_path)
    assert result.returncode != 0
    assert f"pip install 'intercom-phone-switch[{extra}]'" in result.stderr
    if args[0] == "-m":  # the command line: one line, usage exit status, no traceback
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_the_console_script_without_the_cli_extra(core: Path, tmp_path: Path) -> None:
    script = core.parent / "intercom-phone-switch"
    result = subprocess.run(
        [str(script), "send", "+353832345678"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "intercom-phone-switch: the command line needs the [cli] extra (click is not "
        "installed): pip install 'intercom-phone-switch[cli]'"
    ]


PLUGIN_TESTS = """
def test_not_using_the_fake():
    assert 1 + 1 == 2


def test_using_the_fake(fake_intercom):
    pass
"""


def test_the_pytest_plugin_without_the_fake_extra(core: Path, tmp_path: Path) -> None:
    uv = shutil.which("uv")
    install = (
        [uv, "pip", "install", "-q", "--python", str(core), "pytest"]
        if uv
        else [str(core), "-m", "pip", "install", "-q", "pytest"]
    )
    subprocess.run(install, check=True)
    (tmp_path / "test_user.py").write_text(PLUGIN_TESTS, encoding="utf-8")
    result = _run(core, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=tmp_path)
    assert "1 passed, 1 error" in result.stdout, result.stdout
    assert (
        "fake_intercom needs the [fake] extra (starlette is not installed): "
        "pip install 'intercom-phone-switch[fake]'" in result.stdout
    )
    assert "Traceback" not in result.stdout


def test_diff_works_from_a_plain_cli_install(wheel: Path, tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv", f"{wheel}[cli]")
    result = _run(
        python, "-m", "intercom_phone_switch", "diff", "2.12", "2.13", "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["breaking"] == 1
    found = json.loads(_run(python, "-c", INVENTORY, cwd=tmp_path).stdout)
    assert {"click", "rich"} <= set(found)
    assert not {"starlette", "uvicorn", "schemathesis", "pyyaml"} & set(found)
    # Help lists every command, those of the other extras with what they need.
    for args in (["--help"], ["-h"], []):
        result = _run(python, "-m", "intercom_phone_switch", *args, cwd=tmp_path)
        assert result.returncode in (0, 2), (args, result.stderr)
        assert "Traceback" not in result.stderr, args
        shown = result.stdout + result.stderr
        assert "send " in shown
        assert "(needs the [fake] extra)" in shown
        assert "(needs the [contract] extra)" in shown
    # The commands of the other extras say, in one line, what to install.
    for command, extra in (
        (["serve", "--port", "0"], "fake"),
        (["demo"], "fake"),
        (["serve", "--help"], "fake"),
        (["contract", "--fake"], "contract"),
    ):
        result = _run(python, "-m", "intercom_phone_switch", *command, cwd=tmp_path)
        assert result.returncode == 2, (command, result.stderr)
        assert "Traceback" not in result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert line.endswith(f"pip install 'intercom-phone-switch[{extra}]'"), line


def _digests(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as archive:
        return {
            name: hashlib.sha256(archive.read(name)).hexdigest()
            for name in archive.namelist()
            if ".dist-info/" not in name
        }


def test_the_sdist_builds_a_wheel_with_the_same_content(wheel: Path, tmp_path: Path) -> None:
    sdist = _build("sdist", tmp_path / "sdist")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    (source,) = (tmp_path / "unpacked").iterdir()
    assert not (source / "codegen").exists()
    assert not (source / "tests").exists()
    rebuilt = _build("wheel", tmp_path / "rebuilt", source)
    assert _digests(rebuilt) == _digests(wheel)


def test_the_long_description_is_the_readme(wheel: Path) -> None:
    """README.md is what the package index shows: the whole of it, as Markdown."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(name).decode("utf-8")
    head, _, body = metadata.partition("\n\n")
    assert "Description-Content-Type: text/markdown" in head.splitlines()
    assert body.strip() == (ROOT / "README.md").read_text(encoding="utf-8").strip()


def test_installs_from_a_git_url_as_the_readme_says(tmp_path: Path) -> None:
    """``pip install "intercom-phone-switch @ git+<url>"``: here the repository's own
    committed state, by a file URL."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    python = _venv(tmp_path / "venv", f"intercom-phone-switch @ git+{ROOT.as_uri()}")
    result = _run(python, "-c", SEND_THROUGH_A_MOCK, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout
