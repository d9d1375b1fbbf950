"""A file that crashes the parser or never finishes costs that file, never the scan.

libcst's native parser kills its process on a few thousand nested parentheses; the
analysis runs in worker processes, so that file is reported as SL001 and the other
files are still checked. The real crash is provoked here by patching libcst's parser
(the patch reaches the forked workers), which tests the recovery itself, whatever
inputs today's libcst happens to survive.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import libcst
import pytest

from statelint.engine import pool as pool_module
from statelint.engine.pool import Failure, IsolatedPool
from tests.helpers import check_json

LOOPBACK = 'from flask import Flask\napp = Flask(__name__)\napp.run(host="127.0.0.1")\n'
NESTED = "x = " + "(" * 3000 + ")" * 3000 + "\n"
# The same nesting in a file some rule wants to parse (its needles match).
NESTED_SERVER = "from flask import Flask\napp = Flask(__name__)\nx = " + "(" * 3000 + ")" * 3000 + "\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "app.py").write_text(LOOPBACK)
    (tmp_path / "svc" / "zz_last.py").write_text(LOOPBACK)
    return tmp_path


def _rows(run: object) -> list[tuple[str, str, int]]:
    return [(f["path"], f["code"], f["line"]) for f in run.findings]  # type: ignore[attr-defined]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_deeply_nested_parentheses_are_reported_and_the_scan_completes(project: Path, jobs: str) -> None:
    (project / "svc" / "nested.py").write_text(NESTED)
    (project / "svc" / "nested_server.py").write_text(NESTED_SERVER)
    run = check_json("svc", cwd=project, extra=("--jobs", jobs, "--no-cache"))
    assert run.exit_code == 1
    assert _rows(run) == [
        ("svc/app.py", "SL301", 3),
        ("svc/nested.py", "SL001", 1),
        ("svc/nested_server.py", "SL001", 3),
        ("svc/zz_last.py", "SL301", 3),
    ]
    assert all("nested" in f["message"] for f in run.findings if f["code"] == "SL001")
    assert run.stderr == ""


def test_deeply_nested_parentheses_in_a_real_process(project: Path) -> None:
    (project / "svc" / "nested_server.py").write_text(NESTED_SERVER)
    command = [sys.executable, "-m", "statelint", "check", "--output-format", "concise", "svc"]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1
    assert "svc/nested_server.py:3:" in done.stdout and " SL001 " in done.stdout
    assert done.stdout.count(" SL301 ") == 2
    assert "Traceback" not in done.stderr and "Fatal Python error" not in done.stderr
    assert done.stderr == ""


def _crash_on(marker: str, monkeypatch: pytest.MonkeyPatch) -> None:
    original = libcst.parse_module

    def parse(source: str, *args: object, **kwargs: object) -> libcst.Module:
        if marker in source:
            os.kill(os.getpid(), signal.SIGSEGV)  # what a native stack overflow looks like
        return original(source, *args, **kwargs)

    monkeypatch.setattr(libcst, "parse_module", parse)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_worker_killed_by_the_parser_costs_only_its_file(
    project: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    for number in range(40):  # more files than the in-parent shortcut takes, several chunks
        (project / "svc" / f"mod_{number:02}.py").write_text(LOOPBACK if number % 10 == 0 else "VALUE = 1\n")
    (project / "svc" / "killer.py").write_text(LOOPBACK + "# CRASH-ME\n")
    with monkeypatch.context() as patch:
        _crash_on("CRASH-ME", patch)
        run = check_json("svc", cwd=project, extra=("--jobs", jobs))
    assert run.exit_code == 1
    assert run.stderr == ""
    rows = _rows(run)
    assert ("svc/killer.py", "SL001", 1) in rows
    assert [r for r in rows if r[1] == "SL301"] == [
        ("svc/app.py", "SL301", 3),
        *[(f"svc/mod_{n:02}.py", "SL301", 3) for n in (0, 10, 20, 30)],
        ("svc/zz_last.py", "SL301", 3),
    ]
    message = next(f["message"] for f in run.findings if f["path"] == "svc/killer.py")
    assert message.startswith("could not be analysed: the process analysing it crashed (killed by SIGSEGV")
    # A crash is never cached: with a parser that copes, the file is analysed normally.
    again = check_json("svc", cwd=project, extra=("--jobs", jobs))
    assert ("svc/killer.py", "SL301", 3) in _rows(again)
    assert ("svc/killer.py", "SL001", 1) not in _rows(again)


def test_a_crash_in_a_small_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pre-commit passes a few files: the parse still happens in a worker, never in statelint itself."""
    (project / "svc" / "killer.py").write_text(LOOPBACK + "# CRASH-ME\n")
    _crash_on("CRASH-ME", monkeypatch)
    run = check_json("svc/app.py", "svc/killer.py", cwd=project, extra=("--no-cache",))
    assert (run.exit_code, run.stderr) == (1, "")
    assert _rows(run) == [("svc/app.py", "SL301", 3), ("svc/killer.py", "SL001", 1)]


def test_a_crash_with_sl001_deselected_still_completes(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "svc" / "killer.py").write_text(LOOPBACK + "# CRASH-ME\n")
    _crash_on("CRASH-ME", monkeypatch)
    run = check_json("svc", cwd=project, select="SL301", extra=("--no-cache",))
    assert (run.exit_code, run.stderr) == (1, "")
    assert _rows(run) == [("svc/app.py", "SL301", 3), ("svc/zz_last.py", "SL301", 3)]


