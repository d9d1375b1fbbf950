"""Plain records shared by the engine, the rules and the reporters.

Everything here is small, picklable and free of CST nodes, so results can cross
process boundaries and be cached. The immutable records are named tuples: every
run defines them, and a frozen dataclass costs ten times as much to define.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NamedTuple


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Span(NamedTuple):
    """A source range: 1-based lines, 1-based columns, end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


class Finding(NamedTuple):
    """One problem reported by a rule, positioned in a file."""

    code: str
    message: str
    path: str
    span: Span
    severity: Severity = Severity.ERROR
    hint: str | None = None
    fingerprint: str = ""

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.line, self.span.column, self.code)


class InternalError(NamedTuple):
    """A failure of statelint itself (a rule raised, a worker died): exit code 2."""

    path: str
    message: str
    code: str | None = None


class Suppression(NamedTuple):
    """One ``# statelint: ignore[...]`` or ``# noqa: ...`` comment.

    ``codes`` is None for a bare ignore (all codes). ``lines`` are the lines it covers.
    """

    line: int
    column: int
    codes: tuple[str, ...] | None
    reason: str
    kind: str  # "ignore" or "noqa"
    lines: tuple[int, ...] = ()
    end_column: int = 0  # exclusive end of the comment (0: unknown)


@dataclass
class FileResult:
    """What analysing one file produced, before suppressions are applied.

    ``facts`` carries per-file summaries for rules that need the whole tree
    (a rule code -> a list of JSON-compatible records); they are joined after
    every file is done, which keeps parallel and cached runs correct.
    """

    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[InternalError] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    file_ignores: tuple[str, ...] | None = None  # codes/prefixes from ignore-file; () means all
    facts: dict[str, list] = field(default_factory=dict)
    lines: dict[int, str] = field(default_factory=dict)  # source lines that findings point at
    parsed: bool = False
    #: Codes whose rule ran to completion on this file (past prefilter, parse and errors):
    #: only their suppressions can be judged unused (SL002).
    ran: list[str] = field(default_factory=list)
