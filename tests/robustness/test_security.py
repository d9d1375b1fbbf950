"""statelint never runs what it reads, writes only its cache and the report asked for, and
cannot be held forever by one file.

Every payload here creates ``<its own path>.ran`` if anything imports, executes,
unpickles or evaluates it: Python files with code at module level, under
``if __name__ == "__main__"``, in the names import machinery and tools pick up on their
own (``conftest.py``, ``setup.py``, ``sitecustomize.py``, ``__main__.py``, a ``.pth``
file), and configuration files that unsafe loaders execute (a YAML ``!!python`` tag, a
logging ``fileConfig`` INI whose ``args`` it would ``eval``).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.robustness.corpus import (
    BIND,
    GOOD,
    GOOD_ROW,
    NEEDLE,
    rows,
    tree_digest,
    write,
    write_padding,
)
from tests.robustness.test_hostile_sources import scan, statelint_command

RUN = 'open(__file__ + ".ran", "w").close()\n'
PAYLOADS = {
    "app.py": NEEDLE + RUN + BIND + "\n",  # module level, parsed by libcst (SL301 on line 3)
    "plain.py": RUN,  # module level, no needle: only compile() sees it
    "main.py": NEEDLE + 'if __name__ == "__main__":\n    ' + RUN,
    "conftest.py": NEEDLE + RUN,
    "setup.py": "from setuptools import setup\n" + RUN + "setup(name='x')\n",
    "sitecustomize.py": RUN,
    "usercustomize.py": NEEDLE + RUN,
    "__main__.py": RUN,
    "pkg/__init__.py": NEEDLE + RUN,
    "pkg/__main__.py": NEEDLE + RUN,
    "gunicorn.conf.py": 'accesslog = "/tmp/access.log"\n' + RUN,
    "evil.pth": 'import os; open("evil.pth.ran", "w").close()\n',
    "deploy.yaml": (
        "livenessProbe:\n  httpGet:\n    path: /healthz\n"
        "command: !!python/object/apply:os.system ['touch deploy.yaml.ran']\n"
    ),
    "logging.ini": (
        "[loggers]\nkeys=root\n[handlers]\nkeys=file\n[formatters]\nkeys=\n"
        "[logger_root]\nhandlers=file\n[handler_file]\nclass=FileHandler\n"
        "args=(open('logging.ini.ran', 'w'),)\n"
    ),
}
# What the console script's sys.path never holds, but ``python -m statelint`` run in the
# scanned folder does (its first entry is the working directory): modules statelint imports.
SHADOWS = {f"{name}.py": RUN for name in ("click", "yaml", "libcst", "pathspec", "rich", "tomllib")}


def ran(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*.ran"))


@pytest.fixture
def payloads(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    write(project, {"good.py": GOOD.encode(), **{name: text.encode() for name, text in PAYLOADS.items()}})
    return project


def test_payloads_would_run_if_executed(tmp_path: Path) -> None:
    """The payloads are live: executing one does create its marker (so their absence means something)."""
    write(tmp_path, {"plain.py": RUN.encode()})
    subprocess.run([sys.executable, str(tmp_path / "plain.py")], check=True, timeout=60)
    assert ran(tmp_path) == ["plain.py.ran"]


@pytest.mark.parametrize("mode", ["one-job", "parallel", "warm-cache"])
def test_scanned_code_is_never_run(payloads: Path, tmp_path: Path, mode: str) -> None:
    args = ("--no-cache", "--jobs", "1")
    if mode != "one-job":
        write_padding(payloads)
        args = ("--jobs", "2", "--cache-dir", str(tmp_path / "cache"))
    for _ in range(2 if mode == "warm-cache" else 1):
        run = scan(payloads, *args)
        assert (run.exit_code, run.stderr) == (1, "")
        assert GOOD_ROW in rows(run.findings) and ("app.py", "SL301", 3) in rows(run.findings)
        assert ran(payloads) == []


def test_scanned_code_is_never_run_by_the_console_script(payloads: Path) -> None:
    write(payloads, {name: text.encode() for name, text in SHADOWS.items()})
    done = subprocess.run(
        [*statelint_command(), "check", "--jobs", "2", "--output-format", "concise", "."],
        cwd=payloads,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (1, "")
    assert "app.py:3:23: SL301 " in done.stdout
    assert ran(payloads) == []


def test_python_dash_m_in_the_scanned_folder_imports_nothing_from_it(payloads: Path) -> None:
    write(payloads, {name: text.encode() for name, text in SHADOWS.items()})
    done = subprocess.run(
        [sys.executable, "-m", "statelint", "check", "--output-format", "concise", "."],
        cwd=payloads,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran(payloads) == []
    assert (done.returncode, done.stderr) == (1, "")


# -- nothing written but the cache and the report ---------------------------------------------------


@pytest.mark.parametrize("cache", ["default", "no-cache"])
def test_a_scan_writes_only_its_cache_and_the_report(payloads: Path, tmp_path: Path, cache: str) -> None:
    """Hash every entry of the scanned tree and of a folder links point to, before and after a
    cold and a warm parallel scan that writes a report: only the cache and the report are new."""
    outside = tmp_path / "outside"
    write(outside, {"secret.py": GOOD.encode()})
    (payloads / "escape.py").symlink_to(outside / "secret.py")
    (payloads / "dangling.py").symlink_to("missing.py")
    write_padding(payloads)
    before = tree_digest(tmp_path)
    args = ("--no-cache",) if cache == "no-cache" else ()
    for _ in range(2):
        run = scan(payloads, "--jobs", "2", "-o", "report.json", *args)
        assert (run.exit_code, run.stderr, run.stdout) == (1, "", "")
    after = tree_digest(tmp_path)
    changed = sorted(key for key in before if after.get(key) != before[key])
    new = sorted(key for key in after if key not in before)
    assert changed == []
    assert "project/report.json" in new
    if cache == "no-cache":
        assert new == ["project/report.json"]
    else:
        assert [key for key in new if not key.startswith("project/.statelint_cache")] == ["project/report.json"]
        assert len(new) > 2  # the cache was written


# -- a pathological file is reported, not waited for -----------------------------------------------

# libcst's parser is superlinear in a chain of binary operators: 5,000 terms take about 5 s,
# 10,000 about a minute, 20,000 (80 KB) about five minutes on a 2-core machine.
SLOW = NEEDLE + "x = " + " + ".join(["a"] * 20_000) + "\n"


@pytest.mark.parametrize("where", ["command-line", "config"])
def test_a_file_over_the_time_limit_is_a_finding(tmp_path: Path, where: str) -> None:
    write(tmp_path, {"good.py": GOOD.encode(), "slow.py": SLOW.encode()})
    args: tuple[str, ...] = ("--file-timeout", "1")
    if where == "config":
        write(tmp_path, {"pyproject.toml": b"[tool.statelint]\nfile-timeout = 2\n"})
        write_padding(tmp_path)
        args = ("--jobs", "2")
    started = time.monotonic()
    for _ in range(2 if where == "config" else 1):  # never cached: a second run times out again
        run = scan(tmp_path, *args)
        assert (run.exit_code, run.stderr) == (1, "")
        assert sorted(rows(run.findings)) == [GOOD_ROW, ("slow.py", "SL001", 1)]
        [message] = [f["message"] for f in run.findings if f["path"] == "slow.py"]
        limit = args[1] if where == "command-line" else "2"
        assert message.startswith(f"could not be analysed: it took longer than {limit} s (the per-file time limit")
    assert time.monotonic() - started < 60  # not the minutes libcst would take
