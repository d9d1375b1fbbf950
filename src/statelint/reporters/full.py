"""ruff-like output: location, code and message, the source line with a marker, a hint, a summary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

from statelint.model import Finding, Severity
from statelint.reporters.base import Report
from statelint.reporters.concise import summary_line

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue"}
#: What rich's ``Text`` removes from what it prints (``rich.control.STRIP_CONTROL_CODES``).
_STRIPPED = dict.fromkeys((7, 8, 11, 12, 13))

Line = list[tuple[str, "str | None"]]  # (text, rich style) parts of one output line


def render(report: Report, stream: TextIO) -> None:
    """Write the report; through rich when colouring, else as the same text written directly.

    Rich renders a few thousand lines a second: a CI log of many findings, or a
    pre-commit run, would spend more time printing than checking.
    """
    lines = _lines(report)
    if not report.color:
        stream.writelines("".join(text for text, _ in line).translate(_STRIPPED) + "\n" for line in lines)
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=stream,
        color_system="standard",
        force_terminal=True,
        highlight=False,
        soft_wrap=True,
        emoji=False,
        markup=False,
    )
    for line in lines:
        text = Text()
        for part, style in line:
            text.append(part, style=style)
        console.print(text)


def _lines(report: Report) -> Iterator[Line]:
    for finding in report.findings:
        yield from _finding(report, finding)
    if report.quiet:
        return
    yield [(summary_line(report), "bold")]
    counts = report.family_counts()
    width = max((len(family) for family, _, _ in counts), default=0)
    for family, name, count in counts:
        yield [(f"  {family.ljust(width)}  {name}: {count}", None)]


def _finding(report: Report, f: Finding) -> Iterator[Line]:
    severity = _SEVERITY_STYLE[f.severity]
    yield [
        (f"{f.path}:{f.line}:{f.column}:", "bold"),
        (" ", None),
        (f.code, severity),
        (f" [{report.rule_name(f.code)}] ", None),
        (f"{f.severity.value}:", severity),
        (f" {f.message}", None),
    ]
    source = report.line_text(f).expandtabs(1).rstrip("\n")
    if source:
        from rich.cells import cell_len

        gutter = " " * len(str(f.line))
        yield [(f"{gutter} |", "blue")]
        yield [(f"{f.line} | ", "blue"), (source, None)]
        start = min(max(f.column - 1, 0), len(source))
        end = f.span.end_column - 1 if f.span.end_line == f.line else len(source)
        # Terminal cells, not characters: wide characters (CJK, emoji) before the span take two.
        width = max(1, cell_len(source[start : max(end, start)]))
        yield [(f"{gutter} | ", "blue"), (" " * cell_len(source[:start]) + "^" * width, severity)]
    if f.hint:
        yield [(f"  = hint: {f.hint}", "cyan")]
    yield []
