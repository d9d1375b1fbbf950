"""``path:line:col: CODE message``, one line per finding."""

from __future__ import annotations

from typing import TextIO

from statelint.reporters.base import Report


def render(report: Report, stream: TextIO) -> None:
    for f in report.findings:
        stream.write(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}\n")
    if not report.quiet:
        stream.write(summary_line(report) + "\n")


def summary_line(report: Report) -> str:
    count = len(report.findings)
    scanned = report.scan.files_scanned
    files = "file" if scanned == 1 else "files"
    if not count:
        return f"All checks passed ({scanned} {files} scanned)."
    noun = "finding" if count == 1 else "findings"
    return f"Found {count} {noun} in {report.files_with_findings()} of {scanned} {files} scanned."
