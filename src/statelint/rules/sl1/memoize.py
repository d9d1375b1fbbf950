"""SL104: per-process memoization of data that changes.

A memoizer is only a problem when what it remembers can change: the decorated
function (or a function of the same module it calls) reads files, a database, a
remote service, the clock, or module state that is mutated at run time. Pure
computations over the arguments are left alone. Which decorators and cache
classes are in-process, how flask-caching and aiocache pick a backend, and which
calls read changing data all come from ``knowledge`` in ``rules/sl1.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst

from statelint.analyses.shutdown import subtree
from statelint.analyses.state import (
    DataSources,
    ModuleState,
    StateRule,
    body_nodes,
    load_names,
    terminal,
)
from statelint.catalog import RuleDoc
from statelint.engine.names import Scope, dotted_name
from statelint.engine.requirements import Requires
from statelint.model import Finding, Span
from statelint.rules.base import compose_hint
from statelint.rules.sl1._caches import ConfiguredCaches, configured_cache_findings
from statelint.rules.sl4.limiters import literal_string

_MAX_DEPTH = 3


def _per_call(item: _Memoized) -> bool:
    """A memoized function defined inside another, used there only by calling it: each call of the outer
    function makes a new cache, dropped when it returns (returned, stored or passed on, it outlives it)."""
    outer = item.scope.node
    if item.scope.kind != "function" or not isinstance(outer, cst.FunctionDef):
        return False
    name = item.function.name.value
    called: set[int] = set()
    for node in subtree(outer.body):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == name:
            called.add(id(node.func))
    for node in subtree(outer.body):
        if isinstance(node, cst.Name) and node.value == name and id(node) not in called and node is not item.function.name:
            return False
        if isinstance(node, (cst.Global, cst.Nonlocal)) and any(n.name.value == name for n in node.names):
            return False
    return True


@dataclass
class _Memoized:
    decorator: cst.Decorator
    label: str  # how the decorator reads: "@lru_cache"
    function: cst.FunctionDef
    scope: Scope  # the scope the function is defined in
    flask_caching: bool = False


class PerProcessMemoization(StateRule):
    code = "SL104"
    # a cache object made here, or what the project-wide join of configured caches needs: a Django cache
    # used, a settings module, CACHES, MIDDLEWARE, a Flask-Caching CACHE_TYPE; or a memoized function
    # where it may read changing data (the shape: on the stdlib, 11 of the 13 files lru_cache got parsed
    # for it memoize pure functions)
    requires = Requires(
        calls=["cache_classes", "django_cache.uses.calls"],
        options=["extra-cache-classes"],
        mentions=[
            "django_local_backends", "django_cache.settings_marker", "django_cache.setting", "django_cache.subscripts",
            "django_cache.middleware", "django_cache.middleware_alias", "flask_caching.config_key",
        ],
        shapes=["memoized-reads"],
    )

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        names = [c for m in knowledge.get("memoizers", ()) for c in m["calls"]]
        names += [*knowledge.get("cache_classes", ()), *knowledge.get("flask_caching", {}).get("classes", ())]
        names += [*options.get("extra-cache-decorators", ()), *options.get("extra-cache-classes", ())]
        django = knowledge.get("django_cache", {})
        names += [c for use in django.get("uses", ()) for c in use.get("calls", ())]
        heads = {n.split(".")[0] for n in names}
        words = {django.get(k) for k in ("settings_marker", "setting", "middleware_alias")} - {None}
        words.add(knowledge.get("flask_caching", {}).get("config_key", "CACHE_TYPE"))
        return tuple(sorted(heads | words | {"LocMemCache"}))

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        k = self.knowledge
        self.memoizers = {c: m for m in k.get("memoizers", ()) for c in m["calls"]}
        for extra in self.options.get("extra-cache-decorators", ()):
            self.memoizers[extra] = {"name": extra, "calls": [extra]}
        self.cache_classes = {*k.get("cache_classes", ()), *self.options.get("extra-cache-classes", ())}
        fc = k.get("flask_caching", {})
        self.flask_decorators = {f"{c}().{d}" for c in fc.get("classes", ()) for d in fc.get("decorators", ())}
        self.flask_key = fc.get("config_key", "CACHE_TYPE")
        self.flask_local = set(fc.get("in_process_types", ()))
        self.sources = DataSources(k.get("data_sources", {}), self.options.get("extra-data-sources", ()))
        self.memoized: list[_Memoized] = []
        self.cache_types: list[tuple[cst.BaseExpression, Scope]] = []
        self.configured: ConfiguredCaches | None = None
        self._impure: dict[int, str | None] = {}
        self._mutable: set[str] | None = None

    def bind(self, ctx: Any) -> None:
        super().bind(ctx)
        self.configured = ConfiguredCaches(self)

    @property
    def _configured(self) -> ConfiguredCaches:
        assert self.configured is not None, "bind() first"
        return self.configured

    # -- collection ---------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        for decorator in node.decorators:
            label, flask = self._memoizer(decorator.decorator)
            if label is not None:
                self.memoized.append(_Memoized(decorator, label, node, self.ctx.scope, flask))

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if literal_string(node.key) == self.flask_key:
            self.cache_types.append((node.value, self.ctx.scope))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None and node.keyword.value == self.flask_key:
            self.cache_types.append((node.value, self.ctx.scope))
        self._configured.settings.keyword(node, self.ctx.scope)

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        for target in node.targets:
            if _setting_key(target.target) == self.flask_key:
                self.cache_types.append((node.value, self.ctx.scope))
            self._configured.assign(target.target, node.value, self.ctx.scope)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        super().visit_AnnAssign(node)
        self._configured.assign(node.target, node.value, self.ctx.scope)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        super().visit_AugAssign(node)
        self._configured.settings.augmented(node.target)

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        self._configured.call(node, self.ctx.scope)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self._configured.subscript(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if self.ctx.scope.kind == "module":
            self._configured.settings.star_import(node)

    # -- which decorators memoize in the process -------------------------------------------------
    def _memoizer(self, expr: cst.BaseExpression) -> tuple[str | None, bool]:
        func = expr.func if isinstance(expr, cst.Call) else expr
        label = f"@{dotted_name(func) or 'cache'}"
        found = self.ctx.match(func, self.memoizers)
        if found is not None:
            entry = self.memoizers[found]
            return (label if self._in_process(entry, expr) else None), False
        if self.ctx.match(func, self.flask_decorators):
            return label, True
        for applied in sorted(self.ctx.applied(expr)):  # a project decorator that wraps a memoizer
            entry = self.memoizers.get(applied.removesuffix("()"))
            if entry is not None and self._in_process(entry, expr):
                return label, False
        return None, False

    def _in_process(self, entry: Mapping[str, Any], expr: cst.BaseExpression) -> bool:
        call = expr if isinstance(expr, cst.Call) else None
        cache_spec = entry.get("cache_argument")
        if cache_spec is not None:
            value = _argument(call, cache_spec.get("keyword"), cache_spec.get("position"))
            return value is not None and self._in_memory_mapping(value)
        backend = entry.get("backend_argument")
        if backend is not None:
            if call is not None and any(a.keyword is not None and a.keyword.value in entry.get("unknown", ()) for a in call.args):
                return False
            value = _argument(call, backend.get("keyword"), backend.get("position"))
            if value is None:
                return True  # aiocache's default backend is Cache.MEMORY
            return not (self.ctx.qualnames(value) & set(entry.get("shared", ()))) and not isinstance(value, cst.Name)
        return True

    def _in_memory_mapping(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, (cst.Dict, cst.DictComp)):
            return True
        names = self.ctx.qualnames(value)
        classes = self.cache_classes | {"builtins.dict", "collections.OrderedDict"}
        return any(n[:-2] in classes for n in names if n.endswith("()"))

    # -- judging --------------------------------------------------------------------------------
    def judge(self, state: ModuleState) -> None:
        for item in self.memoized:
            if _per_call(item):
                continue  # a cache made at each call of the function defining it: it lives as long as that call
            reason = self._reads_changing_data(item.function, item.scope, state, 0)
            if reason is None:
                continue
            if item.flask_caching:  # judged with the project's CACHE_TYPE, at the setting
                span = self.span(item.decorator.decorator)
                shown = f"`{item.label}` on `{item.function.name.value}()`"
                self.fact({"flask_memo": [span.line, span.column, span.end_line, span.end_column], "name": shown, "reason": reason})
                continue
            self.report(
                item.decorator.decorator,
                f"`{item.label}` on `{item.function.name.value}()` memoizes changing data ({reason})",
            )
        self._module_caches(state)
        self._configured.finish()
        self.configured = None  # it points back at the rule: break the cycle, so the trees are freed without the collector
        for value, scope in self.cache_types:
            kind, text = self._cache_type(value, scope)
            span = self.span(value)
            self.fact({"cache_type": kind, "value": text, "site": [span.line, span.column, span.end_line, span.end_column]})

    def _cache_type(self, value: cst.BaseExpression, scope: Scope) -> tuple[str | None, str | None]:
        """``("local" | "other" | None, the value)`` of a CACHE_TYPE setting (an environment default counts)."""
        text = literal_string(value)
        if text is None and isinstance(value, cst.Call) and self.ctx.match(value.func, {"os.environ.get", "os.getenv"}, scope):
            default = value.args[1].value if len(value.args) > 1 else None
            text = literal_string(default) if default is not None else None
        if text is None:
            return None, None
        return ("local" if text in self.flask_local else "other"), text

    @classmethod
    def check_project(
        cls, facts: Mapping[str, list[Any]], doc: RuleDoc, options: Mapping[str, Any], knowledge: Mapping[str, Any]
    ) -> Iterable[Finding]:
        for path, span, message, lead in configured_cache_findings(facts, knowledge):
            yield cls.make_finding(doc, path, Span(*span), message, compose_hint(doc, lead))

    def _module_caches(self, state: ModuleState) -> None:
        """Module-level cachetools caches filled at run time by a function that reads changing data."""
        module = state.module_scope
        caches: dict[str, cst.CSTNode] = {}
        for name, bindings in module.names.items():
            for binding in bindings:
                value = binding.value
                if binding.kind == "assign" and isinstance(value, cst.Call) and self.ctx.match(value.func, self.cache_classes, module):
                    caches.setdefault(name, binding.node)
        reported: set[str] = set()
        for write in state.writes:
            root = write.root
            if not isinstance(root, cst.Name) or root.value not in caches or root.value in reported:
                continue
            bindings = self.ctx.resolver.lookup(root.value, write.scope)
            if not bindings or any(b.scope is not module for b in bindings):
                continue
            func = write.scope.node
            parent = write.scope.parent
            if not isinstance(func, cst.FunctionDef) or parent is None:
                continue
            reason = self._reads_changing_data(func, parent, state, 0)
            if reason is not None:
                reported.add(root.value)
                target = _bound(caches[root.value], root.value)
                self.report(
                    target or caches[root.value],
                    f"module cache `{root.value}`, filled by `{func.name.value}()`, holds changing data ({reason})",
                )

    def _reads_changing_data(self, func: cst.FunctionDef, outer: Scope, state: ModuleState, depth: int) -> str | None:
        key = id(func)
        if key in self._impure:
            return self._impure[key]
        self._impure[key] = None  # recursion guard
        scope = self.ctx.resolver.child_scope(func, outer)
        reason = self._data_call(func, scope, state, depth) or self._mutable_read(func, scope, state)
        self._impure[key] = reason
        return reason

    def _data_call(self, func: cst.FunctionDef, scope: Scope, state: ModuleState, depth: int) -> str | None:
        for node in body_nodes(func):
            if not isinstance(node, cst.Call):
                continue
            what = self.sources.read_by(node, self.ctx, scope)
            if what is not None:
                return f"`{what}()`"
            if depth < _MAX_DEPTH:
                via = self._through_function(node, scope, state, depth)
                if via is not None:
                    return via
        return None

    def _through_function(self, call: cst.Call, scope: Scope, state: ModuleState, depth: int) -> str | None:
        if not isinstance(call.func, cst.Name):
            return None
        for binding in self.ctx.resolver.lookup(call.func.value, scope):
            if binding.kind == "def" and isinstance(binding.node, cst.FunctionDef) and binding.scope is state.module_scope:
                inner = self._reads_changing_data(binding.node, binding.scope, state, depth + 1)
                if inner is not None:
                    return f"through `{call.func.value}()`: {inner}"
        return None

    def _mutable_read(self, func: cst.FunctionDef, scope: Scope, state: ModuleState) -> str | None:
        if self._mutable is None:
            self._mutable = state.mutable_names()
        if not self._mutable:
            return None
        for node in load_names(func.body):
            if node.value in self._mutable and _module_level(state, node, scope):
                return f"module state `{node.value}`"  # state the module changes at run time
        return None


def _module_level(state: ModuleState, node: cst.Name, scope: Scope) -> bool:
    bindings = state.ctx.resolver.lookup(node.value, scope)
    return bool(bindings) and all(b.scope is state.module_scope for b in bindings)


def _argument(call: cst.Call | None, keyword: str | None, position: int | None) -> cst.BaseExpression | None:
    if call is None:
        return None
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    if position is not None and len(positional) > position:
        return positional[position]
    return None


def _setting_key(target: cst.BaseExpression) -> str | None:
    if isinstance(target, cst.Subscript) and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
        return literal_string(target.slice[0].slice.value)
    if isinstance(target, (cst.Name, cst.Attribute)):
        return terminal(target)
    return None


def _bound(node: cst.CSTNode, name: str) -> cst.CSTNode | None:
    if isinstance(node, cst.Assign):
        for target in node.targets:
            if isinstance(target.target, cst.Name) and target.target.value == name:
                return target.target
    if isinstance(node, cst.AnnAssign):
        return node.target
    return None

