"""Screening a small run's files in two processes: the parent and one forked helper.

A pre-commit run hands the parent a few changed files, and the parent screens
each (needles, CPython's parse, the rules' declarations) before any worker is started. That
screening is most of the run, and runs on one core. With two or more jobs, a
forked helper screens files beside the parent; the helper sends its results back
over a pipe as the cache's JSON records.

The two share the work through a queue, not a fixed split: the files, heaviest
first, are numbered into a pipe before the fork, and each process takes the next
number whenever it is free. No estimate of a file's cost has to be right (one
file with many rules can cost as much as ten small ones), and the parent, which
also stores every result, simply takes fewer.

The helper only ever saves time: if it cannot be forked, dies, or sends anything
but a well-formed answer, the parent screens the files it took itself. Forking is
done only where it is cheap and safe (Linux, no other thread running), and only
when there is enough to screen to pay for it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator

from statelint.engine.cache import decode_result, encode_result
from statelint.model import FileResult

#: Below this many lines to screen, forking costs more than it saves.
SPLIT_MIN_LINES = 500
#: The queue is written whole before the fork, in one write the kernel never splits.
_ITEM = 4  # bytes per queued number
_MAX_QUEUED = 4096 // _ITEM  # PIPE_BUF on Linux

Screen = Callable[[int], "FileResult | None"]


def screen_all(
    indices: list[int],
    weights: dict[int, int],
    displays: dict[int, str],
    screen: Screen,
    done: Callable[[int, FileResult | None], None],
    jobs: int,
) -> None:
    """``done(index, screen(index))`` for every index; a forked helper takes files from the same
    queue when worth it (``weights``: each file's lines), and the parent hands on its own results
    while the helper works.

    ``displays`` names each file as its results do (decoding a record needs it).
    """
    order = sorted(indices, key=lambda i: (-weights.get(i, 0), i))  # the small ones even out the end
    worth = len(order) >= 2 and _may_fork(jobs, sum(weights.get(i, 0) for i in order))
    queue = _Queue.of(len(order)) if worth and len(order) <= _MAX_QUEUED else None
    helper = _Helper.fork(queue, order, screen) if queue is not None else None
    mine: set[int] = set()
    answers: dict[str, object] = {}
    positions: Iterable[int] = range(len(order))
    if queue is not None and helper is not None:
        positions = queue.take()
    try:
        try:
            for position in positions:
                index = order[position]
                mine.add(index)
                done(index, screen(index))
        finally:
            if queue is not None:
                queue.close()
            if helper is not None:
                answers = helper.answers() or {}
        for index in order:
            if index not in mine:  # the helper's, or lost with it: screened here when not answered
                result = _decode(answers.get(str(index), False), displays[index])
                done(index, screen(index) if result is False else result)  # type: ignore[arg-type]
    finally:
        if helper is not None:
            helper.reap()  # whatever happened here: no process is left behind


def _may_fork(jobs: int, total: int) -> bool:
    return (
        jobs >= 2
        and total >= SPLIT_MIN_LINES
        and sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and threading.active_count() == 1  # a forked child gets only the calling thread (and its locks)
    )


class _Queue:
    """Positions ``0..count-1`` in a pipe that two processes read from: a read of one item is
    atomic on Linux (the pipe's lock is held for the copy), so each position is taken once."""

    def __init__(self, read_end: int) -> None:
        self._read_end: int | None = read_end

    @classmethod
    def of(cls, count: int) -> _Queue | None:
        try:
            read_end, write_end = os.pipe()
        except OSError:
            return None
        try:
            data = b"".join(position.to_bytes(_ITEM, "little") for position in range(count))
            if os.write(write_end, data) != len(data):
                os.close(read_end)
                return None
        except OSError:
            os.close(read_end)
            return None
        finally:
            os.close(write_end)  # drained, it reads as the end of the queue
        return cls(read_end)

    def take(self) -> Iterator[int]:
        """The next position, until the queue is empty."""
        while self._read_end is not None:
            item = os.read(self._read_end, _ITEM)
            if len(item) != _ITEM:
                return
            yield int.from_bytes(item, "little")

    def close(self) -> None:
        if self._read_end is not None:
            os.close(self._read_end)
            self._read_end = None


class _Helper:
    """The forked helper, seen from the parent: its answers, then its exit.

    The answers are used as soon as they are read whole: only a finished helper writes a
    complete JSON document, and a truncated one does not parse. Waiting for its exit
    comes last, so the kernel tears the helper down while the parent stores the results.
    """

    def __init__(self, pid: int, read_end: int) -> None:
        self.pid = pid
        self._read_end = read_end

    @classmethod
    def fork(cls, queue: _Queue, order: list[int], screen: Screen) -> _Helper | None:
        """Start the helper on the queue (None if it cannot be forked)."""
        try:
            read_end, write_end = os.pipe()
        except OSError:
            return None
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the helper: answer, then leave without running the parent's exit handlers
            status = 1
            try:
                os.close(read_end)
                answers = {str(order[position]): _encode(screen(order[position])) for position in queue.take()}
                with os.fdopen(write_end, "w", encoding="utf-8") as pipe:
                    json.dump(answers, pipe, ensure_ascii=False)
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        return cls(pid, read_end)

    def answers(self) -> dict[str, object] | None:
        """What the helper sent, once it closed the pipe (None if nothing whole came)."""
        try:
            with os.fdopen(self._read_end, "r", encoding="utf-8") as pipe:
                text = pipe.read()
        except (OSError, UnicodeDecodeError):
            return None
        try:
            answers = json.loads(text)
        except ValueError:
            return None
        return answers if isinstance(answers, dict) else None

    def reap(self) -> None:
        """Wait for the helper's exit: it leaves once it has answered, or failed to."""
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _encode(result: FileResult | None) -> object:
    """A result as the cache's record; None (the file needs a worker) as null; False if it cannot travel."""
    if result is None:
        return None
    try:
        return encode_result(result)
    except (TypeError, ValueError):
        return False


def _decode(record: object, display: str) -> FileResult | None | bool:
    """The helper's answer for one file; False when there is none to trust (screen it again)."""
    if record is None or record is False:
        return record  # type: ignore[return-value]
    try:
        return decode_result(record, display)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
