"""What a health handler does: answer success whatever happens, or call a dependency.

Two questions about the function answering a health route (SL601, SL603):

* does it *always succeed*? Its body is straight-line code (no branch, loop, ``try``,
  ``raise`` or ``await``), calls nothing but response constructors, logging and inert
  helpers (clocks, environment reads), and every response it can give has a success
  status (a constant 2xx/3xx, ``SERVING``, or the framework default). Reading a flag
  into the body does not count as checking: the probe only sees the status.
* does it *call a dependency*? A call that resolves to a database, cache, broker or
  HTTP client library, a method whose name says so (``ping``, ``execute``, ``cursor``),
  an SQL string, or a helper whose name names one (``check_db``). Helpers defined in
  the module are followed a few levels down.

The libraries, constructors and names come from the catalog (``knowledge.handlers``).
"""

from __future__ import annotations

import http
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst

from statelint.analyses.routes import keyword, literal_string, name_tokens, positional
from statelint.engine.context import FileContext
from statelint.engine.names import Scope, dotted_name
from statelint.engine.walker import children

_MAX_DEPTH = 3  # helper functions followed below a handler
_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|SHOW|PRAGMA)\b", re.IGNORECASE)
_NESTED = (cst.FunctionDef, cst.ClassDef)  # lambdas run inside the handler: searched too


@dataclass(frozen=True)
class Dependency:
    node: cst.CSTNode  # the expression in the handler that leads to the dependency
    what: str
    kind: str  # database | cache | broker | service


@dataclass(frozen=True)
class Verdict:
    always_succeeds: bool
    dependency: Dependency | None


def _statements(func: cst.FunctionDef) -> list[cst.BaseStatement]:
    body = func.body
    if isinstance(body, cst.IndentedBlock):
        return list(body.body)
    return [cst.SimpleStatementLine(body=body.body)] if isinstance(body, cst.SimpleStatementSuite) else []


