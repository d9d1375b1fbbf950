"""Which calls of a file may resolve to given qualified names: a superset of the libcst resolver's answer.

:mod:`statelint.engine.names` gives a call the qualified names of its callee. The last
part of such a name always comes from the source itself: an attribute (``threading.Thread``),
an import (``from threading import Thread as T``), or a ``def``/``class`` of the file,
reached through assignments (``T = threading.Thread``, ``with x as y``), class bases
(``class Worker(Thread)``) and factories (``make()`` resolves to what ``def make`` returns).
So a call may resolve to ``a.b.Tail`` only if its callee's last name is ``Tail``, an alias
imported for it, or a name bound to one of those, to a fixed point; scopes are ignored,
which only widens the set. A callee the index cannot name (``(await f())(...)``) is
assumed to match.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from statelint.triage import Source, terminal

_AWAITED_CALLEE = re.compile(r"\(\s*await\b")
_BUILTINS = frozenset(dir(builtins))


def tail(qualname: str) -> str:
    """``Process`` for ``multiprocessing.get_context().Process``; ``Flask`` for ``flask.Flask()``."""
    return qualname.removesuffix("()").rsplit(".", 1)[-1].removesuffix("()")


@dataclass
class Bindings:
    """Every name the resolver may follow to another one: name -> the last names of its values."""

    values: dict[str, set[str]] = field(default_factory=dict)
    bound: set[str] = field(default_factory=set)  # names assigned, defined or bound by ``with`` anywhere
    #: each call's callee: (its last name, the name its attribute chain starts from, or None for a bare name)
    callees: set[tuple[str, str | None]] = field(default_factory=set)
    #: last names -> the names bound to them (the reverse of ``values``, for the fixed point)
    users: dict[str, set[str]] = field(default_factory=dict)

    def bind(self, name: str, heads: Iterable[str]) -> None:
        for head in heads:
            self.values.setdefault(name, set()).add(head)
            self.users.setdefault(head, set()).add(name)


def bindings(source: Source) -> Bindings:
    """The file's bindings, from one walk shared by every predicate of this package that asks."""
    built: Bindings = source.memo("callees:bindings", _collect)
    return built


def names_for(source: Source, qualnames: Iterable[str]) -> frozenset[str]:
    """Names a callee may end in (``x.<name>`` or ``<name>``) to resolve to one of ``qualnames``."""
    wanted = frozenset(qualnames)
    key = "callees:names:" + ",".join(sorted(wanted))
    found: frozenset[str] = source.memo(key, lambda s: _closure(s, wanted))
    return found


def mentioned(source: Source, qualnames: Iterable[str]) -> bool:
    """Whether code may refer to one of ``qualnames`` at all: a cheap necessary condition.

    The chain that ends in a qualified name starts at a name or attribute spelled in the
    code: the name's tail, or a local alias imported for it.
    """
    return bool(_seeds(source, frozenset(qualnames)) & source.index.names)


def may_call(source: Source, qualnames: Iterable[str]) -> bool:
    """Whether some call of the file may resolve to one of ``qualnames``."""
    wanted = frozenset(qualnames)
    if not mentioned(source, wanted):
        return False
    if _AWAITED_CALLEE.search(source.text):
        return True
    names = names_for(source, wanted)
    if not names & source.index.called:
        return False
    found = bindings(source)
    roots = {root for last, root in found.callees if last in names}
    return None in roots or any(_may_lead(source, found, root, wanted) for root in roots)


def _may_lead(source: Source, found: Bindings, root: str | None, qualnames: frozenset[str]) -> bool:
    """Whether ``root.x.y`` may resolve into ``qualnames``: a parameter or unbound name resolves to nothing,
    an import only to what lies under its target."""
    if root is None or root in found.bound or root in _BUILTINS:
        return True
    prefixes = set()
    for target in source.index.imports.get(root, ()):
        if target.startswith("."):
            return True  # relative: its package is not known here
        # `import a.b` binds `a` to the package `a` itself
        prefixes.add(target.split(".")[0] if target.split(".")[0] == root else target)
    return any(q.startswith((p + ".", p + "(")) for p in prefixes for q in qualnames)


