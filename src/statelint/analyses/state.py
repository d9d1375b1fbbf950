"""Module-level state of one file, shared by the SL1 rules and SL403.

What the rules need to know is the same: which module names hold containers,
where functions write to them or rebind them through ``global``, whether that
code runs per request or only while the process starts (decorator registries,
functions only called at module level, startup hooks), and which writes keep
clock readings. :class:`ModuleState` collects the raw material during the shared
walk and answers those questions lazily, once per file: every rule that needs it
forwards its visits through :class:`StateRule`, and the first call for a node
wins, so the collection is complete whichever of these rules are enabled.

Knowledge comes from two catalog families: containers, mutating methods and
import-time hooks from ``rules/sl1.yaml``, clocks and limiter hints from
``rules/sl4.yaml``. Syntax helpers live in :mod:`._state_code`, the clock
analysis in :mod:`._state_clock`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst

from statelint.analyses.state_clock import ClockAnalysis, ClockFinding, ClockState
from statelint.analyses.state_code import (
    DataSources,
    body_nodes,
    bound_name,
    calls_in,
    context_done,
    globals_of,
    guarded,
    initialised_with,
    is_decorator,
    load_names,
    local_aliases,
    log_once,
    matches_any,
    references,
    root_of,
    terminal,
)
from statelint.analyses.state_fill import FillOnce
from statelint.analyses.state_logonce import LogOnce
from statelint.catalog import load_catalog
from statelint.engine.names import Scope, dotted_name
from statelint.engine.requirements import clock_methods, method_clock
from statelint.rules.base import Rule

__all__ = [
    "ClockFinding",
    "ClockState",
    "Container",
    "DataSources",
    "ModuleState",
    "Rebind",
    "StateRule",
    "Write",
    "body_nodes",
    "load_names",
    "local_aliases",
    "module_state",
    "root_of",
    "terminal",
]

_SHARED = "module state"  # its name among the file's shared analyses (``FileContext.analysis``)
_MEMO_DEPTH = 4  # how far a memoized value is followed through locals


@dataclass
class Write:
    """Code inside a function that changes what ``root`` holds."""

    root: cst.Name | cst.Attribute  # the name or attribute written through
    how: str  # "item assignment", "append()", ...
    node: cst.CSTNode  # the statement or call
    scope: Scope
    values: tuple[cst.BaseExpression, ...] = ()  # what is stored
    target: cst.BaseExpression | None = None  # the subscript assigned to, for item assignment


@dataclass
class Rebind:
    """``global X`` then an assignment to X inside a function."""

    target: cst.Name
    node: cst.CSTNode
    scope: Scope
    augmented: bool
    value: cst.BaseExpression | None


@dataclass(frozen=True)
class Container:
    name: str
    kind: str  # dict, list, defaultdict, ...
    target: cst.Name  # where the module binds it


def module_state(rule: Rule) -> ModuleState:
    """The file's shared analysis, created by whichever rule asks first."""
    return rule.ctx.analysis(_SHARED, ModuleState)


