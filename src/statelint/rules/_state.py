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
``rules/sl4.yaml``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from statelint.catalog import load_catalog
from statelint.engine.names import Scope, dotted_name
from statelint.engine.walker import children
from statelint.rules.base import Rule

_ATTR = "_statelint_module_state"
_NESTED = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_MEMO_DEPTH = 4  # how far a memoized value is followed through locals
_INIT_METHODS = frozenset({"__init__", "__new__", "__post_init__", "__init_subclass__"})


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


def module_state(rule: Rule) -> ModuleState:
    """The file's shared analysis, created by whichever rule asks first."""
    state = rule.ctx.__dict__.get(_ATTR)
    if state is None:
        state = ModuleState(rule.ctx)
        setattr(rule.ctx, _ATTR, state)
    return state


def root_of(node: cst.BaseExpression) -> cst.Name | cst.Attribute | None:
    """``X`` for ``X[a][b]``: the name or attribute a subscript chain starts from."""
    while isinstance(node, cst.Subscript):
        node = node.value
    return node if isinstance(node, (cst.Name, cst.Attribute)) else None


def terminal(node: cst.BaseExpression) -> str | None:
    """The last name of ``a.b.c`` (``c``), or of the called function."""
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    return None


class DataSources:
    """Calls that read data that changes: files, networks, databases, the clock (``knowledge.data_sources``)."""

    def __init__(self, spec: Mapping[str, Any], extra: Iterable[str] = ()) -> None:
        self.functions = (*spec.get("functions", ()), *extra)
        self.clients = tuple(spec.get("clients", ()))
        self.factories = set(spec.get("factory_methods", ()))
        self.methods = set(spec.get("methods", ()))
        self.attributes = set(spec.get("attributes", ()))

    def read_by(self, call: cst.Call, ctx: Any, scope: Scope) -> str | None:
        """How ``call`` reads changing data (``requests.get``), or None."""
        names = sorted(ctx.qualnames(call.func, scope))
        for name in names:
            if any(_prefixed(name, p) for p in self.functions):
                return name.replace("()", "(...)").removeprefix("builtins.")
            for prefix in self.clients:
                if name.startswith(prefix) and "()." in name and name.rsplit(".", 1)[-1] not in self.factories:
                    return name.replace("()", "(...)")
        if isinstance(call.func, cst.Attribute):
            shown = dotted_name(call.func) or call.func.attr.value
            # `charmap.query()` on an imported module is a function of that module, not a database query.
            module_function = bool(names) and all("()" not in name for name in names)
            if call.func.attr.value in self.methods and not module_function:
                return shown
            chain = (dotted_name(call.func) or "").split(".")[1:-1]
            if any(part in self.attributes for part in chain):
                return shown
        return None


def _prefixed(name: str, prefix: str) -> bool:
    if prefix.endswith("."):
        return name.startswith(prefix)
    return name == prefix or name.startswith((f"{prefix}.", f"{prefix}("))


def local_aliases(ctx: Any, qualnames: Iterable[str]) -> set[str]:
    """Module-level names bound by imports to ``qualnames`` (``from x import Y as Z`` gives Z)."""
    wanted = set(qualnames)
    out: set[str] = set()
    for name, bindings in ctx.resolver.module_scope.names.items():
        if any(b.kind == "import" and b.target in wanted for b in bindings):
            out.add(name)
    return out


