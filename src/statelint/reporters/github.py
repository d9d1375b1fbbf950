"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` annotation per finding.

Escaping follows the Actions toolkit (``@actions/core`` ``command.ts``): in the
message ``%``, CR and LF are percent-encoded; in property values ``:`` and ``,``
are too, since they would otherwise end the value. Files are named relative to the
repository's root, as the annotations on a pull request's diff need them.
"""

from __future__ import annotations

from typing import TextIO

from statelint.model import Finding
from statelint.reporters.base import Report

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def render(report: Report, stream: TextIO) -> None:
    for finding in report.findings:
        stream.write(annotation(finding, report.ci_path(finding.path)) + "\n")


def annotation(f: Finding, path: str | None = None) -> str:
    """The annotation of ``f``; ``path`` names its file (default: as displayed)."""
    properties = {
        "file": path if path is not None else f.path,
        "line": str(f.span.line),
        "col": str(f.span.column),
        "endLine": str(f.span.end_line),
        "endColumn": str(f.span.end_column),
        "title": f"statelint ({f.code})",
    }
    listed = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{COMMANDS[f.severity.value]} {listed}::{escape_data(f.message)}"


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")
