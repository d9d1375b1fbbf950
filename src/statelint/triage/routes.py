"""Triage for the route facts of SL605 and the health facts of SL601-SL603.

:class:`statelint.rules._routes.RouteFinder` recognises a route in a few shapes; each has
a cheap sign on CPython's tree, over-approximated here:

* route decorators and registration methods on any receiver (``@app.get``,
  ``add_url_rule``): a path argument that is not a string literal without a leading ``/``
  (a literal ``/x``, or an expression: a constant, an f-string, or a path the framework
  computes);
* ``.mount("/x")``, ``register_blueprint``/``include_router`` of an imported name;
* function-style declarations, mounts and servers with routes of their own (``path()``,
  ``Route()``, ``Mount()``, ``FastAPI()``, ``start_http_server``): a call that may resolve
  to them (:func:`statelint.triage.aliases.may_call`);
* Tornado ``(pattern, Handler)`` tuples, with an ``Application``/``add_handlers`` call or a
  ``RequestHandler`` in sight; gRPC health servicers, whose names end in ``HealthServicer``
  (so does ``add_HealthServicer_to_server``, which registers any class as one).

The health rules also read a class defining ``Check`` (a servicer another module may
register), and where a file sets the statuses of the stock servicer: it spells one of the
catalog's ``status_needles``.

The health rules record a fact only for a route whose path matches ``health-paths`` (or a
gRPC health check), or for a module-level function or class named like a health check.
A path is read as the rule reads it: a literal, a constant holding one, an f-string
(any f-string counts), or a blueprint prefix joined to it (any prefix keyword counts).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from statelint.triage import Source
from statelint.triage.aliases import may_call, mentioned

_GRPC_SIGN = "HealthServicer"
_REGEX_META = re.compile(r"[\\\[\](){}*+?|.^$]")
_COMPOUND = (ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Try, ast.Match)
if hasattr(ast, "TryStar"):
    _COMPOUND = (*_COMPOUND, ast.TryStar)


class Shapes:
    """The route-like shapes of one file, from one walk."""

    __slots__ = ("paths", "mounts", "tuples", "formatted")

    def __init__(self) -> None:
        self.paths: list[ast.expr] = []  # path arguments of route decorators and registrations
        self.mounts = False  # .mount("/x"), or a blueprint/router imported and attached
        self.tuples: list[str] = []  # first strings of ("...", x, ...) tuples
        self.formatted = False  # an f-string somewhere


# -- the predicates -------------------------------------------------------------------------
def declares_routes(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL605: the file may declare a route, a mount or a framework's own routes."""
    routes = knowledge["routes"]
    if _grpc(source):
        return True
    if may_call(source, _function_style(routes, mounts=True)):
        return True
    if _methods_called(source, routes):
        found = shapes(source, routes)
        if found.paths or found.mounts:
            return True
    return _tornado(source, routes)


