"""Which local names may stand for given qualified names: the one over-approximation of
:mod:`statelint.engine.names` that every triage predicate shares.

The resolver gives an expression the qualified names of its bindings. The last part of
such a name always comes from the source itself: an attribute (``threading.Thread``), an
import (``from threading import Thread as T``; ``import a.b`` binds ``a``; relative
imports too), a ``def``/``class`` of the file, or a builtin, reached through

* assignments at any scope (plain, unpacking, annotated, ``:=``) and ``with ... as``;
* class bases, starred ones included (``class Worker(Thread)``: a class resolves to them);
* factories: ``make()`` resolves to what ``def make`` returns (each def's own returns);
* calls and awaits: ``x = T()``, ``(await x)(...)``.

So an expression may resolve to ``a.b.Tail`` only if its last name is ``Tail``, an alias
imported for it, or a name bound to one of those, to a fixed point. Scopes and order are
ignored and call results are followed as if they were their callee, which only widens the
set. One walk per file collects the bindings (:func:`bindings`), and only once a cheap
check passed: some name spelled in the code is a tail or an import alias of the wanted names.

The API, each answer memoised per file and per set of qualified names:

* :func:`aliases`: the :class:`Aliases` (names, and :meth:`Aliases.may_be` for one expression);
* :func:`called`: some call's callee may resolve to one of them;
* :func:`may_call`: the same, narrowed by where the callee's attribute chain starts;
* :func:`mentioned`: the cheap necessary condition on its own;
* :func:`heads`: the first parts of the qualified names the file's imports can reach at all.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterable
from typing import NamedTuple

from statelint.project.syntax import bound_names
from statelint.triage import DEFS, Source, children, terminal

_AWAITED_CALLEE = re.compile(r"\(\s*await\b")
_BUILTINS = frozenset(dir(builtins))


def tail(qualname: str) -> str:
    """``Process`` for ``multiprocessing.get_context().Process``; ``Flask`` for ``flask.Flask()``."""
    return qualname.removesuffix("()").rsplit(".", 1)[-1].removesuffix("()")


def last_name(expr: ast.expr | None) -> str | None:
    """The last name of what ``expr`` may resolve to: ``a.b`` -> ``b``; ``f()``, ``await f``, ``*f`` -> ``f``."""
    while isinstance(expr, (ast.Await, ast.Call, ast.Starred)):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return None


class Bindings:
    """Every binding the resolver follows from one name to another, from one walk (scopes ignored)."""

    __slots__ = ("users", "assigned", "bound", "callees", "awaited")

    def __init__(self) -> None:
        self.users: dict[str, set[str]] = {}  # last name of a value -> names bound to it
        self.assigned: set[str] = set()  # names assigned (any form, unpacking too) or bound by ``with``
        #: names the resolver gives a value: plain and annotated assignments, ``with ... as``, defs and classes
        self.bound: set[str] = set()
        #: each call's callee: (its last name, the name its attribute chain starts from, or None for a bare name)
        self.callees: set[tuple[str, str | None]] = set()
        self.awaited: list[ast.expr] = []  # x of every ``(await x)(...)``

    def bind(self, names: Iterable[str], value: ast.expr | None) -> None:
        last = last_name(value)
        if last is not None:
            self.users.setdefault(last, set()).update(names)

    def assign(self, target: ast.expr, value: ast.expr, resolved: bool) -> None:
        """``target = value``; ``resolved`` when the resolver gives the names that value (not
        for unpacking, which it binds to nothing, nor for ``:=``, which it does not see)."""
        names = list(bound_names(target))
        self.assigned.update(names)
        if resolved:
            self.bound.update(names)
        self.bind(names, value)

    def call(self, func: ast.expr) -> None:
        if isinstance(func, ast.Await):
            self.awaited.append(func.value)
        callee = _callee(func)
        if callee is not None:
            self.callees.add(callee)


class Aliases(NamedTuple):
    """Names (and attribute names) that may resolve to one of some qualified names, or return one when called."""

    names: frozenset[str]

    def may_be(self, expr: ast.expr | None) -> bool:
        """Whether ``expr`` (a callee, a decorator, a value) may resolve to one of the qualified names."""
        return last_name(expr) in self.names


def bindings(source: Source) -> Bindings:
    """The file's :class:`Bindings`, from one walk shared by every predicate that asks."""
    built: Bindings = source.memo("aliases:bindings", _collect)
    return built