def body_nodes(func: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node of a function's body, not descending into nested functions or classes."""
    body = func.body if isinstance(func, (cst.FunctionDef, cst.Lambda)) else func
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        yield node
        kids = [kid for kid in children(node) if not isinstance(kid, _NESTED)]
        kids.reverse()  # source order
        stack.extend(kids)


def load_names(expr: cst.CSTNode) -> Iterator[cst.Name]:
    """Names read in an expression (not attribute names, keywords or lambda parameters)."""
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            yield node
        elif isinstance(node, cst.Attribute):
            stack.append(node.value)
        elif isinstance(node, cst.Arg):
            stack.append(node.value)
        elif isinstance(node, cst.Lambda):
            stack.append(node.body)
        else:
            stack.extend(children(node))


def calls_in(expr: cst.CSTNode) -> Iterator[cst.Call]:
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            yield node
        stack.extend(children(node))


def params_of(func: cst.FunctionDef | cst.Lambda) -> list[str]:
    params = func.params
    return [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]


def is_decorator(func: cst.FunctionDef) -> bool:
    """A function that returns what it receives, or an inner function: a decorator (or its factory)."""
    params = set(params_of(func))
    if not params:
        return False
    inner = {n.name.value for n in body_nodes(func) if isinstance(n, cst.FunctionDef)}
    inner |= {s.name.value for s in _direct_defs(func)}
    for node in body_nodes(func):
        if isinstance(node, cst.Return) and isinstance(node.value, cst.Name):
            if node.value.value in params or node.value.value in inner:
                return True
    return False


def _direct_defs(func: cst.FunctionDef) -> Iterator[cst.FunctionDef]:
    body = func.body
    if isinstance(body, cst.IndentedBlock):
        for statement in body.body:
            if isinstance(statement, cst.FunctionDef):
                yield statement


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


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
            elif isinstance(target, cst.Name) and target.value in _globals(scope):
                self.rebinds.append(Rebind(target, node, scope, False, None))

    def on_call(self, node: cst.Call) -> None:
        scope = self.ctx.scope
        tail = terminal(node.func)
        if tail in self.clock_tails and self.ctx.match(node.func, self.clocks):
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
            if target.value in _globals(scope):
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
            target = _bound_name(binding.node, name)
            if kind is not None and target is not None:
                return Container(name, kind, target)
        return None

    def container_kind(self, value: cst.BaseExpression, extra: Iterable[str] = ()) -> str | None:
        literal = {
            cst.Dict: "dict", cst.DictComp: "dict", cst.List: "list", cst.ListComp: "list", cst.Set: "set", cst.SetComp: "set",
        }.get(type(value))
        if literal is not None:
            return literal
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
        refs = _references(self.ctx.module, set(functions))
        done = {n for n, f in functions.items() if matches_any(n, startup) or self._startup_hook(f)}  # type: ignore[arg-type]
        changed = True
        while changed:
            changed = False
            for name in functions:
                uses = refs.get(name, [])
                if name in done or not uses:
                    continue
                if all(kind != "value" and _context_done(where, done, functions) for where, kind in uses):
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

    # -- lazy singletons --------------------------------------------------------------------
    def lazily_initialised(self, rebind: Rebind) -> bool:
        """True when the assignment only runs while the name is still unset (``if X is None: X = ...``)."""
        func = rebind.scope.node
        if not isinstance(func, cst.FunctionDef):
            return False
        return id(rebind.node) in _guarded(func.body, rebind.target.value)

    # -- clocks (SL403) -------------------------------------------------------------------------
    def clock_state(self) -> ClockState:
        if self._clock is None:
            self._clock = _ClockAnalysis(self).run() if self.clock_scopes else ClockState()
        return self._clock

    def module_binding(self, name: cst.Name, scope: Scope) -> bool:
        """True when ``name`` refers to a value the module itself assigns (not an import, def or class)."""
        bindings = self.ctx.resolver.lookup(name.value, scope)
        return bool(bindings) and all(b.scope is self.module_scope and b.kind in ("assign", "unknown") for b in bindings)

    def writes_in(self, scope: Scope) -> list[Write]:
        return [w for w in self.writes if w.scope is scope]

    def rebinds_in(self, scope: Scope) -> list[Rebind]:
        return [r for r in self.rebinds if r.scope is scope]


def _globals(scope: Scope) -> set[str]:
    scope.names  # noqa: B018 - collecting the scope's bindings fills global_names
    return scope.global_names


def _bound_name(node: cst.CSTNode | None, name: str) -> cst.Name | None:
    if isinstance(node, cst.Assign):
        for target in node.targets:
            if isinstance(target.target, cst.Name) and target.target.value == name:
                return target.target
    if isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name) and node.target.value == name:
        return node.target
    return None


