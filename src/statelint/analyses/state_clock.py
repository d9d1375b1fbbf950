"""SL403's analysis: state that functions write with clock readings and compare to throttle or trip.

Run once per file through :meth:`ModuleState.clock_state`, because SL101 and
SL102 defer to it: state that is a hand-rolled limiter is reported once, here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import libcst as cst

from statelint.analyses.state_code import (
    body_nodes,
    bound_name,
    calls_in,
    load_names,
    params_of,
)
from statelint.analyses.state_decide import Decisions
from statelint.engine.names import Scope, dotted_name
from statelint.engine.walker import children

if TYPE_CHECKING:
    from statelint.analyses.state import ModuleState

_INIT_METHODS = frozenset({"__init__", "__new__", "__post_init__", "__init_subclass__"})


@dataclass
class ClockFinding:
    """State compared with the clock on module level (``scope``) or on a long-lived class."""

    node: cst.CSTNode  # what to report: the function or class name
    names: list[str]
    owner: str  # "module" or "class"
    instance: str = ""  # for classes: where a long-lived instance is created


@dataclass
class ClockState:
    findings: list[ClockFinding] = field(default_factory=list)
    module_names: set[str] = field(default_factory=set)


class ClockAnalysis:
    """Finds state that functions write with clock readings and compare: hand-rolled limiters."""

    def __init__(self, state: ModuleState) -> None:
        self.state = state
        self.ctx = state.ctx
        self.hints = [h.lower() for h in state.k4.get("limiter_class_hints", ())]
        self.tainted: dict[int, set[str]] = {}
        self._decider: Decisions | None = None

    def run(self) -> ClockState:
        module: dict[str, list[Scope]] = {}  # name -> functions writing it with clock values
        classes: dict[int, tuple[Scope, set[str], bool]] = {}  # class scope id -> (scope, attrs, written outside __init__)
        writer_scopes: dict[int, Scope] = {}
        for scope in self.state.clock_scopes.values():
            if self._refreshes_cache(scope):
                continue  # a hand-rolled TTL cache, not a limiter: SL101/SL102 report its state
            for kind, owner, name in self._clock_writes(scope):
                writer_scopes[id(scope.node)] = scope
                if kind == "module":
                    module.setdefault(name, []).append(scope)
                else:
                    entry = classes.setdefault(id(owner.node), (owner, set(), False))
                    outside = entry[2] or _method_name(scope) not in _INIT_METHODS
                    classes[id(owner.node)] = (owner, entry[1] | {name}, outside)
        result = ClockState()
        confirmed = self._confirmed_module(set(module), writer_scopes)
        for names, scopes in _limiters(confirmed, module):
            state = set(names) | self._other_state(scopes)
            if not self._module_decides(state):
                continue  # compared with the clock, but it neither refuses nor delays: SL101/SL102 judge it
            # One finding per limiter: the names its functions write together, at the module-level
            # definition of the first (or, for a global no top-level statement binds, at the function).
            node = self._definition(names) or self._first_function(scopes)
            result.findings.append(ClockFinding(node, names, "module"))
            result.module_names |= state
        for owner, attrs, outside in classes.values():
            self._judge_class(owner, attrs, outside, writer_scopes, result)
        return result

    def _other_state(self, scopes: list[Scope]) -> set[str]:
        """The limiter's other module state (a failure counter beside the "open until" time): what
        its functions rebind or write."""
        out: set[str] = set()
        for scope in scopes:
            out |= {r.target.value for r in self.state.rebinds_in(scope)}
            for write in self.state.writes_in(scope):
                owner = self._owner(write.root, scope)
                if owner is not None and owner[0] == "module":
                    out.add(owner[2])
        return out

    def _other_attributes(self, owner: Scope, writers: Mapping[int, Scope]) -> set[str]:
        """The instance's other state its clock-writing methods write (a failure count beside the
        "open until" time)."""
        out: set[str] = set()
        for scope in writers.values():
            if scope.parent is owner:
                for write in self.state.writes_in(scope):
                    found = self._owner(write.root, scope)
                    if found is not None and found[0] == "class" and found[1] is owner:
                        out.add(found[2])
        return out

    def _definition(self, names: list[str]) -> cst.Name | None:
        """Where the module first binds one of ``names`` at its top level (``_last_call = 0.0``)."""
        targets = [
            target
            for name in names
            for binding in self.state.module_scope.bindings(name)
            if binding.kind in ("assign", "unknown") and (target := bound_name(binding.node, name)) is not None
        ]
        return min(targets, key=lambda target: self.ctx.span(target).line, default=None)

    def _first_function(self, scopes: list[Scope]) -> cst.CSTNode:
        """The name of the first function (in the source) writing a limiter the module never binds itself."""
        nodes = [scope.node.name if isinstance(scope.node, cst.FunctionDef) else scope.node for scope in scopes]
        return min(nodes, key=lambda node: self.ctx.span(node).line)

    def _judge_class(
        self, owner: Scope, attrs: set[str], outside: bool, writers: Mapping[int, Scope], result: ClockState
    ) -> None:
        if not outside or not isinstance(owner.node, cst.ClassDef):
            return
        if not self._confirmed_class(owner, attrs, writers) or not self._class_decides(owner, attrs | self._other_attributes(owner, writers)):
            return
        instance = self._long_lived(owner)
        if instance is None:
            return
        result.findings.append(ClockFinding(owner.node.name, sorted(attrs), "class", instance))

    # -- writes ------------------------------------------------------------------------
    def _clock_writes(self, scope: Scope) -> Iterator[tuple[str, Scope, str]]:
        taint = self._taint(scope)
        for write in self.state.writes_in(scope):
            if any(self._has_clock(v, taint) for v in write.values):
                owner = self._owner(write.root, scope)
                if owner is not None:
                    yield owner
        for rebind in self.state.rebinds_in(scope):
            if rebind.value is not None and self._has_clock(rebind.value, taint):
                yield ("module", self.state.module_scope, rebind.target.value)

    def _refreshes_cache(self, scope: Scope) -> bool:
        """True when the function stores data it just loaded (``_cache = load()``) or expires a memo
        (``fetch.cache_clear()``): the clock times a cache, it limits nothing."""
        expiry = set(self.state.k4.get("cache_expiry_methods", ()))
        for call in calls_in(scope.node):
            if isinstance(call.func, cst.Attribute) and call.func.attr.value in expiry:
                return True
        values = [v for w in self.state.writes_in(scope) for v in w.values]
        values += [r.value for r in self.state.rebinds_in(scope) if r.value is not None]
        for value in values:
            for call in calls_in(value):
                if id(call) not in self.state.clock_calls and self.state.sources.read_by(call, self.ctx, scope):
                    return True
        return False

    def _owner(self, root: cst.BaseExpression, scope: Scope) -> tuple[str, Scope, str] | None:
        """Whose state a write changes: ("module", module scope, name) or ("class", class scope, attribute)."""
        parts = (dotted_name(root) or "").split(".")
        if not parts[0]:
            return None
        method = scope if scope.parent is not None and scope.parent.kind == "class" else None
        if method is not None and isinstance(method.node, cst.FunctionDef) and len(parts) > 1:
            params = params_of(method.node)
            if params and params[0] == parts[0] and method.parent is not None:
                return ("class", method.parent, parts[1])
        bindings = self.ctx.resolver.lookup(parts[0], scope)
        module = bool(bindings) and all(b.scope is self.state.module_scope for b in bindings)
        if module and all(b.kind in ("assign", "unknown") for b in bindings) and not self._request_local(bindings):
            return ("module", self.state.module_scope, parts[0])
        return None

    def _request_local(self, bindings: list[Any]) -> bool:
        """``_local = threading.local()``: its attributes live per thread, not per process."""
        kinds = set(self.state.k4.get("request_locals", ()))
        return any(
            isinstance(b.value, cst.Call) and self.ctx.match(b.value.func, kinds, self.state.module_scope) for b in bindings
        )

    def _taint(self, scope: Scope) -> set[str]:
        """Local names that hold a clock reading (or arithmetic on one) in this function."""
        key = id(scope.node)
        if key in self.tainted:
            return self.tainted[key]
        assigned: list[tuple[str, cst.BaseExpression]] = []
        for node in body_nodes(scope.node):
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        assigned.append((target.target.value, node.value))
            elif isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.NamedExpr)) and isinstance(node.target, cst.Name):
                assigned.extend((node.target.value, v) for v in (node.value,) if v is not None)
        taint: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, value in assigned:
                if name not in taint and self._has_clock(value, taint):
                    taint.add(name)
                    changed = True
        self.tainted[key] = taint
        return taint

    def _has_clock(self, expr: cst.CSTNode, taint: set[str]) -> bool:
        if any(id(call) in self.state.clock_calls for call in calls_in(expr)):
            return True
        return bool(taint) and any(n.value in taint for n in load_names(expr))

    # -- comparisons -----------------------------------------------------------------------
    def _confirmed_module(self, names: set[str], writers: Mapping[int, Scope]) -> set[str]:
        confirmed: set[str] = set()
        if not names:
            return confirmed
        for compare, scope in self.state.compares:
            refs = {n.value for n in load_names(compare) if n.value in names and self.state.module_binding(n, scope)}
            confirmed |= refs
            if not refs and id(scope.node) in writers and self._has_clock(compare, self._taint(scope)):
                confirmed |= {name for name in names if self._writes_module_name(scope, name)}
        return confirmed

    def _writes_module_name(self, scope: Scope, name: str) -> bool:
        return any(kind == "module" and n == name for kind, _, n in self._clock_writes(scope))

    def _confirmed_class(self, owner: Scope, attrs: set[str], writers: Mapping[int, Scope]) -> set[str]:
        confirmed: set[str] = set()
        for compare, scope in self.state.compares:
            method = scope if scope.parent is owner else None
            if method is None or not isinstance(method.node, cst.FunctionDef):
                continue
            params = params_of(method.node)
            if not params:
                continue
            refs = set(_attributes_of(compare, params[0])) & attrs
            confirmed |= refs
            if not refs and id(scope.node) in writers and self._has_clock(compare, self._taint(scope)):
                confirmed |= attrs
        return confirmed

    # -- decisions: what makes compared state a limiter --------------------------------------
    def _module_decides(self, names: set[str]) -> bool:
        """Whether code refuses or delays work on the module state ``names`` (see :mod:`.state_decide`)."""

        def reads(expr: cst.CSTNode, scope: Scope) -> bool:
            return any(n.value in names and self.state.module_binding(n, scope) for n in load_names(expr))

        return self._decisions().decides(reads, None)

    def _class_decides(self, owner: Scope, attrs: set[str]) -> bool:
        """Whether code refuses or delays work on the instance state ``attrs`` of ``owner``."""

        def reads(expr: cst.CSTNode, scope: Scope) -> bool:
            if scope.parent is not owner or not isinstance(scope.node, cst.FunctionDef):
                return False
            params = params_of(scope.node)
            return bool(params) and bool(set(_attributes_of(expr, params[0])) & attrs)

        return self._decisions().decides(reads, owner)

    def _decisions(self) -> Decisions:
        if self._decider is None:
            self._decider = Decisions(self.ctx, self.state.k4)
        return self._decider

    def _long_lived(self, owner: Scope) -> str | None:
        """Where an instance that lives as long as the process is made, or why the class is one."""
        node = owner.node
        assert isinstance(node, cst.ClassDef)
        qualname = owner.prefix
        module_scope = self.state.module_scope
        for name, bindings in module_scope.names.items():
            for binding in bindings:
                value = binding.value
                is_call = binding.kind == "assign" and isinstance(value, cst.Call)
                if is_call and qualname in self.ctx.qualnames(value.func, module_scope):  # type: ignore[union-attr]
                    return f"module-level instance `{name}`"
        for call, scope in self.state.stored_calls:
            if qualname in self.ctx.qualnames(call.func, scope):
                return "an instance stored on a long-lived object"
        for write in self.state.writes:  # `_STATUS.setdefault(key, Status())`
            container = self.state.container_for(write.root, write.scope)
            if container is not None and any(
                qualname in self.ctx.qualnames(call.func, write.scope) for value in write.values for call in calls_in(value)
            ):
                return f"instances kept in module-level {container.kind} `{container.name}`"
        lowered = node.name.value.lower()
        if any(hint in lowered for hint in self.hints):
            return "a limiter or breaker class, whose instances are meant to outlive a request"
        return None


def _limiters(confirmed: set[str], writers: dict[str, list[Scope]]) -> list[tuple[list[str], list[Scope]]]:
    """The confirmed module names grouped into limiters: names one function writes belong together
    (``_failures`` and ``_open_until``), and so do the functions writing a name of the group."""
    groups: list[tuple[set[str], dict[int, Scope]]] = []
    for name in sorted(confirmed):
        scopes = {id(scope.node): scope for scope in writers[name]}
        joined = [g for g in groups if g[1].keys() & scopes.keys()]
        names, functions = {name}, dict(scopes)
        for group in joined:
            names |= group[0]
            functions.update(group[1])
            groups.remove(group)
        groups.append((names, functions))
    return [(sorted(names), list(functions.values())) for names, functions in groups]


def _method_name(scope: Scope) -> str:
    return scope.node.name.value if isinstance(scope.node, cst.FunctionDef) else ""


def _attributes_of(expr: cst.CSTNode, receiver: str) -> Iterator[str]:
    """Attribute names read as ``receiver.X`` inside ``expr``."""
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == receiver:
            yield node.attr.value
        else:
            stack.extend(children(node))
