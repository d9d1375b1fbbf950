"""A progress bar on stderr for long scans at a terminal (never in CI, in pipes or with --quiet)."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, TextIO

#: Scans of fewer files finish before a bar would be worth drawing.
MIN_FILES = 100


def wanted(quiet: bool, environ: Mapping[str, str], stderr_is_terminal: bool) -> bool:
    """Whether a person is watching: stderr is a terminal, not ``--quiet``, not CI (``CI`` set)."""
    return stderr_is_terminal and not quiet and not environ.get("CI")


class ScanProgress:
    """Call :meth:`update` with (done, total); the bar appears once a scan has MIN_FILES files."""

    def __init__(self, stream: TextIO, min_files: int = MIN_FILES) -> None:
        self.stream = stream
        self.min_files = min_files
        self._progress: Any = None
        self._task: Any = None

    def update(self, done: int, total: int) -> None:
        if self._progress is None:
            if total < self.min_files:
                return
            self._start(total)
        self._progress.update(self._task, completed=done)

    def _start(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        console = Console(file=self.stream, force_terminal=True, highlight=False)
        self._progress = Progress(
            TextColumn("Scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("scan", total=total)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> ScanProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