class ModuleState:
    """Writes, rebinds and clock readings of one module, and what they mean."""

    def __init__(self, ctx: Any) -> None:
        catalog = load_catalog()
        sl1 = catalog.families["SL1"].knowledge
        sl4 = catalog.families["SL4"].knowledge if "SL4" in catalog.families else {}
        self.ctx = ctx
        self.k1: Mapping[str, Any] = sl1
        self.k4: Mapping[str, Any] = sl4
        self.methods = frozenset(sl1.get("mutating_methods", ()))
        self.functions = {e["call"]: int(e["argument"]) for e in sl1.get("mutating_functions", ())}
        self.function_tails = {q.rsplit(".", 1)[-1] for q in self.functions} | local_aliases(ctx, self.functions)
        self.clocks = frozenset(sl4.get("clocks", ()))
        self.clock_tails = {q.rsplit(".", 1)[-1] for q in self.clocks} | local_aliases(ctx, self.clocks)
        self.clock_methods = clock_methods(sl4)
        self.writes: list[Write] = []
        self.rebinds: list[Rebind] = []
        self.compares: list[tuple[cst.Comparison, Scope]] = []
        self.clock_calls: set[int] = set()
        self.clock_scopes: dict[int, Scope] = {}
        self.stored_calls: list[tuple[cst.Call, Scope]] = []
        self._last: cst.CSTNode | None = None
        self._import_time: dict[tuple[str, ...], set[str]] = {}
        self._clock: ClockState | None = None
        self._mutable: set[str] | None = None
        self._fill: FillOnce | None = None
        self._log_once: LogOnce | None = None
        self.sources = DataSources(sl1.get("data_sources", {}))

    # -- collection (called from the walk) ---------------------------------------------
    def first(self, node: cst.CSTNode) -> bool:
        """True the first time a node is seen: each rule forwards the same visits."""
        if node is self._last:
            return False
        self._last = node
        return True

    def on_assign(self, node: cst.Assign) -> None:
        scope = self.ctx.scope
        if any(not isinstance(t.target, cst.Name) for t in node.targets) and isinstance(node.value, cst.Call):
            self.stored_calls.append((node.value, scope))
        if scope.kind == "function":
            for target in node.targets:
                self._target(target.target, node, node.value, scope, augmented=False)

    def on_ann_assign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and self.ctx.scope.kind == "function":
            self._target(node.target, node, node.value, self.ctx.scope, augmented=False)

    def on_aug_assign(self, node: cst.AugAssign) -> None:
        if self.ctx.scope.kind == "function":
            self._target(node.target, node, node.value, self.ctx.scope, augmented=True)

    def on_named_expr(self, node: cst.NamedExpr) -> None:
        if self.ctx.scope.kind == "function":
            self._target(node.target, node, node.value, self.ctx.scope, augmented=False)

    def on_del(self, node: cst.Del) -> None:
        scope = self.ctx.scope
        if scope.kind != "function":
            return
        targets = [e.value for e in node.target.elements] if isinstance(node.target, cst.Tuple) else [node.target]
        for target in targets:
            if isinstance(target, cst.Subscript):
                root = root_of(target.value)
                if root is not None:
                    self.writes.append(Write(root, "item deletion", node, scope))
            elif isinstance(target, cst.Name) and target.value in globals_of(scope):
                self.rebinds.append(Rebind(target, node, scope, False, None))

    def on_call(self, node: cst.Call) -> None:
        scope = self.ctx.scope
        tail = terminal(node.func)
        if (tail in self.clock_tails and self.ctx.match(node.func, self.clocks)) or self._method_clock(node.func, tail):
            self.clock_calls.add(id(node))
            if scope.kind == "function":
                self.clock_scopes[id(scope.node)] = scope
        if scope.kind != "function":
            return
        values = tuple(arg.value for arg in node.args)
        if isinstance(node.func, cst.Attribute) and tail in self.methods:
            root = root_of(node.func.value)
            if root is not None:
                self.writes.append(Write(root, f"{tail}()", node, scope, values))
        elif tail in self.function_tails:
            self._mutating_function(node, scope, values)

    def _method_clock(self, func: cst.BaseExpression, tail: str | None) -> bool:
        """A clock method on a receiver no import names: ``self.bot.loop.time()``, ``bot.loop.time()``.
        Judged on the qualified name, as the summary that SL403's declaration reads spells it; the
        rules' resolver leaves ``self`` unresolved, where the summary writes ``pkg.Cog().bot.loop.time``:
        an attribute chain from a method's instance (or class) parameter is judged on its names."""
        if tail not in self.clock_methods or not isinstance(func, cst.Attribute):
            return False
        names = self.ctx.qualnames(func)
        if names:
            return any(method_clock(name, self.clock_methods) for name in names)
        chain = dotted_name(func)
        if chain is None or "." not in chain:
            return False
        root = chain.split(".", 1)[0]
        return _method_receiver(root, self.ctx.scope, self.ctx.resolver) and method_clock(chain, self.clock_methods)

    def on_comparison(self, node: cst.Comparison) -> None:
        if self.ctx.scope.kind == "function":
            self.compares.append((node, self.ctx.scope))

    def _mutating_function(self, node: cst.Call, scope: Scope, values: tuple[cst.BaseExpression, ...]) -> None:
        name = self.ctx.match(node.func, self.functions)
        if name is None:
            return
        position = self.functions[name]
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        if len(positional) > position:
            root = root_of(positional[position])
            if root is not None:
                self.writes.append(Write(root, f"{name}()", node, scope, values))

    def _target(
        self, target: cst.BaseExpression, node: cst.CSTNode, value: cst.BaseExpression, scope: Scope, *, augmented: bool
    ) -> None:
        if isinstance(target, cst.Name):
            if target.value in globals_of(scope):
                self.rebinds.append(Rebind(target, node, scope, augmented, value))
        elif isinstance(target, cst.Subscript):
            root = root_of(target.value)
            if root is not None:
                how = "augmented item assignment" if augmented else "item assignment"
                self.writes.append(Write(root, how, node, scope, (value,), target))
        elif isinstance(target, cst.Attribute):
            how = "augmented attribute assignment" if augmented else "attribute assignment"
            self.writes.append(Write(target, how, node, scope, (value,)))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._target(element.value, node, value, scope, augmented=augmented)
        elif isinstance(target, cst.StarredElement):
            self._target(target.value, node, value, scope, augmented=augmented)

    # -- module containers --------------------------------------------------------------
    @property
    def module_scope(self) -> Scope:
        return self.ctx.resolver.module_scope

    def container(self, name: str, extra: Iterable[str] = ()) -> Container | None:
        """The module-level container bound to ``name``, if the module binds one."""
        if name.startswith("__") and name.endswith("__"):
            return None
        for binding in self.module_scope.bindings(name):
            if binding.kind != "assign" or binding.value is None:
                continue
            kind = self.container_kind(binding.value, extra)
            target = bound_name(binding.node, name)
            if kind is not None and target is not None:
                return Container(name, kind, target)
        return None

    def container_kind(self, value: cst.BaseExpression, extra: Iterable[str] = ()) -> str | None:
        literal = {
            cst.Dict: "dict", cst.DictComp: "dict", cst.List: "list", cst.ListComp: "list", cst.Set: "set", cst.SetComp: "set",
        }.get(type(value))
        if literal is not None:
            return literal
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply):
            if isinstance(value.left, (cst.List, cst.ListComp)) or isinstance(value.right, (cst.List, cst.ListComp)):
                return "list"  # `[None] * n`
        if isinstance(value, cst.Call):
            names = {*self.k1.get("container_calls", ()), *extra}
            found = self.ctx.match(value.func, names, self.module_scope)
            if found is not None:
                return found.rsplit(".", 1)[-1]
        return None

    def container_for(self, root: cst.BaseExpression, scope: Scope, extra: Iterable[str] = ()) -> Container | None:
        """The module container ``root`` refers to from ``scope`` (a plain local alias is followed)."""
        if not isinstance(root, cst.Name):
            return None
        bindings = self.ctx.resolver.lookup(root.value, scope)
        if bindings and all(b.scope is self.module_scope for b in bindings):
            return self.container(root.value, extra)
        if len(bindings) == 1 and bindings[0].kind == "assign" and isinstance(bindings[0].value, cst.Name):
            alias = bindings[0].value
            if alias.value != root.value:
                outer = self.ctx.resolver.lookup(alias.value, bindings[0].scope)
                if outer and all(b.scope is self.module_scope for b in outer):
                    return self.container(alias.value, extra)
        return None

    # -- when code runs -----------------------------------------------------------------
    def runs_at_import(self, scope: Scope, startup: tuple[str, ...]) -> bool:
        """True when the function of ``scope`` runs while modules load or the process starts."""
        node = scope.node
        if not isinstance(node, cst.FunctionDef):
            return False
        if self.ctx.project.is_lifecycle(scope.prefix):  # every caller the project model sees starts or stops the process
            return True
        if is_decorator(node) or self._startup_hook(node) or matches_any(node.name.value, startup):
            return True
        parent = scope.parent
        if parent is None:
            return False
        if parent.kind == "class":
            return self._class_hook(node, parent)
        if parent.kind == "module":
            return node.name.value in self.import_time_functions(startup)
        return False

    def _class_hook(self, node: cst.FunctionDef, parent: Scope) -> bool:
        name = node.name.value
        if name in self.k1.get("import_time_methods", ()):
            return True
        if name not in self.k1.get("metaclass_methods", ()) or not isinstance(parent.node, cst.ClassDef):
            return False
        metas = set(self.k1.get("metaclass_bases", ()))
        grand = parent.parent or self.module_scope
        return any(self.ctx.match(base.value, metas, grand) for base in parent.node.bases if base.keyword is None)

    def _startup_hook(self, node: cst.FunctionDef) -> bool:
        hooks = {h["name"]: h.get("argument") for h in self.k1.get("startup_decorators", ())}
        for decorator in node.decorators:
            expr = decorator.decorator
            name = terminal(expr)
            if name not in hooks:
                continue
            wanted = hooks[name]
            if not wanted:
                return True
            if isinstance(expr, cst.Call) and expr.args:
                first = expr.args[0].value
                if isinstance(first, cst.SimpleString) and first.evaluated_value in wanted:
                    return True
        return False

    def import_time_functions(self, startup: tuple[str, ...]) -> set[str]:
        """Module-level functions only ever run from import-time code (least fixpoint)."""
        cached = self._import_time.get(startup)
        if cached is not None:
            return cached
        functions = {
            name: bindings[0].node
            for name, bindings in self.module_scope.names.items()
            if len(bindings) == 1 and bindings[0].kind == "def" and isinstance(bindings[0].node, cst.FunctionDef)
        }
        refs = references(self.ctx.module, set(functions))
        done = {n for n, f in functions.items() if matches_any(n, startup) or self._startup_hook(f)}  # type: ignore[arg-type]
        changed = True
        while changed:
            changed = False
            for name in functions:
                uses = refs.get(name, [])
                if name in done or not uses:
                    continue
                if all(kind != "value" and context_done(where, done, functions) for where, kind in uses):
                    done.add(name)
                    changed = True
        self._import_time[startup] = done
        return done

    def mutable_names(self, startup: tuple[str, ...] = ()) -> set[str]:
        """Module names whose value changes at run time: mutated containers and rebound globals."""
        out: set[str] = set()
        for write in self.writes:
            container = self.container_for(write.root, write.scope)
            if container is not None and not self.runs_at_import(write.scope, startup):
                out.add(container.name)
        for rebind in self.rebinds:
            if rebind.value is not None and not self.lazily_initialised(rebind) and not self.runs_at_import(rebind.scope, startup):
                out.add(rebind.target.value)
        return out

    def pure_memo(self, write: Write) -> bool:
        """``C[key] = f(key)`` with ``f`` reading nothing that changes: memoizing a pure function."""
        target = write.target
        if write.how != "item assignment" or not isinstance(target, cst.Subscript) or target.value is not write.root:
            return False
        if len(target.slice) != 1 or not isinstance(target.slice[0].slice, cst.Index) or not write.values:
            return False
        key = {n.value for n in load_names(target.slice[0].slice.value)}
        if self._mutable is None:
            self._mutable = self.mutable_names()
        # A constant key is a switch (`STATE["mode"] = ...`), a value that ignores the key a mark (`SEEN[k] = True`).
        used: set[str] = set()
        return bool(key) and self._derived(write.values[0], key, write.scope, 0, used) and bool(used)

    def _derived(self, expr: cst.BaseExpression, key: set[str], scope: Scope, depth: int, used: set[str]) -> bool:
        """True when ``expr`` only reads the key, constants and unchanging module names; ``used`` gets key names read."""
        if any(self.sources.read_by(call, self.ctx, scope) for call in calls_in(expr)):
            return False
        for name in load_names(expr):
            if name.value in key:
                used.add(name.value)
                continue
            bindings = self.ctx.resolver.lookup(name.value, scope)
            if not bindings:
                continue  # a builtin or a comprehension variable
            if all(b.scope is self.module_scope for b in bindings):
                if name.value in (self._mutable or ()):
                    return False
                continue
            local = depth < _MEMO_DEPTH and all(b.kind == "assign" and b.scope is scope and b.value is not None for b in bindings)
            if not local or not all(self._derived(b.value, key, scope, depth + 1, used) for b in bindings):  # type: ignore[arg-type]
                return False
        return True

    def close(self) -> None:
        """Called when the file is done (``FileContext.close``): the fill analysis refers back to this one."""
        self._fill = None
        self._log_once = None

    def filled_once(self, write: Write, container: str) -> bool:
        """``if not C: C.extend(TABLE)``: filled once, while empty, from data that does not change
        (see :mod:`statelint.analyses.state_fill`)."""
        if self._fill is None:
            self._fill = FillOnce(self)
        return self._fill.filled_once(write, container)

    # -- registries of process-local resources ------------------------------------------------
    def stores_resource(self, write: Write) -> bool | None:
        """True when the write stores a resource that only exists in this process (a thread, a
        process, a socket, an SSL context: ``knowledge.process_local_resources``), None when it
        stores nothing (``pop()``, ``remove()``, deletion), False when it stores anything else."""
        if write.how in ("item deletion", *(f"{m}()" for m in self.k1.get("non_storing_methods", ()))):
            return None
        if write.how == "item assignment":
            stored = write.values[0] if write.values else None
        else:
            position = self.k1.get("storing_methods", {}).get(write.how.removesuffix("()"))
            call = write.node
            if position is None or not isinstance(call, cst.Call) or not write.how.endswith("()"):
                return False
            positional = [a.value for a in call.args if a.keyword is None and not a.star]
            stored = positional[position] if len(positional) == len(call.args) and len(positional) > position else None
        return stored is not None and self.process_local(stored, write.scope, 0)

    def process_local(self, expr: cst.BaseExpression, scope: Scope, depth: int) -> bool:
        """Whether ``expr`` is a new process-local resource: a call of a catalog constructor or
        factory, or of a project subclass of such a class, or a local name only ever bound to one."""
        if isinstance(expr, cst.Call):
            resources = frozenset(self.k1.get("process_local_resources", ()))
            for name in self.ctx.qualnames(expr.func, scope):
                if name in resources:
                    return True
                if any(made.endswith("()") and made[:-2] in resources for made in self.ctx.project.expand(f"{name}()")):
                    return True
            return False
        if isinstance(expr, cst.Name) and depth < _MEMO_DEPTH:
            bindings = self.ctx.resolver.lookup(expr.value, scope)
            return bool(bindings) and all(
                b.kind == "assign" and b.scope is scope and b.value is not None and self.process_local(b.value, scope, depth + 1)
                for b in bindings
            )
        return False

    # -- lazy singletons --------------------------------------------------------------------
    def lazily_initialised(self, rebind: Rebind) -> bool:
        """True when the assignment only runs while the name is still unset (``if X is None: X = ...``),
        or makes a resource again once it is gone (``if X is None or not X.is_alive(): X = Thread(...)``)
        without reading data that changes (``if X is None or stale(X): X = fetch()`` is a cache)."""
        func = rebind.scope.node
        if not isinstance(func, cst.FunctionDef):
            return False
        if id(rebind.node) in guarded(func.body, rebind.target.value):
            return True
        if self._set_by_module_getattr(rebind, func):
            return True
        if self._initialised_with_another(rebind, func):
            return True
        if id(rebind.node) not in guarded(func.body, rebind.target.value, refresh=True):
            return False
        calls = calls_in(rebind.value) if rebind.value is not None else ()
        return not any(self.sources.read_by(call, self.ctx, rebind.scope) for call in calls)

    def _set_by_module_getattr(self, rebind: Rebind, func: cst.FunctionDef) -> bool:
        """A module's ``__getattr__`` (PEP 562) setting a global the module does not bind otherwise:
        Python calls it only while the attribute is missing, so once set it is never called for it
        again, a one-time init."""
        parent = rebind.scope.parent
        if func.name.value != "__getattr__" or parent is None or parent.kind != "module":
            return False
        bound = self.module_scope.bindings(rebind.target.value)
        return not any(b.kind in ("import", "def", "class") or (b.kind == "assign" and b.value is not None) for b in bound)

    def _initialised_with_another(self, rebind: Rebind, func: cst.FunctionDef) -> bool:
        """True when the assignment sits in a one-time init of another global of the function
        (``if _app is None: _path = path; _app = App(path)``): the block sets that global, so it
        runs once per process, like a lazy singleton (a refresh guard, ``is None or stale(_app)``, is none)."""
        name = rebind.target.value
        for other in globals_of(rebind.scope):
            if other != name and id(rebind.node) in initialised_with(func.body, other):
                return True
        return False

    def log_once_flag(self, rebind: Rebind) -> bool:
        """True for ``if not X: log(...); X = True``: the flag keeps one process from repeating a message."""
        func = rebind.scope.node
        if not isinstance(func, cst.FunctionDef):
            return False
        calls = frozenset(self.k1.get("log_once_calls", ()))
        return id(rebind.node) in log_once(func.body, rebind.target.value, calls)

    def log_once_container(self, container: str) -> bool:
        """True for a container that only remembers what was already logged (``if key not in SEEN:
        log(...); SEEN.add(key)``): it keeps one process from repeating a message, right per
        process (see :mod:`statelint.analyses.state_logonce`)."""
        if self._log_once is None:
            self._log_once = LogOnce(self, frozenset(self.k1.get("log_once_calls", ())))
        return self._log_once.container(container)

    # -- clocks (SL403) -------------------------------------------------------------------------
    def clock_state(self) -> ClockState:
        if self._clock is None:
            self._clock = ClockAnalysis(self).run() if self.clock_scopes else ClockState()
        return self._clock

    def module_binding(self, name: cst.Name, scope: Scope) -> bool:
        """True when ``name`` refers to a value the module itself assigns (not an import, def or class)."""
        bindings = self.ctx.resolver.lookup(name.value, scope)
        return bool(bindings) and all(b.scope is self.module_scope and b.kind in ("assign", "unknown") for b in bindings)

    def writes_in(self, scope: Scope) -> list[Write]:
        return [w for w in self.writes if w.scope is scope]

    def rebinds_in(self, scope: Scope) -> list[Rebind]:
        return [r for r in self.rebinds if r.scope is scope]


