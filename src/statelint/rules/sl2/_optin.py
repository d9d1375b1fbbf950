"""Which file logging is an explicit opt-in, for the SL2 rules.

A file handler created only when an operator asks for one (``if args.log_file:``,
``if settings.LOG_TO_FILE:``, ``handler = FileHandler(p) if p else StreamHandler()``)
is not reported: in a container the setting is simply left unset and logs go to
the stream. The tracker keeps the conditions around the node being visited; a
condition counts as an opt-in when, on the branch taken, a value known to be
truthy either feeds the file name itself or is named like a log-file setting.
Early exits (``if not log_file: return``) guard the rest of their function.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import libcst as cst

from statelint.analyses.files import in_test_code, literal_string, string_value
from statelint.engine.walker import children
from statelint.rules.base import Rule

_LOG_WORDS = frozenset({"log", "logs", "logging", "logger"})
_FILE_WORDS = frozenset({"file", "files", "filename", "path", "dir", "directory", "folder", "disk", "dest", "destination"})
_JOINED_WORDS = frozenset({"logfile", "logfiles", "logpath", "logdir", "logfilename", "logfolder", "logfilepath"})
_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_EXITS = (cst.Return, cst.Raise)


@dataclass(frozen=True)
class Guard:
    """A condition around a site, and the branch (body or orelse) the site sits in."""

    test: cst.BaseExpression
    branch: str


def _code(node: cst.CSTNode) -> str:
    return "".join(cst.Module([]).code_for_node(node).split())


def _walk(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(children(current))


def _contains(root: cst.CSTNode, target: cst.CSTNode) -> bool:
    return any(node is target for node in _walk(root))


def _words(node: cst.CSTNode) -> set[str]:
    out: set[str] = set()
    for part in _walk(node):
        text = part.value if isinstance(part, cst.Name) else literal_string(part)
        if text:
            out.update(word.lower() for word in _SPLIT.split(text) if word)
    return out


def names_a_log_file(node: cst.CSTNode) -> bool:
    """``args.log_file``, ``LOG_TO_FILE``, ``os.getenv("LOG_PATH")``, ``logfile`` ..."""
    words = _words(node)
    return bool(words & _JOINED_WORDS) or bool(words & _LOG_WORDS and words & _FILE_WORDS)


def _truthy(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """Expressions known to be set when ``test`` is true."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _truthy(test.left) + _truthy(test.right)
    if isinstance(test, cst.BooleanOperation):
        return []
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _falsy(test.expression)
    if isinstance(test, cst.NamedExpr):
        return [test.target, test.value]
    if isinstance(test, cst.Comparison):
        return _compared(test, negative=False)
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "bool" and test.args:
        return [test.args[0].value]
    return [test]


