"""``path:line:col: CODE [rule-name] severity: message``, one line per finding.

The rule's name follows its code (as ruff shows names), for a reader who does not know the
codes by heart; the severity is written out, not only coloured: CI logs and pre-commit show
no colour.
"""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from statelint.model import Severity
from statelint.reporters.base import Report


def render(report: Report, stream: TextIO) -> None:
    for f in report.findings:
        stream.write(f"{f.path}:{f.line}:{f.column}: {f.code} [{report.rule_name(f.code)}] {f.severity.value}: {f.message}\n")
    if not report.quiet:
        stream.write(summary_line(report) + "\n")


def summary_line(report: Report) -> str:
    count = len(report.findings)
    scanned = report.scan.files_scanned
    files = "file" if scanned == 1 else "files"
    if not count:
        problems = _problems(report)
        if problems:  # a path that does not exist, or a file statelint failed on: not "all passed"
            return f"No findings in {scanned} {files} scanned, but {problems} (reported above)."
        return f"All checks passed ({scanned} {files} scanned)."
    noun = "finding" if count == 1 else "findings"
    return f"Found {count} {noun} ({_severities(report)}) in {report.files_with_findings()} of {scanned} {files} scanned."


def _severities(report: Report) -> str:
    """``2 errors, 1 warning``: the findings per severity, most severe first."""
    counts = Counter(f.severity for f in report.findings)
    order = (Severity.ERROR, Severity.WARNING, Severity.INFO)
    return ", ".join(f"{counts[s]} {s.value}{'' if counts[s] == 1 or s is Severity.INFO else 's'}" for s in order if counts[s])


def _problems(report: Report) -> str:
    missing, errors = len(report.scan.missing_paths), len(report.scan.errors)
    parts = []
    if missing:
        parts.append(f"{missing} {'path does' if missing == 1 else 'paths do'} not exist")
    if errors:
        parts.append(f"{errors} {'error' if errors == 1 else 'errors'}")
    return " and ".join(parts)