def _nodes(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under ``root`` in source order, without entering nested functions or classes."""
    stack = list(reversed(children(root)))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _NESTED):
            stack.extend(reversed(children(node)))


def _matches(name: str, prefixes: Mapping[str, str]) -> str | None:
    """The kind of the first prefix ``name`` falls under (``redis`` covers ``redis.Redis().ping``)."""
    for prefix, kind in prefixes.items():
        if name == prefix or name.startswith((prefix + ".", prefix + "(")):
            return kind
    return None


class HandlerJudge:
    """Judges handler functions of one module."""

    def __init__(self, ctx: FileContext, knowledge: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.builders: dict[str, Mapping[str, Any]] = {}
        self.builder_suffixes: list[tuple[str, Mapping[str, Any]]] = []
        for entry in knowledge["responses"]:
            for name in entry.get("names", ()):
                self.builders[name] = entry
            for suffix in entry.get("suffixes", ()):
                self.builder_suffixes.append((suffix, entry))
        self.inert = {prefix: "inert" for prefix in knowledge["inert_calls"]}
        self.writers = frozenset(knowledge["writer_methods"])
        self.success_names = re.compile(knowledge["success_names"])
        self.failure_names = re.compile(knowledge["failure_names"])
        self.dependencies = {p: kind for kind, prefixes in knowledge["dependencies"].items() for p in prefixes}
        self.dependency_methods: Mapping[str, str] = knowledge["dependency_methods"]
        self.dependency_words: Mapping[str, str] = knowledge["dependency_words"]
        self.none_answers_success = frozenset(knowledge["none_answers_success"])

    def judge(self, func: cst.FunctionDef | cst.Lambda, scope: Scope, owner: cst.ClassDef | None, framework: str = "") -> Verdict:
        """``framework``: the route's, when known: a handler that returns nothing (``pass``) answers
        success in some (FastAPI, Tornado), an error in the others."""
        nothing = framework in self.none_answers_success
        return Verdict(self._succeeds(func, scope, owner, nothing), self.dependency(func, scope, owner, 0, set()))

    def judge_response(self, expr: cst.BaseExpression, scope: Scope) -> Verdict:
        """A response object used as the endpoint itself (Starlette ``Route("/x", PlainTextResponse("ok"))``)."""
        return Verdict(self._builder(expr, scope) is not None and self._success(expr, scope), None)

    # -- always succeeds --------------------------------------------------------------------
    def _succeeds(self, func: cst.FunctionDef | cst.Lambda, scope: Scope, owner: cst.ClassDef | None, nothing: bool) -> bool:
        """``nothing``: returning nothing answers success (``pass``, a bare ``return``: FastAPI's null)."""
        if isinstance(func, cst.Lambda):
            return self._success(func.body, scope)
        answered = False
        for statement in _statements(func):
            if not isinstance(statement, cst.SimpleStatementLine):
                return False  # a branch, loop, try or with: it decides something
            for small in statement.body:
                outcome = self._small(small, scope, owner, nothing)
                if outcome is None:
                    return False
                answered |= outcome
        return answered or nothing  # falling off the end returns None

    def _small(self, small: cst.BaseSmallStatement, scope: Scope, owner: cst.ClassDef | None, nothing: bool) -> bool | None:
        """True: answers success; False: harmless; None: may fail, or cannot tell."""
        if isinstance(small, cst.Pass):
            return False
        if isinstance(small, cst.Return):
            if small.value is None or (isinstance(small.value, cst.Name) and small.value.value == "None"):
                return True if nothing else None
            return True if self._success(small.value, scope) else None
        if isinstance(small, cst.Assign) and all(isinstance(t.target, cst.Name) for t in small.targets):
            return False if self._success(small.value, scope) else None
        if isinstance(small, cst.Expr):
            value = small.value
            if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
                return False  # docstring
            if isinstance(value, cst.Call):
                return self._statement_call(value, scope, owner)
        return None

    def _statement_call(self, call: cst.Call, scope: Scope, owner: cst.ClassDef | None) -> bool | None:
        func = call.func
        if owner is not None and isinstance(func, cst.Attribute) and dotted_name(func.value) == "self":
            if func.attr.value not in self.writers or not self._plain_args(call, scope):
                return None
            if func.attr.value == "set_status":
                args = positional(call)
                return False if args and self._status_ok(args[0], False) else None
            return True  # Tornado's self.write/finish: answers 200 unless a status says otherwise
        return False if self._inert(call, scope) and self._plain_args(call, scope) else None

    def _success(self, expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> bool:
        """Whether ``expr``, returned, is a success response whatever the state."""
        if depth > _MAX_DEPTH * 3:
            return False
        if isinstance(expr, cst.IfExp):
            return self._success(expr.body, scope, depth + 1) and self._success(expr.orelse, scope, depth + 1)
        if isinstance(expr, cst.Tuple) and 2 <= len(expr.elements) <= 3:  # Flask's (body, status[, headers])
            body, status = expr.elements[0].value, expr.elements[1].value
            return self._plain(body, scope) and self._status_ok(status, False) and self._plain(expr, scope)
        builder = self._builder(expr, scope)
        if builder is not None:
            assert isinstance(expr, cst.Call)
            return self._plain_args(expr, scope) and self._builder_status(expr, builder)
        if isinstance(expr, cst.Name) and expr.value not in ("True", "False", "None"):
            return self._local_success(expr, scope, depth)
        return self._plain(expr, scope)

    def _local_success(self, name: cst.Name, scope: Scope, depth: int) -> bool:
        """A returned name succeeds when its only value does (``resp = JSONResponse(...)``)."""
        bindings = self.ctx.resolver.lookup(name.value, scope)
        if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].value is not None:
            return self._success(bindings[0].value, bindings[0].scope, depth + 1)
        return False  # a parameter, an import or a value set in several places: cannot tell

    def _builder(self, expr: cst.BaseExpression, scope: Scope) -> Mapping[str, Any] | None:
        if not isinstance(expr, cst.Call):
            return None
        for name in self.ctx.qualnames(expr.func, scope):
            if name in self.builders:
                return self.builders[name]
            for suffix, entry in self.builder_suffixes:
                if name.endswith(suffix):
                    return entry
        return None

    def _builder_status(self, call: cst.Call, builder: Mapping[str, Any]) -> bool:
        spec = builder.get("status") or {}
        grpc = bool(builder.get("grpc"))
        status = keyword(call, spec.get("keywords", ()))
        position = spec.get("position")
        args = positional(call)
        if status is None and position is not None and position < len(args):
            status = args[position]
        if status is None:
            return bool(builder.get("default_success", True))
        return self._status_ok(status, grpc)

    def _status_ok(self, node: cst.BaseExpression, grpc: bool) -> bool:
        """A constant success status: 2xx/3xx, ``HTTPStatus.OK``, ``status.HTTP_200_OK``, ``SERVING``."""
        if isinstance(node, cst.Integer):
            value = int(node.value, 0)
            return value == 1 if grpc else 200 <= value < 400
        name = node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else None
        if name is None:
            return False
        if self.failure_names.match(name):
            return False
        code = re.match(r"HTTP_(\d{3})", name)
        if code:
            return 200 <= int(code.group(1)) < 400
        member = http.HTTPStatus.__members__.get(name)
        if member is not None:
            return 200 <= member.value < 400
        return bool(self.success_names.match(name))

    def _plain_args(self, call: cst.Call, scope: Scope) -> bool:
        return all(not arg.star and self._plain(arg.value, scope) for arg in call.args)

    def _plain(self, expr: cst.CSTNode, scope: Scope) -> bool:
        """No call that could fail, nothing awaited or yielded: evaluating it cannot go wrong."""
        for node in (expr, *_nodes(expr)):
            if isinstance(node, (cst.Await, cst.Yield, cst.Lambda, cst.NamedExpr)):
                return False
            if isinstance(node, cst.Call) and not (self._inert(node, scope) or self._builder(node, scope)):
                return False
        return True

    def _inert(self, call: cst.Call, scope: Scope) -> bool:
        return any(_matches(name, self.inert) for name in self.ctx.qualnames(call.func, scope))

    # -- dependencies ---------------------------------------------------------------------------
    def dependency(
        self, func: cst.FunctionDef | cst.Lambda, scope: Scope, owner: cst.ClassDef | None, depth: int, seen: set[int]
    ) -> Dependency | None:
        seen.add(id(func))
        for node in (func.body, *_nodes(func.body)):
            if isinstance(node, cst.Call):
                found = self._call_dependency(node, scope, owner, depth, seen)
                if found is not None:
                    return Dependency(node, *found)
            else:
                text = literal_string(node)
                if text is not None and _SQL.match(text):
                    return Dependency(node, f"the SQL query {text.strip()[:40]!r}", "database")
        return None

    def _call_dependency(
        self, call: cst.Call, scope: Scope, owner: cst.ClassDef | None, depth: int, seen: set[int]
    ) -> tuple[str, str] | None:
        func = call.func
        for name in self.ctx.qualnames(func, scope):  # the file's own names first (QualifiedNames)
            kind = _matches(name, self.dependencies)
            if kind is not None:
                return name, kind
        helper = self._helper(func, scope, owner)
        if helper is not None:
            function, helper_scope = helper
            if depth >= _MAX_DEPTH or id(function) in seen:
                return None
            inner = self.dependency(function, helper_scope, owner, depth + 1, seen)
            return (f"{function.name.value}() -> {inner.what}", inner.kind) if inner is not None else None
        if isinstance(func, cst.Attribute) and func.attr.value in self.dependency_methods:
            return f"{dotted_name(func) or func.attr.value}()", self.dependency_methods[func.attr.value]
        last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        for token in name_tokens(last):
            if token in self.dependency_words:
                return f"{dotted_name(func) or last}()", self.dependency_words[token]
        return None

    def _helper(
        self, func: cst.BaseExpression, scope: Scope, owner: cst.ClassDef | None
    ) -> tuple[cst.FunctionDef, Scope] | None:
        """A function of this module (or a method of the handler's class) that a handler calls."""
        if isinstance(func, cst.Name):
            bindings = self.ctx.resolver.lookup(func.value, scope)
            if len(bindings) == 1 and bindings[0].kind == "def" and isinstance(bindings[0].node, cst.FunctionDef):
                node = bindings[0].node
                return node, self.ctx.resolver.child_scope(node, bindings[0].scope)
        if owner is not None and isinstance(func, cst.Attribute) and dotted_name(func.value) == "self":
            for statement in owner.body.body if isinstance(owner.body, cst.IndentedBlock) else ():
                if isinstance(statement, cst.FunctionDef) and statement.name.value == func.attr.value:
                    class_scope = self.ctx.resolver.child_scope(owner, scope.module_scope)
                    return statement, self.ctx.resolver.child_scope(statement, class_scope)
        return None


__all__ = ["Dependency", "HandlerJudge", "Verdict"]
