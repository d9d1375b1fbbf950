"""A JSON array of findings, sorted by path, line, column and code."""

from __future__ import annotations

import json
from typing import Any, TextIO

from statelint.model import Finding
from statelint.reporters.base import Report


def finding_record(report: Report, f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "name": report.rule_name(f.code),
        "severity": f.severity.value,
        "message": f.message,
        "hint": f.hint,
        "path": f.path,
        "line": f.span.line,
        "column": f.span.column,
        "end_line": f.span.end_line,
        "end_column": f.span.end_column,
        "fingerprint": f.fingerprint,
        "related": [{"label": step.label, "path": step.path or None, "line": step.line or None} for step in f.related],
    }


def render(report: Report, stream: TextIO) -> None:
    json.dump([finding_record(report, f) for f in report.located_findings()], stream, indent=2, ensure_ascii=False)
    stream.write("\n")
