"""Screening a small run's files in two processes: the parent and one forked helper.

A pre-commit run hands the parent a few changed files, and the parent screens
each (needles, CPython's parse, triage) before any worker is started. That
screening is most of the run, and runs on one core. With two or more jobs, a
forked helper screens about half of the work (counted in lines) while the parent
screens the rest; the helper sends its results back over a pipe as the cache's
JSON records.

The helper only ever saves time: if it cannot be forked, dies, or sends anything
but a well-formed answer, the parent screens its files itself. Forking is done
only where it is cheap and safe (Linux, no other thread running), and only when
there is enough to screen to pay for it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable

from statelint.engine.cache import decode_result, encode_result
from statelint.model import FileResult

#: Below this many lines to screen, forking costs more than it saves.
SPLIT_MIN_LINES = 500

Screen = Callable[[int], "FileResult | None"]


def screen_all(
    indices: list[int],
    weights: dict[int, int],
    displays: dict[int, str],
    screen: Screen,
    done: Callable[[int, FileResult | None], None],
    jobs: int,
) -> None:
    """``done(index, screen(index))`` for every index; about half of the work (``weights``, in
    lines) is screened by a forked helper when worth it, and the parent hands on its own results
    while the helper works.

    ``displays`` names each file as its results do (decoding a record needs it).
    """
    theirs = _helper_share(indices, weights) if _may_fork(jobs, sum(weights.get(i, 0) for i in indices)) else []
    helped = _fork(theirs, screen) if theirs else None
    if helped is None:
        theirs = []
    answers: dict[str, object] = {}
    try:
        for index in sorted(set(indices) - set(theirs)):
            done(index, screen(index))
    finally:
        if helped is not None:
            answers = helped() or {}  # waited for whatever happened here: no process is left behind
    for index in theirs:
        result = _decode(answers.get(str(index), False), displays[index])
        done(index, screen(index) if result is False else result)  # type: ignore[arg-type]


def _may_fork(jobs: int, total: int) -> bool:
    return (
        jobs >= 2
        and total >= SPLIT_MIN_LINES
        and sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and threading.active_count() == 1  # a forked child gets only the calling thread (and its locks)
    )


def _helper_share(indices: list[int], weights: dict[int, int]) -> list[int]:
    """About half the work, heaviest files first, for the helper; never every file."""
    mine = theirs = 0
    share: list[int] = []
    for index in sorted(indices, key=lambda i: (-weights.get(i, 0), i)):
        if theirs < mine:
            share.append(index)
            theirs += weights.get(index, 0)
        else:
            mine += weights.get(index, 0)
    return share


def _fork(indices: list[int], screen: Screen) -> Callable[[], dict[str, object] | None] | None:
    """Start the helper on ``indices``; the returned call waits for its answers (None if it failed)."""
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
            answers = {str(index): _encode(screen(index)) for index in indices}
            with os.fdopen(write_end, "w", encoding="utf-8") as pipe:
                json.dump(answers, pipe, ensure_ascii=False)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)

    def collect() -> dict[str, object] | None:
        try:
            with os.fdopen(read_end, "r", encoding="utf-8") as pipe:
                text = pipe.read()
        except (OSError, UnicodeDecodeError):
            text = ""
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = -1
        if status != 0:
            return None
        try:
            answers = json.loads(text)
        except ValueError:
            return None
        return answers if isinstance(answers, dict) else None

    return collect


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
