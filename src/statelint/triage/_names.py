"""Which local names may stand for a given qualified name, over-approximated from CPython's tree.

The libcst name resolver (:mod:`statelint.engine.names`) gives a name the qualified
names of its bindings: imports, ``def``/``class`` targets (a class also resolves to
its bases), assigned values (``memo = functools.lru_cache``, ``with x as y``) and
factory calls (``make()`` resolves to what ``def make`` returns). A name, or an
attribute, can only resolve to ``pkg.mod.func`` if one of these chains ends in
``func``: the tails of the qualified names, their import aliases, and every name
assigned (or a class based on) one of those, to a fixed point. Factories are
approximated file-wide: if any ``return`` hands back such a name, every ``def``
counts as a factory.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from statelint.triage import Source, terminal


@dataclass
class Bindings:
    """Every binding in the file that the resolver follows to another name, scopes ignored."""

    assigned: dict[str, list[ast.expr]] = field(default_factory=dict)  # name -> values assigned to it
    bases: dict[str, list[ast.expr]] = field(default_factory=dict)  # class name -> its bases
    returns: list[ast.expr] = field(default_factory=list)  # every returned value
    defs: set[str] = field(default_factory=set)  # names of every def


@dataclass(frozen=True)
class Aliases:
    names: frozenset[str]  # names and attribute names that may resolve to one of the qualnames
    factories: frozenset[str]  # defs whose call may return one of them

    def may_be(self, func: ast.expr) -> bool:
        """Whether ``func`` (a call's or decorator's callee) may resolve to one of the qualnames."""
        if isinstance(func, ast.Name):
            return func.id in self.names
        if isinstance(func, ast.Attribute):
            return func.attr in self.names
        if isinstance(func, ast.Call):  # make()(...): what make returns
            return isinstance(func.func, ast.Name) and func.func.id in self.factories
        return False


def bindings(source: Source) -> Bindings:
    """The file's :class:`Bindings`, from one walk shared by every predicate."""
    built: Bindings = source.memo("names:bindings", _collect)
    return built


def aliases(source: Source, qualnames: Iterable[str]) -> Aliases:
    """The :class:`Aliases` of ``qualnames`` in ``source``, computed once per set."""
    wanted = frozenset(qualnames)
    key = "names:aliases:" + ",".join(sorted(wanted))
    found: Aliases = source.memo(key, lambda s: _aliases(s, wanted))
    return found


def heads(source: Source) -> frozenset[str]:
    """First parts of every qualified name the file can resolve to: its absolute imports,
    its own package (definitions and relative imports) and ``builtins``. Relative imports
    also count without their dots: the resolver reads them so in a module outside a package."""
    found: frozenset[str] = source.memo("names:heads", _heads)
    return found


def _heads(source: Source) -> frozenset[str]:
    out = {"builtins"}
    if source.module:
        out.add(source.module.split(".")[0])
    for targets in source.index.imports.values():
        for target in targets:
            head = target.lstrip(".").split(".")[0]
            if head:
                out.add(head)
    return frozenset(out)


def _aliases(source: Source, qualnames: frozenset[str]) -> Aliases:
    names = set(source.index.local_names(set(qualnames)))
    if not names & source.index.names:  # no expression names one: no chain can start
        return Aliases(frozenset(names), frozenset())
    found = bindings(source)
    factories: set[str] = set()
    changed = True
    while changed:
        changed = False
        if not factories and any(_refers(value, names, factories) for value in found.returns):
            factories = set(found.defs)
            changed = True
        for name, values in found.assigned.items():
            if name not in names and any(_refers(value, names, factories) for value in values):
                names.add(name)
                changed = True
        for name, bases in found.bases.items():
            if name not in names and any(_refers(base, names, factories) for base in bases):
                names.add(name)
                changed = True
    return Aliases(frozenset(names), frozenset(factories))


def _refers(value: ast.expr, names: set[str], factories: set[str]) -> bool:
    """Whether ``value`` may resolve to what ``names`` stand for (a factory call included)."""
    if isinstance(value, ast.Await):
        value = value.value
    if isinstance(value, (ast.Name, ast.Attribute)):
        return terminal(value) in names
    if isinstance(value, ast.Call):
        return isinstance(value.func, ast.Name) and value.func.id in factories
    return False


def _collect(source: Source) -> Bindings:
    found = Bindings()
    for node in ast.walk(source.tree):
        kind = type(node)
        if kind is ast.Assign:
            for target in node.targets:  # type: ignore[attr-defined]
                for name in _targets(target):
                    found.assigned.setdefault(name, []).append(node.value)  # type: ignore[attr-defined]
        elif kind is ast.AnnAssign or kind is ast.NamedExpr:
            if node.value is not None and isinstance(node.target, ast.Name):  # type: ignore[attr-defined]
                found.assigned.setdefault(node.target.id, []).append(node.value)  # type: ignore[attr-defined]
        elif kind is ast.withitem:
            if node.optional_vars is not None:  # type: ignore[attr-defined]
                for name in _targets(node.optional_vars):  # type: ignore[attr-defined]
                    found.assigned.setdefault(name, []).append(node.context_expr)  # type: ignore[attr-defined]
        elif kind is ast.ClassDef:
            found.bases.setdefault(node.name, []).extend(node.bases)  # type: ignore[attr-defined]
        elif kind is ast.Return:
            if node.value is not None:  # type: ignore[attr-defined]
                found.returns.append(node.value)  # type: ignore[attr-defined]
        elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            found.defs.add(node.name)  # type: ignore[attr-defined]
    return found


def _targets(target: ast.expr) -> Iterator[str]:
    """Names an assignment target binds, unpacking included (an over-approximation)."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _targets(element)
    elif isinstance(target, ast.Starred):
        yield from _targets(target.value)
