"""A built wheel, installed into a clean virtual environment, imports every version."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

from intercom_phone_switch.generated.registry import MODULES

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installs_and_imports_every_version(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("intercom_phone_switch-*.whl")
    env = tmp_path / "venv"
    uv = shutil.which("uv")
    if uv:
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(env)], check=True)
        python = env / "bin" / "python"
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(python), str(wheel)], check=True
        )
    else:
        venv.create(env, with_pip=True)
        python = env / "bin" / "python"
        subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True)
    script = (
        "import importlib, intercom_phone_switch, pathlib\n"
        "from intercom_phone_switch.generated.registry import MODULES\n"
        "for m in MODULES.values():\n"
        "    pkg = importlib.import_module('intercom_phone_switch.generated.' + m)\n"
        "    importlib.import_module(pkg.__name__ + '.api.switch.create_phone_switch')\n"
        "    assert (pathlib.Path(pkg.__file__).parent / 'openapi.yaml').is_file()\n"
        "    assert (pathlib.Path(pkg.__file__).parent / 'provenance.json').is_file()\n"
        "root = pathlib.Path(intercom_phone_switch.__file__).parent\n"
        "assert (root / 'py.typed').is_file()\n"
        "for name in ('index.html', 'msgr.html', 'app.js', 'style.css', 'icon.svg'):\n"
        "    assert (root / 'fake' / 'static' / name).is_file(), name\n"
        "assert 'site-packages' in str(root), root\n"
        "print(len(MODULES))\n"
    )
    result = subprocess.run(
        [str(python), "-c", script], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    assert result.stdout.strip() == str(len(MODULES))
