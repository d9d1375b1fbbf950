"""A small run's screening, split between the parent and a forked helper: same results, and
never a lost file when the helper fails."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from statelint.engine import screening
from statelint.model import FileResult, Finding, Severity, Span
from tests.helpers import FIXTURES, run_cli

forking = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper is forked on Linux only")

WEIGHTS = {index: 400 for index in range(8)}  # lines: enough to split
DISPLAYS = {index: f"pkg/m{index}.py" for index in WEIGHTS}


def by_pid(index: int) -> FileResult | None:
    """A result that says which process made it (and None, 'needs a worker', for odd files).

    It takes a little while, as screening a file does: both processes get to take files.
    """
    time.sleep(0.02)
    if index % 4 == 3:
        return None
    result = FileResult(DISPLAYS[index], ran=[str(os.getpid())])
    result.findings.append(Finding("SL301", "m", DISPLAYS[index], Span(index + 1, 1, index + 1, 5), Severity.ERROR))
    result.facts["SL103"] = [{"def": f"pkg.m{index}.TABLE", "kind": "dict"}]
    return result


def screen_all(screen: screening.Screen, jobs: int, weights: dict[int, int] = WEIGHTS) -> dict[int, FileResult | None]:
    """Every index's result, as the runner receives them (each exactly once)."""
    results: dict[int, FileResult | None] = {}

    def done(index: int, result: FileResult | None) -> None:
        assert index not in results
        results[index] = result

    screening.screen_all(list(weights), weights, DISPLAYS, screen, done, jobs)
    return results


@forking
def test_the_helper_screens_about_half_and_its_results_come_back_whole() -> None:
    results = screen_all(by_pid, jobs=2)
    assert sorted(results) == sorted(WEIGHTS)
    assert all((results[i] is None) == (i % 4 == 3) for i in WEIGHTS)
    made_by = {index: result.ran[0] for index, result in results.items() if result is not None}
    assert str(os.getpid()) in made_by.values()
    assert len(set(made_by.values())) == 2  # the parent and one helper
    for index, result in results.items():
        if result is not None:
            expected = by_pid(index)
            assert expected is not None
            expected.ran = result.ran
            assert result == expected  # findings, facts and all, through the pipe


@forking
def test_a_helper_that_fails_costs_time_not_files() -> None:
    parent = os.getpid()

    def fails_in_the_helper(index: int) -> FileResult | None:
        if os.getpid() != parent:
            raise RuntimeError("the helper breaks")
        return by_pid(index)

    results = screen_all(fails_in_the_helper, jobs=2)
    assert sorted(results) == sorted(WEIGHTS)
    assert {r.ran[0] for r in results.values() if r is not None} == {str(parent)}


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the helpers screening forks (the parent's side of each fork records it)."""
    pids: list[int] = []
    fork = os.fork

    def recording_fork() -> int:
        pid = fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(screening.os, "fork", recording_fork)
    return pids


@forking
def test_an_error_in_the_parent_still_waits_for_the_helper(forked: list[int]) -> None:
    parent = os.getpid()

    def fails_in_the_parent(index: int) -> FileResult | None:
        if os.getpid() == parent:
            raise RuntimeError("the parent breaks")
        return by_pid(index)

    with pytest.raises(RuntimeError, match="the parent breaks"):
        screen_all(fails_in_the_parent, jobs=2)
    assert len(forked) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forked[0], os.WNOHANG)  # the helper was waited for: not even a zombie is left


@forking
def test_the_helper_is_reaped_once_its_answers_are_used(forked: list[int]) -> None:
    results = screen_all(by_pid, jobs=2)
    assert len({r.ran[0] for r in results.values() if r is not None}) == 2  # the helper's answers were used
    assert len(forked) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forked[0], os.WNOHANG)  # and it was waited for


@forking
def test_a_malformed_answer_is_screened_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screening, "_encode", lambda result: {"findings": "not a list"} if result else None)
    results = screen_all(by_pid, jobs=2)
    assert {r.ran[0] for r in results.values() if r is not None} == {str(os.getpid())}
    assert all((results[i] is None) == (i % 4 == 3) for i in WEIGHTS)


@pytest.mark.parametrize(("jobs", "weights"), [(1, WEIGHTS), (2, dict.fromkeys(WEIGHTS, 10))])
def test_no_helper_for_one_job_or_little_to_screen(jobs: int, weights: dict[int, int]) -> None:
    results = screen_all(by_pid, jobs, weights)
    assert {r.ran[0] for r in results.values() if r is not None} == {str(os.getpid())}


@forking
def test_the_queue_gives_each_position_to_exactly_one_of_two_readers() -> None:
    queue = screening._Queue.of(200)
    assert queue is not None
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the other reader: reports what it took
        status = 1
        try:
            os.close(read_end)
            os.write(write_end, ",".join(str(p) for p in queue.take()).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    mine = list(queue.take())
    queue.close()
    with os.fdopen(read_end, "rb") as pipe:
        theirs = [int(p) for p in pipe.read().decode().split(",") if p]
    assert os.waitpid(pid, 0)[1] == 0
    assert sorted(mine + theirs) == list(range(200))  # none lost, none taken twice
    assert mine == sorted(mine) and theirs == sorted(theirs)  # each reader takes them in order


def test_the_heaviest_files_are_queued_first() -> None:
    weights = {0: 10, 1: 900, 2: 400, 3: 900}
    taken: list[int] = []
    screening.screen_all(list(weights), weights, DISPLAYS, lambda i: taken.append(i) or None, lambda i, r: None, jobs=1)
    assert taken == [1, 3, 2, 0]


def test_a_pre_commit_run_reports_the_same_with_one_job_or_two(tmp_path: Path) -> None:
    """The changed files as pre-commit passes them: screened by one process, or split with a helper."""
    files = sorted(FIXTURES.rglob("*.py"), key=lambda p: (-p.stat().st_size, p))[:24]
    assert sum(len(p.read_bytes().splitlines()) for p in files) > screening.SPLIT_MIN_LINES
    names = []
    for path in files:
        copy = tmp_path / path.relative_to(FIXTURES)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
        names.append(copy.relative_to(tmp_path).as_posix())
    runs = [
        run_cli("check", "--output-format", "json", "--no-cache", "--force-exclude", "--jobs", jobs, *names, cwd=tmp_path)
        for jobs in ("1", "2")
    ]
    assert runs[0].exit_code == 1, runs[0].stderr  # the fixtures have findings: the comparison means something
    assert '"code"' in runs[0].stdout
    assert (runs[1].exit_code, runs[1].stdout) == (runs[0].exit_code, runs[0].stdout)
