"""Writing a report to stdout or, atomically, to a file."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

from statelint.reporters import renderer
from statelint.reporters.base import Report


def write_report(report: Report, output_format: str, output_file: Path | None, statistics: bool = False) -> None:
    render = renderer(output_format, statistics)
    if output_file is None:
        render(report, sys.stdout)
        sys.stdout.flush()
        return
    buffer = io.StringIO()
    render(report, buffer)
    atomic_write(output_file, buffer.getvalue())


def atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: never a half-written file."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