class StateRule(Rule):
    """Base of the rules that read :class:`ModuleState`: forwards the walk to the shared collector."""

    @property
    def state(self) -> ModuleState:
        return module_state(self)

    def visit_Assign(self, node: cst.Assign) -> None:
        state = self.state
        if state.first(node):
            state.on_assign(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        state = self.state
        if state.first(node):
            state.on_ann_assign(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        state = self.state
        if state.first(node):
            state.on_aug_assign(node)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        state = self.state
        if state.first(node):
            state.on_named_expr(node)

    def visit_Del(self, node: cst.Del) -> None:
        state = self.state
        if state.first(node):
            state.on_del(node)

    def visit_Call(self, node: cst.Call) -> None:
        state = self.state
        if state.first(node):
            state.on_call(node)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        state = self.state
        if state.first(node):
            state.on_comparison(node)

    def leave_Module(self, node: cst.Module) -> None:
        self.judge(self.state)

    def judge(self, state: ModuleState) -> None:
        raise NotImplementedError

    def startup(self) -> tuple[str, ...]:
        return tuple(self.options.get("startup-functions", ()))


def _method_receiver(name: str, scope: Scope, resolver: Any) -> bool:
    """Whether ``name`` is the first parameter of the method it is read in (or of a method enclosing
    it): the instance, or the class of a classmethod, that the summary names by the class."""
    bindings = resolver.lookup(name, scope)
    if len(bindings) != 1 or bindings[0].kind != "param":
        return False
    owner = bindings[0].scope
    method = owner.node
    if owner.parent is None or owner.parent.kind != "class" or not isinstance(method, cst.FunctionDef):
        return False
    if any(terminal(d.decorator) == "staticmethod" for d in method.decorators):
        return False
    first = [*method.params.posonly_params, *method.params.params][:1]
    return bool(first) and first[0].name.value == name

