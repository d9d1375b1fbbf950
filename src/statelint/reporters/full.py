"""ruff-like output: location, code and message, the source line with a marker, a hint, a summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from statelint.model import Finding, Severity
from statelint.reporters.base import Report
from statelint.reporters.concise import summary_line

if TYPE_CHECKING:
    from rich.console import Console

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue"}


def render(report: Report, stream: TextIO) -> None:
    if not report.findings and not report.color:
        # Nothing to style: skip importing rich, a sixth of a clean pre-commit run.
        if not report.quiet:
            stream.write(summary_line(report) + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=stream,
        color_system="standard" if report.color else None,
        force_terminal=report.color,
        no_color=not report.color,
        highlight=False,
        soft_wrap=True,
        emoji=False,
        markup=False,
    )
    for finding in report.findings:
        _finding(console, report, finding)
    if report.quiet:
        return
    console.print(Text(summary_line(report), style="bold"))
    for family, name, count in report.family_counts():
        console.print(Text(f"  {family}  {name}: {count}"))


def _finding(console: Console, report: Report, f: Finding) -> None:
    from rich.cells import cell_len
    from rich.text import Text

    head = Text()
    head.append(f"{f.path}:{f.line}:{f.column}:", style="bold")
    head.append(" ")
    head.append(f.code, style=_SEVERITY_STYLE[f.severity])
    head.append(f" {f.message}")
    console.print(head)
    source = report.line_text(f).expandtabs(1).rstrip("\n")
    if source:
        gutter = " " * len(str(f.line))
        console.print(Text(f"{gutter} |", style="blue"))
        line = Text(f"{f.line} | ", style="blue")
        line.append(source)
        console.print(line)
        start = min(max(f.column - 1, 0), len(source))
        end = f.span.end_column - 1 if f.span.end_line == f.line else len(source)
        # Terminal cells, not characters: wide characters (CJK, emoji) before the span take two.
        width = max(1, cell_len(source[start : max(end, start)]))
        marker = Text(f"{gutter} | ", style="blue")
        marker.append(" " * cell_len(source[:start]) + "^" * width, style=_SEVERITY_STYLE[f.severity])
        console.print(marker)
    if f.hint:
        console.print(Text(f"  = hint: {f.hint}", style="cyan"))
    console.print()
