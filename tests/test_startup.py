"""What a pre-commit run imports: the heavy modules stay out of a run that does not need them.

Not a timing test: the import graph is what makes a run on a few changed files
fast or slow, and one careless top-level import would undo it unnoticed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from statelint.catalog import SNAPSHOT, catalog_dir

#: Each costs a pre-commit run several milliseconds, and none is needed for a clean file
#: in a project with no .gitignore and no pyproject.toml. PyYAML reads the catalog only
#: where the wheel's JSON snapshot of it is missing (a source checkout, an editable install).
#: dataclasses stands for the records a run defines: a frozen dataclass costs a millisecond.
HEAVY = {"libcst", "pathspec", "tomllib", "tempfile", "_hashlib", "multiprocessing", "rich", "dataclasses"}
if (catalog_dir() / SNAPSHOT).is_file():
    HEAVY.add("yaml")

PROBE = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))
from statelint.cli import cli  # main() would leave without running atexit handlers
cli(sys.argv[1:], prog_name="statelint")
"""


def imported(cwd: Path, *args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_a_run_on_clean_files_imports_nothing_heavy(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("def handler(request):\n    return {'ok': True}\n")
    (tmp_path / "util.py").write_text("TABLE = {'a': 1}\n\ndef lookup(key):\n    return TABLE.get(key)\n")
    args = ("check", "--force-exclude", "--cache-dir", str(tmp_path / "cache"), "app.py", "util.py")
    imported(tmp_path, *args)  # the first run of a cache lists the rules' needles: it imports every rule
    (tmp_path / "app.py").write_text("def handler(request):\n    return {'ok': False}\n")  # changed: a miss
    modules = imported(tmp_path, *args)
    assert "statelint.engine.runner" in modules  # the probe did run a check
    assert {m for m in modules if m.split(".")[0] in HEAVY} == set()


def test_a_gitignore_or_a_pyproject_brings_in_only_their_parsers(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / ".gitignore").write_text("/build/\n*.py[cod]\n")
    (tmp_path / "pyproject.toml").write_text("[tool.statelint]\nignore = ['SL104']\n")
    args = ("check", "--force-exclude", "--cache-dir", str(tmp_path / "cache"), "app.py")
    imported(tmp_path, *args)
    (tmp_path / "app.py").write_text("x = 2\n")
    modules = imported(tmp_path, *args)
    assert {"pathspec", "tomllib"} <= modules
    brought = {"pathspec", "tomllib", "dataclasses"}  # pathspec defines dataclasses of its own
    assert {m for m in modules if m.split(".")[0] in HEAVY - brought} == set()
