"""The README's pre-commit snippet works as written: its ``rev`` is this version's release tag, and
pre-commit installs the hook from a clone of this repository and runs it on staged files.

The ``try-repo`` test runs when pre-commit (and hatchling, the build backend pre-commit's
``pip install .`` needs) is installed in the test environment, and never reaches the network:
pip reads no configuration, asks no index, and finds every wheel in a wheelhouse made of the
installed distributions (``tests/wheelhouse.py``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from statelint import __version__
from tests.wheelhouse import Unavailable, build, offline_pip_env

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
TAG = f"v{__version__}"
LOOPBACK = 'from flask import Flask\napp = Flask(__name__)\napp.run(host="127.0.0.1")\n'
CLEAN = 'from flask import Flask\napp = Flask(__name__)\napp.run(host="0.0.0.0")\n'


def snippets() -> list[dict]:
    """Every ``.pre-commit-config.yaml`` snippet of the README."""
    blocks = re.findall(r"```yaml\n(.*?)```", README, flags=re.DOTALL)
    return [data for data in map(yaml.safe_load, blocks) if isinstance(data, dict) and "repos" in data]


def test_every_readme_reference_to_a_release_is_this_version_s_tag() -> None:
    revs = [repo["rev"] for snippet in snippets() for repo in snippet["repos"]]
    pinned = re.findall(r"git\+https://\S+?@(v[^\s\"]+)\"", README) + re.findall(r"/archive/refs/tags/(v[^\s/]+)\.tar\.gz", README)
    assert len(revs) == 2 and len(pinned) >= 4
    assert set(revs) | set(pinned) == {TAG}


def test_the_readme_hooks_are_the_repository_s() -> None:
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    used = {hook["id"] for snippet in snippets() for repo in snippet["repos"] for hook in repo["hooks"]}
    assert used == {"statelint"} and used <= set(hooks)
    assert hooks["statelint"]["language"] == "python"  # installed with pip from the clone: what the wheelhouse serves


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=_clean_env())


def _clean_env() -> dict[str, str]:
    """This environment without what would point git at another repository (a test run from a git
    hook) or Python at this tree (the hook must run the copy pre-commit installs)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("GIT_") and key != "PYTHONPATH"}


@pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None, reason="pre-commit is not installed in the test environment")
def test_pre_commit_try_repo_runs_the_hook_on_staged_files(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of statelint")
    try:
        wheels = build(tmp_path / "wheels", [*PYPROJECT["build-system"]["requires"], *PYPROJECT["project"]["dependencies"]])
    except Unavailable as exc:
        pytest.skip(f"pre-commit could not install the hook offline: {exc}")
    scratch = tmp_path / "scratch"
    (scratch / "svc").mkdir(parents=True)
    (scratch / "svc" / "app.py").write_text(LOOPBACK)
    (scratch / "svc" / "ok.py").write_text(CLEAN)
    (scratch / "svc" / "unstaged.py").write_text(LOOPBACK)
    _git("init", "-q", cwd=scratch)
    _git("add", "svc/app.py", "svc/ok.py", cwd=scratch)
    (hook,) = snippets()[0]["repos"][0]["hooks"]
    env = offline_pip_env(wheels, _clean_env())
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    # try-repo clones ROOT (with its uncommitted changes, if any) and installs the hook from the clone.
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook["id"], "--color", "never"]
    run = subprocess.run(command, cwd=scratch, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    reported = re.findall(r"^(\S+?):(\d+):(\d+): (SL\d+) ", run.stdout, flags=re.M)
    assert reported == [("svc/app.py", "3", "14", "SL301")], run.stdout