def _context_done(where: cst.CSTNode | None, done: set[str], functions: Mapping[str, cst.CSTNode]) -> bool:
    if where is None:
        return True
    return isinstance(where, cst.FunctionDef) and functions.get(where.name.value) is where and where.name.value in done


def _references(module: cst.Module, names: set[str]) -> dict[str, list[tuple[cst.CSTNode | None, str]]]:
    """Where each module-level function is used: (enclosing function or None, call|decorator|value)."""
    out: dict[str, list[tuple[cst.CSTNode | None, str]]] = {}
    if not names:
        return out
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None]] = [(module, None)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, (cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal)):
            continue
        if isinstance(node, cst.FunctionDef):
            stack.extend((d, where) for d in node.decorators)
            stack.append((node.params, where))
            stack.append((node.body, node))
        elif isinstance(node, cst.Lambda):
            stack.append((node.params, where))
            stack.append((node.body, node))
        elif isinstance(node, cst.ClassDef):
            stack.extend((x, where) for x in (*node.bases, *node.keywords, *node.decorators, node.body))
        elif isinstance(node, cst.Param):
            stack.extend((x, where) for x in (node.annotation, node.default) if x is not None)
        elif isinstance(node, (cst.Decorator, cst.Call)):
            _reference_call(node, where, names, out, stack)
        elif isinstance(node, (cst.Attribute, cst.Arg)):
            stack.append((node.value, where))
        elif isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Name):
            continue
        elif isinstance(node, cst.Name):
            if node.value in names:
                out.setdefault(node.value, []).append((where, "value"))
        else:
            stack.extend((kid, where) for kid in children(node))
    return out


def _reference_call(
    node: cst.Decorator | cst.Call,
    where: cst.CSTNode | None,
    names: set[str],
    out: dict[str, list[tuple[cst.CSTNode | None, str]]],
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None]],
) -> None:
    expr = node.decorator if isinstance(node, cst.Decorator) else node
    head = expr.func if isinstance(expr, cst.Call) else expr
    if isinstance(head, cst.Name) and head.value in names:
        kind = "decorator" if isinstance(node, cst.Decorator) else "call"
        out.setdefault(head.value, []).append((where, kind))
        if isinstance(expr, cst.Call):
            stack.extend((arg, where) for arg in expr.args)
        return
    stack.extend((kid, where) for kid in children(node))