def aliases(source: Source, qualnames: Iterable[str]) -> Aliases:
    """The :class:`Aliases` of ``qualnames`` in ``source``; no walk when no name spelled in the code can start a chain."""
    wanted = frozenset(qualnames)
    found: Aliases = source.memo("aliases:names:" + ",".join(sorted(wanted)), lambda s: _aliases(s, wanted))
    return found


def mentioned(source: Source, qualnames: Iterable[str]) -> bool:
    """Whether code may refer to one of ``qualnames`` at all: a tail or an import alias of one is spelled."""
    return bool(local_names(source, qualnames) & source.index.names)


def called(source: Source, qualnames: Iterable[str]) -> bool:
    """Whether some call's callee (``(await x)(...)`` included) may resolve to one of ``qualnames``."""
    found = aliases(source, qualnames)
    if not found.names:
        return False
    index = source.index
    if found.names & index.called:
        return True
    return bool(found.names & index.names) and any(found.may_be(x) for x in bindings(source).awaited)


def may_call(source: Source, qualnames: Iterable[str]) -> bool:
    """Like :func:`called`, but an attribute callee ``root.x.y`` also needs a ``root`` that may lead
    there (an import of a prefix, a bound or builtin name); any ``(await ...`` is assumed to match."""
    wanted = frozenset(qualnames)
    if not mentioned(source, wanted):
        return False
    if _AWAITED_CALLEE.search(source.text):
        return True
    names = aliases(source, wanted).names
    if not names & source.index.called:
        return False
    found = bindings(source)
    for last, root in found.callees:
        if last in names:
            if root is None and _bare_may_lead(source, found, last, wanted):
                return True
            if root is not None and _may_lead(source, found, root, wanted):
                return True
    return False


def heads(source: Source) -> frozenset[str]:
    """First parts of every qualified name the file can resolve to: its absolute imports,
    its own package (definitions and relative imports) and ``builtins``. Relative imports
    also count without their dots: the resolver reads them so in a module outside a package."""
    found: frozenset[str] = source.memo("aliases:heads", _heads)
    return found


def importable(source: Source, qualnames: Iterable[str]) -> bool:
    """Whether the file can name the package of one of ``qualnames`` at all (see :func:`heads`)."""
    return not heads(source).isdisjoint(q.split(".")[0] for q in qualnames)


# -- names ----------------------------------------------------------------------------------
def local_names(source: Source, qualnames: Iterable[str]) -> frozenset[str]:
    """The tails of ``qualnames`` and the local names imported for them (or for such a name), to a fixed point:
    what a call's last name must be to resolve to one of them through imports alone (memoised per file)."""
    wanted = frozenset(qualnames)
    found: frozenset[str] = source.memo("aliases:local:" + ",".join(sorted(wanted)), lambda s: _local_names(s, wanted))
    return found


def _local_names(source: Source, qualnames: frozenset[str]) -> frozenset[str]:
    seeds = {tail(q) for q in qualnames}
    imports = source.imports
    changed = True
    while changed:
        changed = False
        for local, targets in imports.items():
            if local not in seeds and any(t in qualnames or tail(t) in seeds for t in targets):
                seeds.add(local)
                changed = True
    return frozenset(seeds)


def _aliases(source: Source, qualnames: frozenset[str]) -> Aliases:
    imported = local_names(source, qualnames)
    if not imported & source.index.names:  # no expression names one: no chain can start
        return Aliases(imported)
    found = set(imported)
    users = bindings(source).users
    pending = list(found)
    while pending:
        for user in users.get(pending.pop(), ()):
            if user not in found:
                found.add(user)
                pending.append(user)
    return Aliases(frozenset(found))


def _bare_may_lead(source: Source, found: Bindings, name: str, qualnames: frozenset[str]) -> bool:
    """Whether a call of the bare name ``name`` may resolve into ``qualnames``.

    A name the file binds otherwise than by import (assignment, ``with``, def, class)
    may hold anything. An imported name holds exactly its import's target: the
    resolver follows no re-export, so ``from distutils.spawn import spawn`` is not
    ``gevent.spawn``. A name nothing binds is a builtin or nothing (the resolver
    ignores star imports), and so are the names of parameters and loop variables.
    """
    if name in found.bound or name in found.assigned:
        return True
    if f"builtins.{name}" in qualnames:
        return True
    package = _package(source)
    for target in source.imports.get(name, ()):
        absolute = _absolute(target, package) if target.startswith(".") else target
        if absolute is not None and absolute in qualnames:
            return True
    return False


