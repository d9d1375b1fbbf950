"""Worker processes that may crash or hang without taking the scan down.

libcst's native parser can overflow the C stack on deeply nested input and kill
its whole process; a pathological file can also keep a parser busy for minutes.
Each worker therefore streams one result per task back to the parent, so when a
worker dies or overruns the per-task time limit the parent knows exactly which
task it was on:

* the task a worker died on is retried once, alone, in a fresh process (the death
  may have had another cause, such as the OOM killer); if that process dies too,
  the task's result is a :class:`Failure`;
* a task that overruns the time limit is a :class:`Failure` at once (its worker is
  killed; retrying would only double the wait);
* the rest of the worker's chunk goes back to the queue and a fresh worker takes
  over, so one bad file costs one process start, never the run.

Workers are forked on Linux (they inherit the parent's imports and loaded rules,
so a worker starts in milliseconds) and spawned elsewhere.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
import warnings
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from statelint.engine.gc_pause import trim_heap

#: Builds, inside a worker, the function that handles one task.
HandlerFactory = Callable[..., Callable[[Any], Any]]


@dataclass(frozen=True)
class Failure:
    """Why a task produced no result."""

    kind: str  # "crashed" or "timeout"
    detail: str


class WorkerError(RuntimeError):
    """A worker could not even start (its initialiser failed): a bug, not a bad file."""


def context() -> Any:
    """``fork`` where it is safe and cheap (Linux), the platform default elsewhere."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def resident_mb() -> float | None:
    """This process's resident memory now (Linux; None elsewhere)."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            pages = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * (os.sysconf("SC_PAGE_SIZE") / 2**20)


def _worker_main(
    conn: Connection, factory: HandlerFactory, args: tuple[Any, ...], retire_mb: float | None = None
) -> None:
    """Loop: receive a chunk of (index, task), send one message per task, until told to stop.

    The memory of a large syntax tree is freed but not given back to the system
    (libcst's parser allocates through malloc, which keeps its heap), so a worker
    that has grown past ``retire_mb`` asks malloc to trim; if that is not enough it
    retires after its chunk and the parent forks a fresh one, instead of the worker
    keeping its high-water mark for the rest of the run.
    """
    import faulthandler

    faulthandler.disable()  # a native crash must die quietly: the parent reports it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        handle = factory(*args)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which stops the run
        conn.send(("init-error", f"{type(exc).__name__}: {exc}"))
        return
    trimmed_at = 0.0  # resident MB right after the last trim
    while True:
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        grown = False
        for index, task in chunk:
            try:
                message = ("ok", index, handle(task))
            except Exception as exc:  # noqa: BLE001 - an engine bug for this task only
                message = ("error", index, f"{type(exc).__name__}: {exc}")
            conn.send(message)
            del message
            if retire_mb is None:
                continue
            resident = resident_mb() or 0.0
            # Trimming walks the heap: only after a file made the worker grow markedly.
            if resident > retire_mb and resident > trimmed_at + _TRIM_STEP_MB:
                trim_heap()
                trimmed_at = resident_mb() or 0.0
                grown = trimmed_at > retire_mb
        if grown:
            conn.send(("retire",))
            return


_TRIM_STEP_MB = 20.0


@dataclass
class _Chunk:
    indices: deque[int]
    solo: bool = False  # a retry of one task in a fresh process


@dataclass
class _Worker:
    process: Any
    conn: Connection
    chunk: _Chunk | None = None
    started: float = 0.0  # when the current task began


class IsolatedPool:
    """Runs tasks in up to ``jobs`` worker processes, isolating crashes and overruns."""

    def __init__(
        self,
        jobs: int,
        factory: HandlerFactory,
        args: tuple[Any, ...] = (),
        timeout: float | None = None,
        retire_mb: float | None = None,
    ) -> None:
        self.jobs = max(1, jobs)
        self.retire_mb = retire_mb
        self.factory = factory
        self.args = args
        self.timeout = timeout if timeout and timeout > 0 else None
        self.ctx = context()
        self.workers: list[_Worker] = []
        self.queue: deque[_Chunk] = deque()
        self.started = 0  # processes started, for the benchmark and tests

    # -- public ----------------------------------------------------------------------
    def run(
        self,
        tasks: Sequence[Any] | Mapping[int, Any],
        chunks: Sequence[Sequence[int]],
        on_result: Callable[[int, Any], None],
        meanwhile: Callable[[], None] | None = None,
    ) -> None:
        """Run ``tasks`` grouped in ``chunks`` (lists of indices); ``on_result(index, value)``
        gets a handler's return value, a :class:`Failure`, or an ``("error", text)`` tuple.
        ``meanwhile()`` is the parent's own work, done once the workers have their first chunks."""
        self.tasks = tasks
        self.on_result = on_result
        self.queue.extend(_Chunk(deque(chunk)) for chunk in chunks if chunk)
        try:
            while self.queue or any(w.chunk is not None for w in self.workers):
                self._dispatch()
                if meanwhile is not None:
                    meanwhile()
                    meanwhile = None
                self._wait()
        finally:
            self._shutdown()

    # -- scheduling ------------------------------------------------------------------
    def _dispatch(self) -> None:
        for worker in self.workers:
            if worker.chunk is None and self.queue and not self.queue[0].solo:
                self._assign(worker, self.queue.popleft())
        while self.queue and len(self.workers) < self.jobs:
            chunk = self.queue.popleft()
            self._assign(self._start(), chunk)
        if self.queue and self.queue[0].solo:
            # A retry needs a fresh process: retire an idle worker to make room for one.
            idle = [w for w in self.workers if w.chunk is None]
            if idle:
                self._stop(idle[0])
                self._assign(self._start(), self.queue.popleft())

    def _start(self) -> _Worker:
        parent, child = self.ctx.Pipe(duplex=True)
        process = self.ctx.Process(
            target=_worker_main, args=(child, self.factory, self.args, self.retire_mb), daemon=True
        )
        with warnings.catch_warnings():
            # Python 3.12+ warns when forking a process with threads (a test runner, an IDE
            # embedding statelint). The child only computes and writes to its pipe: it takes
            # none of the locks another thread could hold.
            warnings.filterwarnings("ignore", message=".*fork", category=DeprecationWarning)
            process.start()
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        self.started += 1
        return worker

    def _assign(self, worker: _Worker, chunk: _Chunk) -> None:
        worker.chunk = chunk
        worker.started = time.monotonic()
        try:
            worker.conn.send([(index, self.tasks[index]) for index in chunk.indices])
        except (BrokenPipeError, EOFError, OSError):
            pass  # the worker is already dead: _wait sees its sentinel and recovers

    # -- events ----------------------------------------------------------------------
    def _wait(self) -> None:
        busy = [w for w in self.workers if w.chunk is not None]
        if not busy:
            return
        timeout = None
        if self.timeout is not None:
            now = time.monotonic()
            timeout = max(0.0, min(w.started + self.timeout for w in busy) - now)
        handles: dict[Any, _Worker] = {}
        for worker in busy:
            handles[worker.conn] = worker
            handles[worker.process.sentinel] = worker
        ready = wait(list(handles), timeout)
        for worker in {id(handles[h]): handles[h] for h in ready}.values():
            self._drain(worker)
        if self.timeout is not None:
            now = time.monotonic()
            for worker in busy:
                if worker.chunk is not None and worker in self.workers and now - worker.started >= self.timeout:
                    self._overran(worker)

    def _drain(self, worker: _Worker) -> None:
        """Read every message the worker sent; if it has died, recover its chunk."""
        self._read(worker)
        if worker in self.workers and not worker.process.is_alive():
            worker.process.join()
            self._read(worker)  # what it wrote just before dying
            self._died(worker)

    def _read(self, worker: _Worker) -> None:
        while worker in self.workers:
            try:
                if not worker.conn.poll():
                    return
                message = worker.conn.recv()
            except (EOFError, OSError):
                return
            self._message(worker, message)

    def _message(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        if message[0] == "init-error":
            raise WorkerError(f"a worker process failed to start: {message[1]}")
        if message[0] == "retire":  # between chunks: whatever was sent since was not started
            if worker.chunk is not None and worker.chunk.indices:
                self.queue.appendleft(worker.chunk)
            worker.chunk = None
            self._stop(worker)
            return
        kind, index, value = message
        chunk = worker.chunk
        if chunk is None or not chunk.indices or chunk.indices[0] != index:
            return  # cannot happen: tasks are answered in order
        chunk.indices.popleft()
        worker.started = time.monotonic()
        self.on_result(index, value if kind == "ok" else ("error", value))
        if not chunk.indices:
            worker.chunk = None
            if chunk.solo:
                self._stop(worker)

    def _died(self, worker: _Worker) -> None:
        code = worker.process.exitcode
        self._forget(worker)
        chunk = worker.chunk
        if chunk is None or not chunk.indices:
            return
        suspect = chunk.indices.popleft()
        if chunk.indices:
            self.queue.appendleft(_Chunk(chunk.indices))
        if chunk.solo:
            self.on_result(suspect, Failure("crashed", _exit_reason(code)))
        else:
            self.queue.appendleft(_Chunk(deque([suspect]), solo=True))

    def _overran(self, worker: _Worker) -> None:
        chunk = worker.chunk
        worker.process.kill()
        worker.process.join()
        self._forget(worker)
        if chunk is None or not chunk.indices:
            return
        suspect = chunk.indices.popleft()
        if chunk.indices:
            self.queue.appendleft(_Chunk(chunk.indices))
        self.on_result(suspect, Failure("timeout", f"took longer than {self.timeout:g} s"))

    # -- teardown --------------------------------------------------------------------
    def _stop(self, worker: _Worker) -> None:
        try:
            worker.conn.send(None)
        except (BrokenPipeError, EOFError, OSError):
            pass
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        self._forget(worker)

    def _forget(self, worker: _Worker) -> None:
        worker.conn.close()
        if worker in self.workers:
            self.workers.remove(worker)

    def _shutdown(self) -> None:
        for worker in list(self.workers):
            if worker.chunk is None:
                self._stop(worker)
            else:  # interrupted (Ctrl-C, an error): do not wait for it
                worker.process.kill()
                worker.process.join()
                self._forget(worker)


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"
