"""SL803: request handlers writing to relative or application-local files.

Precise by construction, so it stays on by default: the function must be a
recognised request handler (a route decorator of a known framework object, or a
first parameter named ``request``), the call must open for writing, and the path
must resolve to a relative or application-local location. Anything it cannot
resolve is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import libcst as cst

from statelint.analyses.files import (
    ABSENT,
    PathResolver,
    PathValue,
    argument,
    in_test_code,
    string_value,
)
from statelint.engine.requirements import Requires
from statelint.rules.base import Rule

_BOUND = ("self", "cls")


class RequestTimeLocalWrite(Rule):
    code = "SL803"
    requires = Requires(shapes=["request-writes"], outside=["tests"])  # a request handler calls a writing API

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        # A handler is recognised through an import of its framework or a `request` parameter.
        heads = {name.split(".")[0] for name in (*knowledge["route_objects"], *knowledge["route_functions"])}
        return tuple(sorted(heads | set(knowledge["request_parameters"])))

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        k = self.knowledge
        self.route_objects = tuple(k["route_objects"])
        self.route_methods = frozenset(k["route_methods"])
        self.route_functions = frozenset(k["route_functions"])
        self.request_parameters = frozenset(k["request_parameters"])
        self.opens = {call: entry for entry in k["open_calls"] for call in entry["calls"]}
        self.open_methods = frozenset(k["path_open_methods"])
        self.write_methods = frozenset(k["path_write_methods"])
        self.write_letters = tuple(k["write_mode_letters"])
        self.handlers: list[bool] = []

    # -- where requests are handled --------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.handlers.append(bool(self.handlers and self.handlers[-1]) or self._is_handler(node))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.handlers.pop()

    def _is_handler(self, node: cst.FunctionDef) -> bool:
        params = [*node.params.posonly_params, *node.params.params]
        if params and params[0].name.value in _BOUND:
            params = params[1:]
        if params and params[0].name.value in self.request_parameters:
            return True
        return any(self._is_route(decorator.decorator) for decorator in node.decorators)

    def _is_route(self, decorator: cst.BaseExpression) -> bool:
        target = decorator.func if isinstance(decorator, cst.Call) else decorator
        if self.ctx.match(target, self.route_functions):
            return True
        if isinstance(target, cst.Attribute) and target.attr.value in self.route_methods:
            return any(name in self.route_objects for name in self.ctx.qualnames(target.value))
        return False

    # -- writes ----------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        if not (self.handlers and self.handlers[-1]):
            return
        where = self._written_path(node)
        if where is None or not where.local or in_test_code(self.ctx, self.ctx.scope, self.knowledge):
            return
        self.report(node, f"request handler writes to the local path {where.text!r}")

    def _written_path(self, node: cst.Call) -> PathValue | None:
        paths = PathResolver(self.ctx)
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.write_methods:
            return paths.resolve(func.value, self.ctx.scope)
        if isinstance(func, cst.Attribute) and func.attr.value in self.open_methods:
            base = paths.resolve(func.value, self.ctx.scope)
            if base is not None:
                return base if self._writes(node, {"keyword": "mode", "position": 0}) else None
        name = self.ctx.match(func, self.opens)
        if name is None or not self._writes(node, self.opens[name]["mode"]):
            return None
        path = argument(node, self.opens[name]["path"])
        return paths.resolve(path, self.ctx.scope) if isinstance(path, cst.CSTNode) else None

    def _writes(self, node: cst.Call, spec: Mapping[str, Any]) -> bool:
        mode = argument(node, spec)
        if mode is ABSENT or not isinstance(mode, cst.CSTNode):
            return False
        text = string_value(self.ctx, mode, self.ctx.scope)
        return text is not None and any(letter in text for letter in self.write_letters)