def _falsy(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """Expressions known to be set when ``test`` is false."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return _falsy(test.left) + _falsy(test.right)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _truthy(test.expression)
    if isinstance(test, cst.Comparison):
        return _compared(test, negative=True)
    return []


def _compared(test: cst.Comparison, negative: bool) -> list[cst.BaseExpression]:
    """``x is not None`` / ``x != ""`` / ``x == "1"`` / ``"--log-file" in argv`` (and their negations)."""
    if len(test.comparisons) != 1:
        return []
    operator, right = test.comparisons[0].operator, test.comparisons[0].comparator
    if isinstance(operator, cst.In):
        return [] if negative else [test.left, right]
    if not isinstance(operator, (cst.Is, cst.IsNot, cst.Equal, cst.NotEqual)):
        return []
    equal = isinstance(operator, (cst.Is, cst.Equal)) != negative
    empty = (isinstance(right, cst.Name) and right.value in ("None", "False")) or literal_string(right) == ""
    # x != <anything> leaves x set to something else; x == <a real value> sets it.
    return [test.left] if not equal or not empty else []


def _mentioned(target: cst.CSTNode) -> set[str]:
    """The code of every sub-expression of ``target``, except bare prefixes (``settings`` in ``settings.LOG``)."""
    prefixes = {id(node.value) for node in _walk(target) if isinstance(node, cst.Attribute)}
    return {_code(node) for node in _walk(target) if id(node) not in prefixes}


def opted_in(
    guards: Iterable[Guard], target: cst.CSTNode | None, on_by_default: Callable[[cst.BaseExpression], bool] | None = None,
) -> bool:
    """True when one of ``guards`` makes the site conditional on a log-file setting that is off unless
    an operator sets it. ``on_by_default``: whether a setting has a value when nobody sets it
    (``LOG_DIR = os.getenv("LOG_DIR", "logs")``): a guard on it is taken by default, no opt-in."""
    if not guards:
        return False
    mentioned = _mentioned(target) if target is not None else set()
    for guard in guards:
        known = _truthy(guard.test) if guard.branch == "body" else _falsy(guard.test)
        for expr in known:
            if on_by_default is not None and on_by_default(expr):
                continue
            if _code(expr) in mentioned or names_a_log_file(expr):
                return True
    return False


class OptInTracker(Rule):
    """Keeps the enclosing ``if``/conditional-expression branches and early exits."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._ifs: list[list[Any]] = []  # [If | IfExp node, branch]
        self._frames: list[tuple[cst.FunctionDef, list[Guard]]] = []

    def visit_If(self, node: cst.If) -> None:
        if self._ifs and self._ifs[-1][0].orelse is node:  # elif
            self._ifs[-1][1] = "orelse"
        self._ifs.append([node, "test"])

    def leave_If(self, node: cst.If) -> None:
        self._ifs.pop()
        if self._frames and node.orelse is None and _exits(node.body):
            function, exits = self._frames[-1]
            if isinstance(function.body, cst.IndentedBlock) and any(s is node for s in function.body.body):
                exits.append(Guard(node.test, "orelse"))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_block(node)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._enter_block(node)

    def visit_Else(self, node: cst.Else) -> None:
        if self._ifs and self._ifs[-1][0].orelse is node:
            self._ifs[-1][1] = "orelse"

    def _enter_block(self, node: cst.CSTNode) -> None:
        if self._ifs and isinstance(self._ifs[-1][0], cst.If) and self._ifs[-1][0].body is node:
            self._ifs[-1][1] = "body"

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._ifs.append([node, "?"])

    def leave_IfExp(self, node: cst.IfExp) -> None:
        self._ifs.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.append((node, []))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.pop()

    def guards(self, site: cst.CSTNode) -> tuple[Guard, ...]:
        """The conditions ``site`` (a node being visited now) depends on."""
        out: list[Guard] = []
        for node, branch in self._ifs:
            if branch == "?":  # a conditional expression: find which side holds the site
                branch = "body" if _contains(node.body, site) else "orelse" if _contains(node.orelse, site) else "test"
            if branch != "test":
                out.append(Guard(node.test, branch))
        if self._frames:
            out.extend(self._frames[-1][1])
        return tuple(out)

    def exempt(self, site: cst.CSTNode, target: cst.CSTNode | None) -> bool:
        """Test code, or file logging behind an explicit opt-in whose file name is ``target``."""
        return in_test_code(self.ctx, self.ctx.scope, self.knowledge) or opted_in(self.guards(site), target, self.on_by_default)

    def on_by_default(self, expr: cst.BaseExpression) -> bool:
        """A name holding a non-empty string when nobody sets it: a literal, or an environment read with
        such a default (``LOG_DIR = os.getenv("LOG_DIR", "logs")``)."""
        return isinstance(expr, cst.Name) and bool(string_value(self.ctx, expr, self.ctx.scope))


def _exits(body: cst.BaseSuite) -> bool:
    """A block that only returns or raises."""
    if isinstance(body, cst.SimpleStatementSuite):
        statements: list[cst.CSTNode] = list(body.body)
    elif isinstance(body, cst.IndentedBlock) and len(body.body) == 1 and isinstance(body.body[0], cst.SimpleStatementLine):
        statements = list(body.body[0].body)
    else:
        return False
    return len(statements) == 1 and isinstance(statements[0], _EXITS)