def health_facts(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL601-SL603: a health route (path matching ``health-paths``, or gRPC), or a handler named like one."""
    healthy = _healthy(options["health-paths"])
    routes = knowledge["routes"]
    if _grpc(source) or any(_health_name(name, healthy) for name in module_definitions(source)):
        return True
    grpc = routes["grpc"]
    if f"def {grpc['method']}" in source.text or any(n in source.text for n in grpc.get("status_needles", ())):
        return True
    if may_call(source, _function_style(routes, mounts=False)):
        found = shapes(source, routes)
        if found.formatted or any(healthy(s) for s in source.strings):
            return True
    if _methods_called(source, routes) and _health_path(source, routes, healthy):
        return True
    return _tornado(source, routes) and any(healthy(t) for t in shapes(source, routes).tuples)


# -- the signs ---------------------------------------------------------------------------------
def _grpc(source: Source) -> bool:
    """A base or stock servicer named ``...HealthServicer`` (the name is spelled in the file)."""
    return _GRPC_SIGN in source.text


def _function_style(routes: Mapping[str, Any], *, mounts: bool) -> list[str]:
    """Qualified names of the declarations that must resolve through imports."""
    names = [name for entry in routes["calls"] for name in entry["names"]]
    if mounts:
        names += [name for entry in routes["mounts"] for name in entry["names"]]
        names += list(routes.get("implicit", {}))
    return names


def _methods_called(source: Source, routes: Mapping[str, Any]) -> bool:
    """A route decorator, registration, mount or attach method is called on something."""
    methods = {*routes["decorators"], *routes["registrations"], *routes["attach_methods"], "mount"}
    return bool(methods & source.index.called)


def _tornado(source: Source, routes: Mapping[str, Any]) -> bool:
    """``(pattern, Handler)`` tuples that an Application lists or whose handler may be a RequestHandler."""
    tornado = routes["tornado"]
    listed = "add_handlers" in source.index.called or may_call(source, tornado["applications"])
    if not listed and not mentioned(source, tornado["handler_bases"]):
        return False
    return bool(shapes(source, routes).tuples)


def _health_path(source: Source, routes: Mapping[str, Any], healthy: Callable[[str], bool]) -> bool:
    """A route decorator or registration whose path (as the rule reads it) may be a health path."""
    found = shapes(source, routes)
    if not found.paths:
        return False
    if set(routes["prefix_keywords"]) & source.index.keywords:
        return True  # a blueprint prefix joined to the path
    for path in found.paths:
        if isinstance(path, ast.Constant) and isinstance(path.value, str) and healthy(path.value):
            return True
        if isinstance(path, ast.JoinedStr):
            return True
        if isinstance(path, ast.Name) and any(healthy(s) for s in source.strings):
            return True  # a constant holding the path
    return False


def _health_name(name: str, healthy: Callable[[str], bool]) -> bool:
    return any(healthy("/" + token) for token in _name_tokens(name))


# -- the walk ----------------------------------------------------------------------------------
def shapes(source: Source, routes: Mapping[str, Any]) -> Shapes:
    """The route-like :class:`Shapes` of ``source``, from one walk."""
    built: Shapes = source.memo("routes:shapes", lambda s: _shapes(s, routes))
    return built


def _shapes(source: Source, routes: Mapping[str, Any]) -> Shapes:
    found = Shapes()
    decorators, registrations = routes["decorators"], routes["registrations"]
    attach = routes["attach_methods"]
    imported = source.imports
    for node in source.nodes:
        kind = type(node)
        if kind is ast.JoinedStr:
            found.formatted = True
        elif kind is ast.Tuple:
            first = node.elts[0] if len(node.elts) >= 2 else None  # type: ignore[attr-defined]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.tuples.append(first.value)
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            for decorator in node.decorator_list:  # type: ignore[attr-defined]
                if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute):
                    if decorator.func.attr in decorators:
                        found.paths += _paths(decorator, (0, 1), ("rule", "path"))
        elif kind is ast.Call and isinstance(node.func, ast.Attribute):  # type: ignore[attr-defined]
            attr = node.func.attr  # type: ignore[attr-defined]
            args = _positional(node)  # type: ignore[arg-type]
            if attr in registrations:
                spec = registrations[attr]
                found.paths += _paths(node, spec["path"], spec.get("keywords", ()))  # type: ignore[arg-type]
            elif attr == "mount":
                found.mounts |= bool(_paths(node, (0,), ()))  # type: ignore[arg-type]
            elif attr in attach and args and isinstance(args[0], (ast.Name, ast.Attribute)):
                found.mounts |= _head(args[0]) in imported
    return found


def _positional(call: ast.Call) -> list[ast.expr]:
    """Positional arguments up to the first ``*args``, as the rule reads them."""
    out: list[ast.expr] = []
    for arg in call.args:
        if isinstance(arg, ast.Starred):
            break
        out.append(arg)
    return out


def _paths(call: ast.Call, positions: Any, keywords: Any) -> list[ast.expr]:
    """The arguments that may be a route's path: anything but a string literal without a leading ``/``."""
    args = _positional(call)
    candidates = [args[i] for i in positions if i < len(args)]
    candidates += [k.value for k in call.keywords if k.arg in keywords]
    return [c for c in candidates if not _relative_literal(c)]


def _relative_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and not node.value.startswith("/")


def _head(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def module_definitions(source: Source) -> list[str]:
    """Names of the functions and classes defined in the module's own scope (inside if/try/with too)."""
    found: list[str] = source.memo("routes:definitions", lambda s: list(_definitions(s.tree.body)))
    return found


def _definitions(body: list[ast.stmt]) -> Iterator[str]:
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield statement.name
        elif isinstance(statement, ast.Match):
            for case in statement.cases:
                yield from _definitions(case.body)
        elif isinstance(statement, _COMPOUND):
            for part in ("body", "orelse", "finalbody"):
                yield from _definitions(getattr(statement, part, []))
            for handler in getattr(statement, "handlers", []):
                yield from _definitions(handler.body)


# -- paths and names, as :mod:`statelint.rules.sl6_project` reads them -------------------------
@lru_cache(maxsize=16)
def _healthy(pattern: str) -> Callable[[str], bool]:
    """Whether a written path, read as a template or as a regex, is a health path for ``pattern``."""
    regex = re.compile(pattern)

    @lru_cache(maxsize=4096)
    def healthy(path: str) -> bool:
        return any(p is not None and regex.search(p) is not None for p in (plain_path(path, "template"), plain_path(path, "regex")))

    return healthy


def normalize(path: str) -> str:
    """A URL path without query, fragment, or leading and trailing slashes (the rules' definition too)."""
    return path.split("?", 1)[0].split("#", 1)[0].strip("/")


def plain_path(path: str, style: str) -> str | None:
    """``/healthz`` for a route without parameters, as a probe would request it; else None (the rules' too)."""
    if style == "regex":
        text = path.removeprefix("^").removesuffix("$").removesuffix("/?").replace("\\/", "/").replace("\\-", "-")
        if _REGEX_META.search(text):
            return None
    elif "<" in path or "{" in path:
        return None
    else:
        text = path
    return "/" + normalize(text)


def _name_tokens(name: str) -> list[str]:
    """:func:`statelint.rules._routes.name_tokens`: ``isReady`` -> ``is``, ``ready``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [t for t in re.split(r"[_\W]+", spaced.lower()) if t]


__all__ = ["Shapes", "declares_routes", "health_facts", "module_definitions", "shapes"]
