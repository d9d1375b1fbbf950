"""Module containers filled once, while empty, from data that does not change (SL101's exemption).

``if not _langs: for lexer in LEXERS.values(): _langs.append(...)`` (or the same fill after
``if UNITS: return UNITS[k]``) builds a table once per process from a library's constants or
the module's own: every process builds the same table, and a restart builds it again. That is a
lazy load of data shipped with the code, not state. It stays state when what is stored comes
from a data source (a file outside the package, a database, a remote service, the clock), from
the function's parameters (the first caller's data would win), from module state changed at run
time, or from a project function of another module (which this file cannot see into).

A fill may read another container of the module that is itself only written while empty (a
table built from another lazily built table): that one is judged on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from statelint.analyses.state_code import body_nodes, calls_in, guarded, load_names
from statelint.engine.names import Scope

if TYPE_CHECKING:
    from statelint.analyses.state import ModuleState, Write

_MAX_DEPTH = 4  # how far locals and module functions are followed


class FillOnce:
    """Answers :meth:`filled_once` for the writes of one module."""

    def __init__(self, state: ModuleState) -> None:
        self.state = state
        self.ctx = state.ctx
        self._mutable: set[str] | None = None
        self._fill_once: set[str] | None = None  # containers whose every write runs only while it is empty

    def filled_once(self, write: Write, container: str) -> bool:
        """Whether ``write`` runs only while ``container`` is empty and stores only unchanging data."""
        func = write.scope.node
        if not isinstance(func, cst.FunctionDef):
            return False
        statement = _statement_of(func, write.node)
        if statement is None or id(statement) not in guarded(func.body, container):
            return False
        if self._mutable is None:
            self._mutable = self.state.mutable_names()
        allowed = {container, *self._guarded_containers()}
        return all(self._unchanging(value, allowed, write.scope, 0, set()) for value in write.values)

    def _guarded_containers(self) -> set[str]:
        """Module containers every write of which runs only while that container is empty."""
        if self._fill_once is None:
            verdicts: dict[str, bool] = {}
            for write in self.state.writes:
                container = self.state.container_for(write.root, write.scope)
                func = write.scope.node
                if container is None:
                    continue
                statement = _statement_of(func, write.node) if isinstance(func, cst.FunctionDef) else None
                inside = statement is not None and id(statement) in guarded(func.body, container.name)  # type: ignore[union-attr]
                verdicts[container.name] = verdicts.get(container.name, True) and inside
            self._fill_once = {name for name, inside in verdicts.items() if inside}
        return self._fill_once

    def _unchanging(self, expr: cst.CSTNode, allowed: set[str], scope: Scope, depth: int, seen: set[int]) -> bool:
        """``expr`` reads only constants, unchanging module names, ``allowed`` and locals computed from
        them (a loop variable from its iterable), and calls nothing that reads changing data."""
        for call in calls_in(expr):
            if not self._unchanging_call(call, allowed, scope, depth, seen):
                return False
        for name in load_names(expr):
            if name.value in allowed:
                continue
            bindings = self.ctx.resolver.lookup(name.value, scope)
            if not bindings:
                continue  # a builtin or a comprehension variable
            if all(b.scope is self.state.module_scope for b in bindings):
                if name.value in (self._mutable or ()):
                    return False
                continue
            if depth >= _MAX_DEPTH:
                return False
            for binding in bindings:
                if binding.scope is not scope:
                    return False  # a variable of an enclosing function
                if binding.kind == "assign" and binding.value is not None:
                    source: cst.CSTNode = binding.value
                elif isinstance(binding.node, cst.For):
                    source = binding.node.iter
                else:
                    return False  # a parameter, or a name bound in a way not followed
                if id(source) in seen:
                    continue
                seen.add(id(source))
                if not self._unchanging(source, allowed, scope, depth + 1, seen):
                    return False
        return True

    def _unchanging_call(self, call: cst.Call, allowed: set[str], scope: Scope, depth: int, seen: set[int]) -> bool:
        if self.state.sources.read_by(call, self.ctx, scope):
            return False
        module_scope = self.state.module_scope
        if isinstance(call.func, cst.Name):
            for binding in self.ctx.resolver.lookup(call.func.value, scope):
                if binding.kind == "def" and binding.scope is module_scope and isinstance(binding.node, cst.FunctionDef):
                    if id(binding.node) in seen:
                        continue
                    seen.add(id(binding.node))
                    if depth >= _MAX_DEPTH or not self._function_unchanging(binding.node, allowed, depth + 1, seen):
                        return False
        model = self.ctx.project.model
        if model is not None:
            for name in self.ctx.qualnames(call.func, scope):
                if model.kinds.get(name) in ("function", "class") and not name.startswith(f"{self.ctx.project.module}."):
                    return False  # a project function of another module: not seen from here
        return True

    def _function_unchanging(self, func: cst.FunctionDef, allowed: set[str], depth: int, seen: set[int]) -> bool:
        """A module function whose calls read no changing data and which reads no module state changed
        at run time (its parameters are what the caller passes, checked there)."""
        scope = self.ctx.resolver.child_scope(func, self.state.module_scope)
        for node in body_nodes(func):
            if isinstance(node, cst.Call) and not self._unchanging_call(node, allowed, scope, depth, seen):
                return False
        module_scope = self.state.module_scope
        for name in load_names(func.body):
            if name.value in allowed or name.value not in (self._mutable or ()):
                continue
            bindings = self.ctx.resolver.lookup(name.value, scope)
            if bindings and all(b.scope is module_scope for b in bindings):
                return False
        return True


def _statement_of(func: cst.FunctionDef, node: cst.CSTNode) -> cst.CSTNode | None:
    """The small statement of ``func``'s body that is ``node`` or holds the call ``node``."""
    for candidate in body_nodes(func):
        if isinstance(candidate, cst.BaseSmallStatement):
            if candidate is node or any(call is node for call in calls_in(candidate)):
                return candidate
    return None