def _seeds(source: Source, qualnames: frozenset[str]) -> set[str]:
    tails = {tail(q) for q in qualnames}
    seeds = set(tails)
    for local, targets in source.index.imports.items():
        if any(t in qualnames or tail(t) in tails for t in targets):
            seeds.add(local)
    return seeds


def _closure(source: Source, qualnames: frozenset[str]) -> frozenset[str]:
    found = _seeds(source, qualnames)
    users = bindings(source).users
    pending = list(found)
    while pending:
        for user in users.get(pending.pop(), ()):
            if user not in found:
                found.add(user)
                pending.append(user)
    return frozenset(found)


def heads(expr: ast.expr | None) -> Iterator[str]:
    """The last name of what ``expr`` resolves to (``a.b`` -> ``b``, ``f()`` -> ``f``), if it resolves."""
    while isinstance(expr, (ast.Await, ast.Call)):
        expr = expr.value if isinstance(expr, ast.Await) else expr.func
    if isinstance(expr, ast.Name):
        yield expr.id
    elif isinstance(expr, ast.Attribute):
        yield expr.attr


def _callee(func: ast.expr) -> tuple[str, str | None] | None:
    """(last name, root name) of a callee: ``a.b().c`` -> (``c``, ``a``); a bare name has no root."""
    if isinstance(func, ast.Name):
        return func.id, None
    if not isinstance(func, ast.Attribute):
        return None  # f()(...) and the like: the index names them by the inner callee; keep them
    last = func.attr
    expr: ast.expr = func.value
    while isinstance(expr, (ast.Attribute, ast.Call, ast.Await)):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return (last, expr.id) if isinstance(expr, ast.Name) else None


def _targets(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _targets(element)
    elif isinstance(target, ast.Starred):
        yield from _targets(target.value)


def _collect(source: Source) -> Bindings:
    """Assignments to plain names, ``with ... as``, class bases and each def's returns (not its nested defs')."""
    found = Bindings()
    stack: list[tuple[ast.AST, str | None]] = [(source.tree, None)]
    while stack:
        node, function = stack.pop()
        kind = type(node)
        if kind is ast.Call:
            callee = _callee(node.func)  # type: ignore[attr-defined]
            if callee is None:
                last = terminal(node.func)  # type: ignore[attr-defined]
                callee = (last, None) if last is not None else None
            if callee is not None:
                found.callees.add(callee)
        elif kind is ast.Assign:
            for target in node.targets:  # type: ignore[attr-defined]
                if isinstance(target, ast.Name):  # unpacking binds "unknown": it resolves to nothing
                    found.bound.add(target.id)
                    found.bind(target.id, heads(node.value))  # type: ignore[attr-defined]
        elif kind is ast.AnnAssign:
            if isinstance(node.target, ast.Name) and node.value is not None:  # type: ignore[attr-defined]
                found.bound.add(node.target.id)  # type: ignore[attr-defined]
                found.bind(node.target.id, heads(node.value))  # type: ignore[attr-defined]
        elif kind is ast.withitem:
            if node.optional_vars is not None:  # type: ignore[attr-defined]
                values = list(heads(node.context_expr))  # type: ignore[attr-defined]
                for name in _targets(node.optional_vars):  # type: ignore[attr-defined]
                    found.bound.add(name)
                    found.bind(name, values)
        elif kind is ast.ClassDef:
            found.bound.add(node.name)  # type: ignore[attr-defined]
            for base in node.bases:  # type: ignore[attr-defined]
                found.bind(node.name, heads(base))  # type: ignore[attr-defined]
        elif kind is ast.Return:
            if function is not None:
                found.bind(function, heads(node.value))  # type: ignore[attr-defined]
        if kind in (ast.FunctionDef, ast.AsyncFunctionDef):
            found.bound.add(node.name)  # type: ignore[attr-defined]
            function = node.name  # type: ignore[attr-defined]
        elif kind is ast.Lambda:
            function = None  # a lambda's value is not a def's return
        elif kind is ast.ClassDef:
            function = None
        stack.extend((child, function) for child in ast.iter_child_nodes(node))
    return found


__all__ = ["Bindings", "bindings", "heads", "may_call", "mentioned", "names_for", "tail"]
