"""GitLab Code Quality: a JSON array of Code Climate issues for the merge request widget.

GitLab reads ``description``, ``check_name``, ``fingerprint`` (unique per issue,
used to tell new from fixed issues between pipelines), ``severity`` (info, minor,
major, critical, blocker) and ``location`` with a path relative to the repository
(the folder holding ``.git``, whichever folder statelint ran from) and ``lines.begin``.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from statelint.model import Finding
from statelint.reporters.base import Report

SEVERITIES = {"error": "major", "warning": "minor", "info": "info"}


def render(report: Report, stream: TextIO) -> None:
    json.dump([issue(f, report.ci_path(f.path)) for f in report.findings], stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def issue(f: Finding, path: str | None = None) -> dict[str, Any]:
    """The Code Climate issue of ``f``; ``path`` names its file (default: as displayed)."""
    return {
        "description": f"{f.code} {f.message}",
        "check_name": f.code,
        "fingerprint": f.fingerprint,
        "severity": SEVERITIES[f.severity.value],
        "location": {"path": path if path is not None else f.path, "lines": {"begin": f.span.line, "end": f.span.end_line}},
    }
