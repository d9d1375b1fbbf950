"""Writing a report to stdout or, atomically, to a file."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from statelint.atomic import write_text
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
    write_text(output_file, buffer.getvalue())