def _may_lead(source: Source, found: Bindings, root: str, qualnames: frozenset[str]) -> bool:
    """Whether ``root.x.y`` may resolve into ``qualnames``: a parameter or unbound name resolves to nothing,
    an import only to what lies under its target."""
    if root in found.bound or root in _BUILTINS:
        return True
    prefixes = set()
    for target in source.imports.get(root, ()):
        if target.startswith("."):
            return True  # relative: its package is not known here
        # `import a.b` binds `a` to the package `a` itself
        prefixes.add(target.split(".")[0] if target.split(".")[0] == root else target)
    return any(q.startswith((p + ".", p + "(")) for p in prefixes for q in qualnames)


# -- the walk -------------------------------------------------------------------------------
def _collect(source: Source) -> Bindings:
    """Calls, assignments, ``with ... as``, class bases, and each def's returns (those of nested
    defs go to the nested def; a class body inside a def counts for the def, which only widens)."""
    found = Bindings()
    stack: list[tuple[ast.AST, str | None]] = [(source.tree, None)]
    while stack:
        node, function = stack.pop()
        kind = type(node)
        if kind is ast.Call:
            found.call(node.func)  # type: ignore[attr-defined]
        elif kind is ast.Assign:
            for target in node.targets:  # type: ignore[attr-defined]
                found.assign(target, node.value, isinstance(target, ast.Name))  # type: ignore[attr-defined]
        elif kind is ast.AnnAssign or kind is ast.NamedExpr:
            if node.value is not None:  # type: ignore[attr-defined]
                found.assign(node.target, node.value, kind is ast.AnnAssign)  # type: ignore[attr-defined]
        elif kind is ast.withitem:
            if node.optional_vars is not None:  # type: ignore[attr-defined]
                found.assign(node.optional_vars, node.context_expr, True)  # type: ignore[attr-defined]
        elif kind is ast.ClassDef:
            found.bound.add(node.name)  # type: ignore[attr-defined]
            for base in node.bases:  # type: ignore[attr-defined]
                found.bind((node.name,), base)  # type: ignore[attr-defined]
        elif kind is ast.Return:
            if function is not None:
                found.bind((function,), node.value)  # type: ignore[attr-defined]
        elif kind in DEFS:
            found.bound.add(node.name)  # type: ignore[attr-defined]
            function = node.name  # type: ignore[attr-defined]
        for child in children(node):
            stack.append((child, function))
    return found


def _callee(func: ast.expr) -> tuple[str, str | None] | None:
    """(last name, root name) of a callee: ``a.b().c`` -> (``c``, ``a``); a bare name has no root;
    ``f()(...)`` is named by its inner callee; an awaited callee has no name."""
    if isinstance(func, ast.Attribute):
        expr: ast.expr = func.value
        while isinstance(expr, (ast.Attribute, ast.Call, ast.Await)):
            expr = expr.func if isinstance(expr, ast.Call) else expr.value
        if isinstance(expr, ast.Name):
            return func.attr, expr.id
    last = terminal(func)
    return (last, None) if last is not None else None


# -- roots ----------------------------------------------------------------------------------
def _heads(source: Source) -> frozenset[str]:
    out = {"builtins"}
    if source.module:
        out.add(source.module.split(".")[0])
    for targets in source.imports.values():
        for target in targets:
            head = target.lstrip(".").split(".")[0]
            if head:
                out.add(head)
    return frozenset(out)


def _package(source: Source) -> str:
    """The package relative imports start from, as :class:`statelint.engine.names.NameResolver` computes it."""
    if source.path.replace("\\", "/").rsplit("/", 1)[-1] == "__init__.py":
        return source.module
    return source.module.rpartition(".")[0]


def _absolute(target: str, package: str) -> str | None:
    """``..a.b`` seen from ``package``, or None when it climbs above the top-level package."""
    rest = target.lstrip(".")
    level = len(target) - len(rest)
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    return ".".join([*parts[: len(parts) - (level - 1)], rest])


__all__ = [
    "Aliases",
    "Bindings",
    "aliases",
    "bindings",
    "called",
    "heads",
    "importable",
    "last_name",
    "local_names",
    "may_call",
    "mentioned",
    "tail",
]
