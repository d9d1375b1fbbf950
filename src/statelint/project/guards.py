"""One-time initialisation guards, read from CPython's tree: the statements of a function that
run only while a global is still unset.

``global _client; if _client is None: _client = Client()`` sets ``_client`` once per process,
as a lazy singleton does: the summary does not count it as a run-time rebind (the SL1 rules
judge the same guard on libcst's tree, :func:`statelint.analyses.state_code.guarded`).
Only a guard that is purely "still unset" counts: ``if _x is None or stale(_x):`` refreshes a
cache, and its writes stay rebinds.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator


def declared_globals(body: list[ast.stmt]) -> set[str]:
    """The names a function body declares ``global`` (its own statements, not nested defs')."""
    names: set[str] = set()
    for node in scope_statements(body):
        if isinstance(node, ast.Global):
            names.update(node.names)
    return names


def lazily_set(body: list[ast.stmt], names: set[str]) -> dict[int, frozenset[str]]:
    """Id of a statement -> the names of ``names`` it may set only while they are unset."""
    lazy: dict[int, frozenset[str]] = {}
    for name in names:
        for statement in _guarded(body, name, False):
            lazy[id(statement)] = lazy.get(id(statement), frozenset()) | {name}
    return lazy


def run_once(body: list[ast.stmt], names: set[str]) -> set[int]:
    """Ids of the statements that run once per process: those that run only while a global of
    ``names`` is unset, in a guard that sets it (``if _app is None: _app = make(); setup_plugins()``).
    A guard that never sets its global runs at every call while it stays unset."""
    once: set[int] = set()
    for name in names:
        guarded = list(_guarded(body, name, False))
        if any(_assigns(statement, name) for statement in guarded):
            once.update(id(statement) for statement in guarded)
    return once


def _assigns(statement: ast.stmt, name: str) -> bool:
    """Whether ``statement`` binds ``name`` (``name = ...``, ``a, name = ...``, ``name: T = ...``)."""
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        targets = [statement.target]
    else:
        return False
    pending = list(targets)
    while pending:
        target = pending.pop()
        if isinstance(target, ast.Name) and target.id == name:
            return True
        if isinstance(target, (ast.Tuple, ast.List)):
            pending.extend(target.elts)
        elif isinstance(target, ast.Starred):
            pending.append(target.value)
    return False


def scope_statements(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """The statements that run in the scope ``body`` opens, at any depth of if/for/while/with/try/
    match (``except`` clauses and ``match`` cases included); defs and classes are yielded, their
    bodies not entered."""
    pending: list[ast.AST] = list(reversed(body))
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                pending.extend(reversed(inner))


def _guarded(statements: list[ast.stmt], name: str, inside: bool) -> Iterator[ast.stmt]:
    """The statements that run only while ``name`` is unset: ``if name is None: ...``, or after
    ``if name is not None: return name``."""
    for statement in statements:
        if inside:
            yield statement
        if isinstance(statement, ast.If):
            check = _none_check(statement.test, name)
            yield from _guarded(statement.body, name, inside or check is True)
            yield from _guarded(statement.orelse, name, inside or check is False)
            if check is False and not statement.orelse and _ends_flow(statement.body):
                inside = True
        elif isinstance(statement, (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)):
            yield from _guarded(statement.body, name, inside)
        elif isinstance(statement, ast.Try):
            yield from _guarded(statement.body, name, inside)
            for handler in statement.handlers:
                yield from _guarded(handler.body, name, inside)
            yield from _guarded(statement.orelse, name, inside)
            yield from _guarded(statement.finalbody, name, inside)


def _none_check(test: ast.expr, name: str) -> bool | None:
    """True for a test that holds while ``name`` is unset, False for one that holds once set, else None."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _none_check(test.operand, name)
        return None if inner is None else not inner
    if isinstance(test, ast.Name) and test.id == name:
        return False
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right, op = test.left, test.comparators[0], test.ops[0]
        if isinstance(left, ast.Name) and left.id == name and isinstance(right, ast.Constant) and right.value is None:
            if isinstance(op, (ast.Is, ast.Eq)):
                return True
            if isinstance(op, (ast.IsNot, ast.NotEq)):
                return False
    return None  # `if _x is None or stale(_x):` is a cache, as the rules judge it


def _ends_flow(statements: list[ast.stmt]) -> bool:
    return bool(statements) and isinstance(statements[-1], (ast.Return, ast.Raise))
