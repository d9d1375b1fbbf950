"""SL505: fire-and-forget asyncio tasks and greenlets."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import lint_fixture
from tests.test_sl5_threads import lint_variant

POSITIVES = [
    ("SL505", 13, 5),  # asyncio.create_task dropped
    ("SL505", 14, 15),  # ensure_future kept in a local never awaited
    ("SL505", 16, 5),  # loop.create_task on get_running_loop()
    ("SL505", 17, 5),  # a chained add_done_callback still drops it
    ("SL505", 27, 9),  # self.loop.create_task: a loop of unknown type
    ("SL505", 28, 16),  # stored in a set, never cancelled nor awaited
    ("SL505", 34, 5),  # gevent.spawn dropped
]


def test_fire_and_forget_tasks(tmp_path: Path) -> None:
    # Not reported: awaited, gathered, asyncio.wait, TaskGroup, stored and cancelled,
    # returned, passed on, joined greenlets, a task created by a signal handler.
    assert lint_fixture("sl5/tasks.py", tmp_path, "SL5") == POSITIVES


def test_cancel_is_what_manages_a_stored_task(tmp_path: Path) -> None:
    found = lint_variant(tmp_path, "sl5/tasks.py", "self._task.cancel()", "self._task.get_name()", "SL505")
    assert found == [*POSITIVES, ("SL505", 60, 22)]


EXECUTOR_JOBS = [
    ("SL505", 17, 5),  # loop.run_in_executor(None, ...) on get_running_loop(), its future dropped
    ("SL505", 18, 5),  # keywords: executor=None
    ("SL505", 26, 9),  # self.loop: a loop of unknown type, named like one
]


def test_jobs_of_the_default_executor_whose_future_is_dropped(tmp_path: Path) -> None:
    # Not reported: awaited, kept (and awaited), an explicit executor (its pool's shutdown is
    # SL504's), a chained add_done_callback that reads the outcome, a receiver named like no loop.
    assert lint_fixture("sl5/default_executor.py", tmp_path, "SL5") == EXECUTOR_JOBS


def test_await_and_an_explicit_executor_are_what_keep_the_near_misses_quiet(tmp_path: Path) -> None:
    fixture = "sl5/default_executor.py"
    dropped = lint_variant(tmp_path, fixture, "    await loop.run_in_executor(None", "    loop.run_in_executor(None", "SL505")
    assert dropped == [*EXECUTOR_JOBS, ("SL505", 32, 5)]
    default = lint_variant(tmp_path, fixture, "loop.run_in_executor(POOL,", "loop.run_in_executor(None,", "SL505")
    assert default == [*EXECUTOR_JOBS, ("SL505", 35, 5)]