def _none_check(test: cst.BaseExpression, name: str) -> bool | None:
    """True for a test that holds while ``name`` is unset, False for one that holds once set, else None."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _none_check(test.expression, name)
        return None if inner is None else not inner
    if isinstance(test, cst.Name) and test.value == name:
        return False
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        left, target = test.left, test.comparisons[0]
        if isinstance(left, cst.Name) and left.value == name and isinstance(target.comparator, cst.Name):
            if target.comparator.value == "None":
                if isinstance(target.operator, (cst.Is, cst.Equal)):
                    return True
                if isinstance(target.operator, (cst.IsNot, cst.NotEqual)):
                    return False
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        # `if _x is None or stale(_x):` still only assigns when unset or refreshed by the guard.
        return True if _none_check(test.left, name) else None
    return None


def _guarded(body: cst.BaseSuite, name: str) -> set[int]:
    """Ids of the statements that only run while ``name`` is unset."""
    out: set[int] = set()
    _guard_block(_statements(body), name, False, out)
    return out


def _statements(suite: cst.BaseSuite | None) -> list[cst.BaseStatement | cst.BaseSmallStatement]:
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    if isinstance(suite, cst.SimpleStatementSuite):
        return list(suite.body)
    return []


def _guard_block(statements: list[Any], name: str, guarded: bool, out: set[int]) -> None:
    for statement in statements:
        if guarded:
            out.add(id(statement))
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if guarded:
                    out.add(id(small))
        elif isinstance(statement, cst.If):
            check = _none_check(statement.test, name)
            _guard_block(_statements(statement.body), name, guarded or check is True, out)
            if statement.orelse is not None:
                other = statement.orelse
                inner = [other] if isinstance(other, cst.If) else _statements(other.body)
                _guard_block(inner, name, guarded or check is False, out)
            if check is False and statement.orelse is None and _ends_flow(statement.body):
                guarded = True  # `if _x is not None: return _x` guards the rest of the block
        elif isinstance(statement, (cst.With, cst.For, cst.While)):
            _guard_block(_statements(statement.body), name, guarded, out)
        elif isinstance(statement, cst.Try):
            _guard_block(_statements(statement.body), name, guarded, out)
            for handler in statement.handlers:
                _guard_block(_statements(handler.body), name, guarded, out)


def _ends_flow(suite: cst.BaseSuite) -> bool:
    statements = _statements(suite)
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return any(isinstance(s, (cst.Return, cst.Raise)) for s in last.body)
    return isinstance(last, (cst.Return, cst.Raise))


class _ClockAnalysis:
    """Finds state that functions write with clock readings and compare: hand-rolled limiters."""

    def __init__(self, state: ModuleState) -> None:
        self.state = state
        self.ctx = state.ctx
        self.hints = [h.lower() for h in state.k4.get("limiter_class_hints", ())]
        self.tainted: dict[int, set[str]] = {}

    def run(self) -> ClockState:
        module: dict[str, list[Scope]] = {}  # name -> functions writing it with clock values
        classes: dict[int, tuple[Scope, set[str], bool]] = {}  # class scope id -> (scope, attrs, written outside __init__)
        writer_scopes: dict[int, Scope] = {}
        for scope in self.state.clock_scopes.values():
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
        by_function: dict[int, tuple[Scope, list[str]]] = {}
        for name in sorted(confirmed):
            for scope in module[name]:
                by_function.setdefault(id(scope.node), (scope, []))[1].append(name)
        result.module_names = set(confirmed)
        for scope, names in by_function.values():
            node = scope.node.name if isinstance(scope.node, cst.FunctionDef) else scope.node
            result.findings.append(ClockFinding(node, sorted(set(names)), "module"))
            # The limiter's other state (a failure counter beside the "open until" time) is part of it.
            result.module_names |= {r.target.value for r in self.state.rebinds_in(scope)}
            for write in self.state.writes_in(scope):
                owner = self._owner(write.root, scope)
                if owner is not None and owner[0] == "module":
                    result.module_names.add(owner[2])
        for owner, attrs, outside in classes.values():
            self._judge_class(owner, attrs, outside, writer_scopes, result)
        return result

    def _judge_class(
        self, owner: Scope, attrs: set[str], outside: bool, writers: Mapping[int, Scope], result: ClockState
    ) -> None:
        if not outside or not isinstance(owner.node, cst.ClassDef):
            return
        if not self._confirmed_class(owner, attrs, writers):
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
        if bindings and all(b.scope is self.state.module_scope for b in bindings):
            if all(b.kind in ("assign", "unknown") for b in bindings):
                return ("module", self.state.module_scope, parts[0])
        return None

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
            elif isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.NamedExpr)):
                if isinstance(node.target, cst.Name) and node.value is not None:
                    assigned.append((node.target.value, node.value))
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

    def _long_lived(self, owner: Scope) -> str | None:
        """Where an instance that lives as long as the process is made, or why the class is one."""
        node = owner.node
        assert isinstance(node, cst.ClassDef)
        qualname = owner.prefix
        module_scope = self.state.module_scope
        for name, bindings in module_scope.names.items():
            for binding in bindings:
                value = binding.value
                if binding.kind == "assign" and isinstance(value, cst.Call):
                    if qualname in self.ctx.qualnames(value.func, module_scope):
                        return f"module-level instance `{name}`"
        for call, scope in self.state.stored_calls:
            if qualname in self.ctx.qualnames(call.func, scope):
                return "an instance stored on a long-lived object"
        lowered = node.name.value.lower()
        if any(hint in lowered for hint in self.hints):
            return "a limiter or breaker class, whose instances are meant to outlive a request"
        return None


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
