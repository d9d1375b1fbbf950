"""Triage for the loopback-bind rules (SL301-SL303), which share one detector.

The detector (:mod:`statelint.rules.sl3_binds`) reports only *sites*: a call whose
callee resolves to one of the catalog's ``entry_points``, an assignment to an
attribute that resolves to one of its ``bind_attributes``, or a module-level
``bind = ...`` in a gunicorn configuration file. Everything else it follows
(argparse, click and typer defaults, environment getters, parameters, settings
classes, ``**kwargs``) only classifies the host of a site, and it records no
facts, so a file without a possible site is skipped safely.

A qualified name (:mod:`statelint.engine.names`) grows from a *root*: an import
target, or a def or class of the module itself (``<module>.<name>``). So an
entry point is possible only when one of the file's roots is a prefix of it, and
then only through a call of an expression that can resolve to it exactly: an
attribute named like its last part, or a name imported, assigned, subclassed or
returned by a local factory from such an expression. This over-approximates the
resolver (it ignores scopes and order), never the reverse.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from statelint.triage import Source

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass
class Bindings:
    """What a name can stand for in a file, from one walk (scopes and order ignored)."""

    assigns: list[tuple[str, ast.expr]] = field(default_factory=list)  # name = value, with value as name
    bases: list[tuple[str, ast.expr]] = field(default_factory=list)  # class name, one positional base
    returns: list[tuple[str, ast.expr]] = field(default_factory=list)  # def name, one returned value
    awaited: list[ast.expr] = field(default_factory=list)  # x of every ``(await x)(...)``


def could_bind(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL301-SL303: the file may hold a server entry point, a bind attribute or a gunicorn ``bind``."""
    index = source.index
    if "bind" in index.names and _basename(source.path) in knowledge.get("gunicorn_config_files", ()):
        return True
    targets = [t for entry in knowledge.get("bind_attributes", ()) for t in entry["targets"]]
    if _tails(reachable(source, targets)) & index.names:
        return True  # an attribute of that name is used somewhere: maybe assigned
    tails = _tails(reachable(source, [c for entry in knowledge["entry_points"] for c in entry["calls"]]))
    if not tails:
        return False
    if tails & index.called:
        return True
    aliases = {local for local, found in index.imports.items() if any(t.rsplit(".", 1)[-1] in tails for t in found)}
    if not (tails & index.names or aliases):
        return False  # nothing in the file is named like an entry point: no expression can resolve to one
    return _aliased_call(source, tails, aliases)


def reachable(source: Source, qualnames: list[str]) -> frozenset[str]:
    """The ``qualnames`` some root of the file is a prefix of (others cannot be resolved to here)."""
    found: frozenset[str] = source.memo("binds:reachable:" + "|".join(qualnames), lambda s: _reachable(s, qualnames))
    return found


def _reachable(source: Source, qualnames: list[str]) -> frozenset[str]:
    roots = _roots(source)
    heads = {r.split(".", 1)[0] for r in roots}
    candidates = [q for q in qualnames if q.split(".", 1)[0].split("(", 1)[0] in heads]
    return frozenset(q for q in candidates if any(q == r or q.startswith((r + ".", r + "(")) for r in roots))


# -- roots --------------------------------------------------------------------------------------
def _roots(source: Source) -> frozenset[str]:
    found: frozenset[str] = source.memo("binds:roots", _collect_roots)
    return found


def _collect_roots(source: Source) -> frozenset[str]:
    """Import targets as the resolver binds them, the module's own prefix, and ``builtins``."""
    roots = {"builtins"}
    if source.module:
        roots.add(source.module)
    package = _package(source)
    for local, targets in source.index.imports.items():
        for target in targets:
            if target.startswith("."):
                absolute = _absolute(target, package)
                if absolute is None:
                    continue  # beyond the top-level package: the resolver binds nothing either
                target = absolute
            head = target.split(".")[0]
            roots.add(head if local == head else target)  # `import a.b` binds `a`; a shorter root only accepts more
    return frozenset(roots)


def _package(source: Source) -> str:
    """The package relative imports start from, as :class:`statelint.engine.names.NameResolver` computes it."""
    if _basename(source.path) == "__init__.py":
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


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _tails(qualnames: Iterable[str]) -> set[str]:
    return {q.rsplit(".", 1)[-1] for q in qualnames}


# -- aliases ------------------------------------------------------------------------------------
def _aliased_call(source: Source, tails: set[str], aliases: set[str]) -> bool:
    """Whether some call's callee may resolve exactly to an entry point named in ``tails``.

    ``names`` grows to every name that may: the tails themselves (a def, a class or an
    import of that name), import aliases, and names assigned, subclassed from, or
    returned (``factories``) from such an expression, until nothing changes.
    """
    found = _bindings(source)
    names, factories = tails | aliases, set()

    def exact(expr: ast.expr) -> bool:
        while isinstance(expr, (ast.Await, ast.Starred)):  # `class C(*bases)` resolves `bases` too
            expr = expr.value
        if isinstance(expr, ast.Name):
            return expr.id in names
        if isinstance(expr, ast.Attribute):
            return expr.attr in tails
        return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in factories

    changed = True
    while changed:
        changed = False
        for grown, pairs in ((names, found.assigns), (names, found.bases), (factories, found.returns)):
            for name, value in pairs:
                if name not in grown and exact(value):
                    grown.add(name)
                    changed = True
    called = source.index.called  # a callee ``g()`` counts as ``g``: factories are found there too
    return bool(called & (names | factories)) or any(exact(value) for value in found.awaited)


def _bindings(source: Source) -> Bindings:
    found: Bindings = source.memo("binds:bindings", _collect_bindings)
    return found


def _collect_bindings(source: Source) -> Bindings:
    """One walk that keeps each ``return`` with its nearest enclosing def, as the resolver does."""
    found = Bindings()
    stack: list[tuple[ast.AST, str | None]] = [(source.tree, None)]
    while stack:
        node, function = stack.pop()
        if isinstance(node, ast.Assign):
            found.assigns += [(t.id, node.value) for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
            found.assigns.append((node.target.id, node.value))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            found.assigns += [(name, node.context_expr) for name in _stored(node.optional_vars)]
        elif isinstance(node, ast.ClassDef):
            found.bases += [(node.name, base) for base in node.bases]
        elif isinstance(node, ast.Return) and node.value is not None and function is not None:
            found.returns.append((function, node.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Await):
            found.awaited.append(node.func.value)
        if isinstance(node, _FUNCTIONS):
            function = node.name
        elif isinstance(node, ast.Lambda):
            function = None  # a lambda is no factory, and a return cannot sit in one
        stack.extend((child, function) for child in ast.iter_child_nodes(node))
    return found


def _stored(target: ast.expr) -> Iterable[str]:
    """Names a ``with ... as`` target binds (the resolver binds each to the whole context value)."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _stored(element)
    elif isinstance(target, ast.Starred):
        yield from _stored(target.value)
