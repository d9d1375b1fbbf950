"""SL205: third-party logging libraries and logging helpers writing to local files.

Each library is described in the catalog (``knowledge.sinks``) by the calls that
take a destination, where the destination argument sits, and what makes it a
file: ``path`` (loguru, logzero: a string or Path is a file path, anything else
is a stream, a callable or a handler), ``file`` (logbook's file handlers: always
a file unless it names a stream) or ``opened`` (structlog: a file object opened on
a path). ``print(..., file=f)`` counts inside a logging helper.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import libcst as cst

from statelint.analyses.files import (
    MAX_DEPTH,
    PathResolver,
    PathValue,
    argument,
    dict_items,
)
from statelint.engine.names import Scope
from statelint.engine.requirements import Requires
from statelint.rules.sl2._optin import OptInTracker


def _detail(where: PathValue | None) -> str:
    return f"the local file {where.text!r}" if where is not None and where.text else "a local file"


class ThirdPartyFileSink(OptInTracker):
    code = "SL205"
    # A sink of a logging library, or print() where the rule may take it for logging.
    requires = Requires(calls=["sinks.calls", "sink_configure"], shapes=["print-to-log"], outside=["tests"])

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        heads = {call.split(".")[0] for entry in knowledge["sinks"] for call in entry["calls"]}
        heads |= {call.split(".")[0] for call in knowledge["sink_configure"]}
        return (*sorted(heads), "file=")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.sinks = {call: entry for entry in self.knowledge["sinks"] for call in entry["calls"]}
        self.configure = frozenset(self.knowledge["sink_configure"])
        self.opens = {call: entry["path"] for entry in self.knowledge["open_calls"] for call in entry["calls"]}
        self.open_methods = frozenset(self.knowledge["path_open_methods"])

    def bind(self, ctx: Any) -> None:
        super().bind(ctx)
        self.paths = PathResolver(ctx, self.knowledge["stream_paths"])

    def visit_Call(self, node: cst.Call) -> None:
        names = self.ctx.qualnames(node.func)
        if "builtins.print" in names:
            self._print(node)
            return
        for name in names:
            if name in self.sinks:
                self._sink(node, self.sinks[name])
                return
            if name in self.configure:
                self._configure(node)
                return

    def _sink(self, node: cst.Call, entry: Mapping[str, Any]) -> None:
        value = argument(node, entry["argument"])
        if not isinstance(value, cst.CSTNode):
            return
        kind = entry["kind"]
        if kind == "opened":
            where = self._opened(value, self.ctx.scope, 0)
        else:
            where = self.paths.resolve(value, self.ctx.scope)
            if where is None and kind == "file":
                where = PathValue("unknown", "")
        if where is None or where.kind == "stream" or self.exempt(node, value):
            return
        self.report(node, f"{entry['name']} writes logs to {_detail(where)}")

    def _configure(self, node: cst.Call) -> None:
        handlers = argument(node, {"keyword": "handlers"})
        if not isinstance(handlers, (cst.List, cst.Tuple)):
            return
        for element in handlers.elements:
            for key, value, entry in dict_items(element.value):
                where = self.paths.resolve(value, self.ctx.scope) if key == "sink" else None
                if where is not None and where.kind != "stream" and not self.exempt(node, value):
                    self.report(
                        entry,
                        f"loguru logger.configure() adds a handler writing to {_detail(where)}",
                    )

    def _print(self, node: cst.Call) -> None:
        target = argument(node, {"keyword": "file"})
        if not isinstance(target, cst.CSTNode):
            return
        where = self._opened(target, self.ctx.scope, 0)
        if where is None or where.kind == "stream":
            return
        if not (self._in_logging_helper() or where.text.endswith(".log")) or self.exempt(node, target):
            return
        self.report(node, f"print(file=...) writes log lines to {_detail(where)}", hint=self.hint("Log them with logging instead of print()"))

    def _in_logging_helper(self) -> bool:
        scope: Scope | None = self.ctx.scope
        while scope is not None:
            if isinstance(scope.node, cst.FunctionDef) and "log" in scope.node.name.value.lower():
                return True
            scope = scope.parent
        return False

    def _opened(self, node: cst.CSTNode, scope: Scope, depth: int) -> PathValue | None:
        """Where a file object was opened: ``open(path)``, ``Path(...).open()``, or a name bound to one."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, cst.Name):
            for binding in self.ctx.resolver.lookup(node.value, scope):
                if binding.kind == "assign" and binding.value is not None:
                    found = self._opened(binding.value, binding.scope, depth + 1)
                    if found is not None:
                        return found
            return None
        if not isinstance(node, cst.Call):
            return None
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in self.open_methods:
            base = self.paths.resolve(node.func.value, scope)
            if base is not None:
                return base
        name = self.ctx.match(node.func, self.opens, scope)
        if name is None:
            return None
        path = argument(node, self.opens[name])
        return self.paths.resolve(path, scope) if isinstance(path, cst.CSTNode) else None
