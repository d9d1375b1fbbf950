"""statelint as users install it: the distribution's name, its wheel and the command it installs.

The index's ``statelint`` is another project (a validator for Amazon States Language, with a
``statelint`` command of its own), so the distribution has a name of its own while the command
and the import package stay ``statelint``. The wheel test runs when hatchling, the build
backend, is installed in the test environment; it installs from a wheelhouse made of the
installed distributions, never from the index.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from statelint import __version__
from tests.wheelhouse import Unavailable, build, offline_pip_env, statelint_wheel

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NAME = PROJECT["name"]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LOOPBACK = 'from flask import Flask\napp = Flask(__name__)\napp.run(host="127.0.0.1")\n'


def test_the_distribution_is_not_the_index_statelint() -> None:
    assert re.sub(r"[-_.]+", "-", NAME).lower() != "statelint"
    assert PROJECT["scripts"] == {"statelint": "statelint.cli:main"}
    assert f"{NAME}[test]" in PROJECT["optional-dependencies"]["dev"]


def test_the_readme_installs_the_distribution_this_project_builds() -> None:
    named = re.findall(r'pip install "([A-Za-z0-9_.-]+) @ git\+', README)
    assert len(named) >= 3 and set(named) == {NAME}
    assert re.search(r"pip install https://\S+/archive/refs/tags/v[0-9.]+\.tar\.gz", README)
    assert f"The distribution is named **`{NAME}`**" in README
    assert "**`pip install statelint` installs a different project**" in README


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scripts folder of a fresh virtual environment with statelint's wheel installed offline."""
    if sys.platform == "win32":  # pragma: no cover
        pytest.skip("the virtual environment's layout is POSIX's here")
    folder = tmp_path_factory.mktemp("install")
    try:
        wheel = statelint_wheel(ROOT, folder / "dist")
        wheels = build(folder / "wheels", PROJECT["dependencies"])
    except Unavailable as exc:
        pytest.skip(f"cannot install offline: {exc}")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # This environment's pip installs into the new one (pip >= 22.3): seeding one costs seconds.
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q", str(wheel)]
    subprocess.run(pip, check=True, capture_output=True, env=offline_pip_env(wheels))
    return venv / "bin"


def test_the_wheel_installs_the_statelint_command(installed: Path, tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}  # the installed copy, not this tree

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, check=False, capture_output=True, text=True, cwd=tmp_path, env=env)

    assert run(str(installed / "statelint"), "--version").stdout == f"statelint {__version__}\n"
    where = f"import importlib.metadata as m, statelint; print(m.version({NAME!r}), statelint.__file__)"
    version, module = run(str(installed / "python"), "-c", where).stdout.split()
    assert version == __version__ and Path(module).is_relative_to(installed.parent)
    (tmp_path / "app.py").write_text(LOOPBACK)
    check = run(str(installed / "statelint"), "check", "--no-cache", "--output-format", "json", "app.py")
    assert check.returncode == 1, check.stderr
    assert [(f["code"], f["line"], f["column"]) for f in json.loads(check.stdout)] == [("SL301", 3, 14)]
    snapshot = "import statelint.catalog as c, pathlib; print((pathlib.Path(c.__file__).parent / 'catalog_data' / c.SNAPSHOT).is_file())"
    assert run(str(installed / "python"), "-c", snapshot).stdout == "True\n"  # the build hook's catalog snapshot