def _hang_on(marker: str, monkeypatch: pytest.MonkeyPatch) -> None:
    original = libcst.parse_module

    def parse(source: str, *args: object, **kwargs: object) -> libcst.Module:
        if marker in source:
            time.sleep(120)
        return original(source, *args, **kwargs)

    monkeypatch.setattr(libcst, "parse_module", parse)


def test_a_file_over_the_time_limit_is_reported_not_waited_for(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "svc" / "slow.py").write_text(LOOPBACK + "# SLOW-ME\n")
    _hang_on("SLOW-ME", monkeypatch)
    started = time.monotonic()
    run = check_json("svc", cwd=project, extra=("--file-timeout", "1", "--jobs", "2"))
    assert time.monotonic() - started < 100  # not the two minutes the file would take
    assert (run.exit_code, run.stderr) == (1, "")
    assert _rows(run) == [("svc/app.py", "SL301", 3), ("svc/slow.py", "SL001", 1), ("svc/zz_last.py", "SL301", 3)]
    [finding] = [f for f in run.findings if f["code"] == "SL001"]
    assert finding["message"] == "could not be analysed: it took longer than 1 s (the per-file time limit)"
    assert "--file-timeout" in finding["hint"]


def test_time_limit_from_the_configuration(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / ".statelint.yaml").write_text("file-timeout: 1\n")
    (project / "svc" / "slow.py").write_text(LOOPBACK + "# SLOW-ME\n")
    _hang_on("SLOW-ME", monkeypatch)
    run = check_json("svc/slow.py", "svc/app.py", cwd=project)
    assert _rows(run) == [("svc/app.py", "SL301", 3), ("svc/slow.py", "SL001", 1)]


@pytest.mark.parametrize("value", ["-1", "soon", "true", "[1]"])
def test_invalid_time_limit_in_the_configuration(project: Path, value: str) -> None:
    (project / ".statelint.yaml").write_text(f"file-timeout: {value}\n")
    run = check_json("svc", cwd=project)
    assert run.exit_code == 2
    assert "file-timeout: expected a number of seconds" in run.stderr


def test_zero_means_no_time_limit(project: Path) -> None:
    run = check_json("svc", cwd=project, extra=("--file-timeout", "0"))
    assert run.triples == [("SL301", 3, 14), ("SL301", 3, 14)]


# -- the pool on its own ---------------------------------------------------------------------------


def _handler(tag: str):  # type: ignore[no-untyped-def]
    def handle(task: str) -> tuple[str, str]:
        if task == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        if task == "exit":
            os._exit(3)
        if task == "hang":
            time.sleep(120)
        if task == "raise":
            raise ValueError("bad task")
        return tag, task

    return handle


def test_pool_recovers_from_crashes_overruns_and_errors() -> None:
    tasks = ["a", "crash", "b", "hang", "c", "raise", "exit", *[f"x{n}" for n in range(12)]]
    results: dict[int, object] = {}
    pool = IsolatedPool(2, _handler, ("T",), timeout=1.0)
    pool.run(tasks, [[0, 1, 2, 3], [4, 5, 6], list(range(7, len(tasks)))], results.__setitem__)
    assert sorted(results) == list(range(len(tasks)))
    assert results[1] == Failure("crashed", "killed by SIGSEGV")
    assert results[3] == Failure("timeout", "took longer than 1 s")
    assert results[5] == ("error", "ValueError: bad task")
    assert results[6] == Failure("crashed", "exited with code 3")
    assert all(results[i] == ("T", tasks[i]) for i in (0, 2, 4, *range(7, len(tasks))))
    assert pool.workers == []


def test_pool_retries_a_suspect_alone_before_blaming_it() -> None:
    """A worker that dies for another reason (here: on its second task only) does not condemn the task."""
    marker = {"count": 0}

    def factory():  # type: ignore[no-untyped-def]
        def handle(task: int) -> int:
            marker["count"] += 1  # per process: fresh workers start again at zero
            if marker["count"] == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            return task * 10

        return handle

    results: dict[int, object] = {}
    IsolatedPool(1, factory, timeout=None).run([1, 2, 3], [[0, 1, 2]], results.__setitem__)
    assert results == {0: 10, 1: 20, 2: 30}


def test_pool_with_spawned_workers(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where fork is not used (macOS, Windows), workers build their own plan from the settings."""
    import multiprocessing

    monkeypatch.setattr(pool_module, "context", lambda: multiprocessing.get_context("spawn"))
    for number in range(40):
        (project / "svc" / f"mod_{number:02}.py").write_text("VALUE = 1\n")
    run = check_json("svc", cwd=project, extra=("--no-cache", "--jobs", "2"))
    assert (run.exit_code, run.stderr) == (1, "")
    assert run.triples == [("SL301", 3, 14), ("SL301", 3, 14)]


def test_pool_replaces_workers_that_grew_too_large() -> None:
    """A worker over the memory limit retires between chunks; nothing is lost or blamed."""
    results: dict[int, object] = {}
    pool = IsolatedPool(2, _handler, ("T",), timeout=None, retire_mb=0.001)  # every worker is "too large"
    chunks = [[i, i + 1] for i in range(0, 10, 2)]
    pool.run([f"x{n}" for n in range(10)], chunks, results.__setitem__)
    assert results == {n: ("T", f"x{n}") for n in range(10)}
    assert pool.started >= len(chunks)  # a fresh worker per chunk
    assert pool.workers == []
