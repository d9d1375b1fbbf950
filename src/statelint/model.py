"""Plain records shared by the engine, the rules and the reporters.

Everything here is small, picklable and free of CST nodes, so results can cross
process boundaries and be cached. The immutable records are named tuples and the
one mutable record a plain class: every run defines them, and a dataclass costs
five to ten times as much to define (a frozen one with many fields, a millisecond).

No ``from __future__ import annotations`` here: :class:`typing.NamedTuple` compiles
each annotation it gets as a string, which made every class cost a run 0.1 ms more.
"""

import enum
from typing import Any, NamedTuple


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


class Related(NamedTuple):
    """One step of the path that makes a finding matter (``views.cart()``): the file and the name
    within it of the function (empty for a step that is none, such as ``@get('/cart')``), and the
    line of its ``def``, looked up by the formats that link it (0 until then, or when not found)."""

    label: str
    path: str = ""
    name: str = ""
    line: int = 0


class Finding(NamedTuple):
    """One problem reported by a rule, positioned in a file."""

    code: str
    message: str
    path: str
    span: Span
    severity: Severity = Severity.ERROR
    hint: str | None = None
    fingerprint: str = ""
    #: the path, root first, on which the code reported runs (SL1 and SL5), for SARIF's relatedLocations
    related: tuple = ()

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


class Record:
    """A record known by its ``FIELDS``: ``==`` and ``repr`` over them, and no hash (its
    fields may be lists and dicts). What a dataclass gives, without the cost of
    defining one on every run."""

    __slots__ = ()
    FIELDS: tuple[str, ...] = ()  # in the constructor's order

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{name}={getattr(self, name)!r}' for name in self.FIELDS)})"


class FileResult(Record):
    """What analysing one file produced, before suppressions are applied.

    ``facts`` carries per-file summaries for rules that need the whole tree
    (a rule code -> a list of JSON-compatible records); they are joined after
    every file is done, which keeps parallel and cached runs correct.
    """

    #: Every field, in order: the cache's codec and ``==`` go by this list.
    FIELDS = ("path", "findings", "errors", "suppressions", "file_ignores", "facts", "lines", "parsed", "ran")
    __slots__ = FIELDS

    def __init__(
        self,
        path: str,
        findings: list[Finding] | None = None,
        errors: list[InternalError] | None = None,
        suppressions: list[Suppression] | None = None,
        file_ignores: tuple[str, ...] | None = None,
        facts: dict[str, list[Any]] | None = None,
        lines: dict[int, str] | None = None,
        parsed: bool = False,
        ran: list[str] | None = None,
    ) -> None:
        self.path = path
        self.findings: list[Finding] = findings if findings is not None else []
        self.errors: list[InternalError] = errors if errors is not None else []
        self.suppressions: list[Suppression] = suppressions if suppressions is not None else []
        self.file_ignores = file_ignores  # codes/prefixes from ignore-file; () means all
        self.facts: dict[str, list[Any]] = facts if facts is not None else {}
        self.lines: dict[int, str] = lines if lines is not None else {}  # source lines that findings point at
        self.parsed = parsed
        #: Codes whose rule ran to completion on this file (past prefilter, parse and errors):
        #: only their suppressions can be judged unused (SL002).
        self.ran: list[str] = ran if ran is not None else []
