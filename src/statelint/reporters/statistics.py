"""``--statistics``: how many findings each rule produced, most frequent first (like ruff's)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, TextIO

from statelint.reporters.base import Report

HEADER = ("Count", "Code", "Name", "Severity")


def rows(report: Report) -> list[dict[str, Any]]:
    counts = Counter(f.code for f in report.findings)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    out = []
    for code, count in ordered:
        doc = report.catalog.rules.get(code)
        out.append({"code": code, "name": report.rule_name(code), "severity": doc.severity if doc else "", "count": count})
    return out


def render(report: Report, stream: TextIO) -> None:
    table = rows(report)
    if not table:
        stream.write("No findings.\n")
        return
    lines = [HEADER] + [(str(r["count"]), r["code"], r["name"], r["severity"]) for r in table]
    lines.append((str(sum(r["count"] for r in table)), "", "total", ""))
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    for line in lines:
        cells = [line[0].rjust(widths[0])] + [cell.ljust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
        stream.write("  ".join(cells).rstrip() + "\n")


def render_json(report: Report, stream: TextIO) -> None:
    json.dump(rows(report), stream, indent=2)
    stream.write("\n")
