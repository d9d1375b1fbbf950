"""Name resolution through imports and scopes, without libcst's metadata providers.

libcst's QualifiedNameProvider needs a full ScopeProvider pass that costs several
times the parse itself. Rules here only need to know what a call or attribute
refers to, so scopes are collected lazily, one statement list at a time, and
expressions are resolved on demand to *qualified names*:

* ``import logging.handlers as lh; lh.RotatingFileHandler`` -> ``logging.handlers.RotatingFileHandler``
* calling something appends ``()``: ``app = Flask(__name__); app.run`` -> ``flask.Flask().run``
* a class defined in the module also resolves to its bases, so ``class Api(Flask)``
  then ``Api().run`` matches ``flask.Flask().run`` too
* parameters, loop variables and other unknowable values resolve to nothing, so a
  local ``def run()`` or a parameter named ``app`` never looks like Flask.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

_BUILTINS = frozenset(dir(builtins))
_MAX_DEPTH = 12  # guards assignment chains like a = b; b = a


@dataclass
class Binding:
    """One way a name gets a value in a scope."""

    kind: str  # import | def | class | assign | param | unknown
    scope: Scope
    target: str | None = None  # qualified name for import/def/class
    value: cst.BaseExpression | None = None  # assigned expression
    node: cst.CSTNode | None = None  # the defining node (Param, ClassDef, ...)


@dataclass(eq=False)
class Scope:
    """A module, class or function scope; its bindings are collected on first use."""

    kind: str  # module | class | function
    node: cst.CSTNode
    parent: Scope | None
    prefix: str  # qualified-name prefix for things defined here
    _names: dict[str, list[Binding]] | None = field(default=None, repr=False)
    global_names: set[str] = field(default_factory=set)
    nonlocal_names: set[str] = field(default_factory=set)
    resolver: NameResolver | None = field(default=None, repr=False)

    @property
    def names(self) -> dict[str, list[Binding]]:
        if self._names is None:
            self._names = {}
            _Collector(self).collect()
        return self._names

    def bind(self, name: str, binding: Binding) -> None:
        assert self._names is not None
        self._names.setdefault(name, []).append(binding)

    def bindings(self, name: str) -> list[Binding]:
        return self.names.get(name, [])

    @property
    def module_scope(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope


def dotted_name(node: cst.CSTNode) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def assigned_names(target: cst.BaseExpression) -> Iterator[cst.Name]:
    """Names bound by an assignment target (unpacking included)."""
    if isinstance(target, cst.Name):
        yield target
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from assigned_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from assigned_names(target.value)


class _Collector:
    """Walks one scope's statements (not nested scopes) and records its bindings."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def collect(self) -> None:
        node = self.scope.node
        if isinstance(node, cst.Module):
            self.statements(node.body)
        elif isinstance(node, cst.ClassDef):
            self.block(node.body)
        elif isinstance(node, (cst.FunctionDef, cst.Lambda)):
            self.params(node.params)
            if isinstance(node, cst.FunctionDef):
                self.block(node.body)

    def bind(self, name: str, kind: str, **kw: object) -> None:
        self.scope.bind(name, Binding(kind=kind, scope=self.scope, **kw))  # type: ignore[arg-type]

    def params(self, params: cst.Parameters) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for extra in (params.star_arg, params.star_kwarg):
            if isinstance(extra, cst.Param):
                every.append(extra)
        for param in every:
            self.bind(param.name.value, "param", node=param)

    def block(self, body: cst.BaseSuite) -> None:
        if isinstance(body, cst.IndentedBlock):
            self.statements(body.body)
        elif isinstance(body, cst.SimpleStatementSuite):
            for small in body.body:
                self.small(small)

    def statements(self, statements: Sequence[cst.BaseStatement]) -> None:
        for statement in statements:
            self.statement(statement)

    def statement(self, node: cst.BaseStatement) -> None:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self.small(small)
        elif isinstance(node, cst.FunctionDef):
            self.bind(node.name.value, "def", target=f"{self.scope.prefix}.{node.name.value}", node=node)
        elif isinstance(node, cst.ClassDef):
            self.bind(node.name.value, "class", target=f"{self.scope.prefix}.{node.name.value}", node=node)
        elif isinstance(node, (cst.If, cst.While)):
            self.block(node.body)
            if node.orelse is not None:
                self.orelse(node.orelse)
        elif isinstance(node, (cst.For,)):
            for name in assigned_names(node.target):
                self.bind(name.value, "unknown", node=node)
            self.block(node.body)
            if node.orelse is not None:
                self.orelse(node.orelse)
        elif isinstance(node, (cst.Try, cst.TryStar)):
            self.block(node.body)
            for handler in node.handlers:
                if handler.name is not None and isinstance(handler.name.name, cst.Name):
                    self.bind(handler.name.name.value, "unknown", node=handler)
                self.block(handler.body)
            if node.orelse is not None:
                self.block(node.orelse.body)
            if node.finalbody is not None:
                self.block(node.finalbody.body)
        elif isinstance(node, cst.With):
            for item in node.items:
                if item.asname is not None:
                    for name in assigned_names(item.asname.name):
                        self.bind(name.value, "assign", value=item.item, node=item)
            self.block(node.body)
        elif isinstance(node, cst.Match):
            for case in node.cases:
                self.block(case.body)

    def orelse(self, node: cst.If | cst.Else) -> None:
        if isinstance(node, cst.If):
            self.statement(node)
        else:
            self.block(node.body)

    def small(self, node: cst.BaseSmallStatement) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted_name(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.bind(alias.asname.name.value, "import", target=full, node=node)
                else:
                    head = full.split(".")[0]
                    self.bind(head, "import", target=head, node=node)
        elif isinstance(node, cst.ImportFrom):
            base = self.import_base(node)
            if base is None or isinstance(node.names, cst.ImportStar):
                return
            for alias in node.names:
                name = dotted_name(alias.name) or ""
                local = name
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    local = alias.asname.name.value
                target = f"{base}.{name}" if base else name
                self.bind(local, "import", target=target, node=node)
        elif isinstance(node, cst.Assign):
            for target in node.targets:
                for name in assigned_names(target.target):
                    kind = "assign" if isinstance(target.target, cst.Name) else "unknown"
                    self.bind(name.value, kind, value=node.value, node=node)
        elif isinstance(node, cst.AnnAssign):
            if isinstance(node.target, cst.Name):
                self.bind(node.target.value, "assign" if node.value else "unknown", value=node.value, node=node)
        elif isinstance(node, cst.AugAssign):
            if isinstance(node.target, cst.Name):
                self.bind(node.target.value, "unknown", node=node)
        elif isinstance(node, cst.Global):
            self.scope.global_names.update(n.name.value for n in node.names)
        elif isinstance(node, cst.Nonlocal):
            self.scope.nonlocal_names.update(n.name.value for n in node.names)

    def import_base(self, node: cst.ImportFrom) -> str | None:
        module = dotted_name(node.module) if node.module is not None else ""
        level = len(node.relative)
        if level == 0:
            return module
        resolver = self.scope.module_scope.resolver
        package = resolver.package if resolver is not None else ""
        parts = package.split(".") if package else []
        if level - 1 > len(parts):
            return None
        base_parts = parts[: len(parts) - (level - 1)]
        if module:
            base_parts.append(module)
        return ".".join(base_parts)


class QualifiedNames(frozenset[str]):
    """The answer of :meth:`NameResolver.resolve`, iterated in sorted order: first the names the
    file itself gives, then what the project model expands them to.

    A frozenset of strings iterates in an order that depends on string hashing, which
    changes from run to run; rules that take the first name matching their catalog
    would then report differently in pre-commit and in CI. And a rule that takes the
    first name as where a value comes from (``web.api.api``, a blueprint of the project)
    must not get what it expands to (``flask.Blueprint()``) instead.
    """

    __slots__ = ("_order",)

    def __new__(cls, names: Iterable[str], expanded: Iterable[str] = ()) -> QualifiedNames:
        direct = sorted(set(names))
        more = sorted(set(expanded).difference(direct))
        self = super().__new__(cls, (*direct, *more))
        self._order = (*direct, *more)
        return self

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self._order,))


def _restore(order: tuple[str, ...]) -> QualifiedNames:
    names = QualifiedNames(order)
    names._order = order
    return names


class NameResolver:
    """Resolves expressions of one module to qualified names."""

    def __init__(
        self,
        module: cst.Module,
        module_name: str,
        is_package: bool = False,
        expand: Callable[[str], frozenset[str]] | None = None,
    ) -> None:
        self.module_name = module_name
        #: the project model's :meth:`~statelint.project.model.ProjectModel.expand`: what a name
        #: defined in another module of the project stands for (None: this file alone)
        self.expand = expand
        if is_package:
            self.package = module_name
        else:
            self.package = module_name.rpartition(".")[0]
        self.module_scope = Scope("module", module, None, module_name, resolver=self)
        # Per file, keyed by object identity (the tree is immutable and outlives both):
        # one Scope per function/class node, so its bindings are collected once even when
        # factory calls revisit it, and the answers of top-level resolve() calls, which
        # every rule asks again for the same call sites.
        self._scopes: dict[tuple[int, int], Scope] = {}
        self._resolved: dict[tuple[int, int], frozenset[str]] = {}

    def close(self) -> None:
        """Forget the file's scopes. Each scope and its bindings point at each other, and at the
        tree: left as they are, only the cyclic garbage collector frees the file, after walking
        every node of it."""
        for scope in (self.module_scope, *self._scopes.values()):
            scope._names = None
            scope.resolver = None
        self._scopes.clear()
        self._resolved.clear()

    def child_scope(self, node: cst.CSTNode, parent: Scope) -> Scope:
        key = (id(node), id(parent))
        scope = self._scopes.get(key)
        if scope is None:
            kind = "class" if isinstance(node, cst.ClassDef) else "function"
            name = node.name.value if isinstance(node, (cst.ClassDef, cst.FunctionDef)) else "<lambda>"
            prefix = f"{parent.prefix}.{name}" if parent.kind != "function" else f"{parent.prefix}.<locals>.{name}"
            scope = self._scopes[key] = Scope(kind, node, parent, prefix)
        return scope

    # -- lookups -------------------------------------------------------------------
    def lookup(self, name: str, scope: Scope) -> list[Binding]:
        """The bindings a name may refer to from ``scope`` (Python's LEGB rule)."""
        current: Scope | None = scope
        first = True
        while current is not None:
            if current.kind == "class" and not first:
                current = current.parent
                continue
            if name in current.global_names:
                return self.module_scope.bindings(name)
            found = current.bindings(name)
            if found:
                return found
            first = False
            current = current.parent
        return []

    def resolve(self, node: cst.CSTNode, scope: Scope, _depth: int = 0) -> frozenset[str]:
        """Every qualified name ``node`` may refer to; empty when unknown."""
        if _depth == 0:
            key = (id(node), id(scope))
            found = self._resolved.get(key)
            if found is None:
                names = self._resolve(node, scope, 0)
                expanded = frozenset().union(*(self.expand(n) for n in names)) if self.expand is not None else ()
                found = self._resolved[key] = QualifiedNames(names, expanded)
            return found
        return self._resolve(node, scope, _depth)

    def _resolve(self, node: cst.CSTNode, scope: Scope, _depth: int) -> frozenset[str]:
        if _depth > _MAX_DEPTH:
            return frozenset()
        if isinstance(node, cst.Name):
            bindings = self.lookup(node.value, scope)
            if not bindings:
                return frozenset({f"builtins.{node.value}"}) if node.value in _BUILTINS else frozenset()
            out: set[str] = set()
            for binding in bindings:
                out |= self._resolve_binding(binding, _depth + 1)
            return frozenset(out)
        if isinstance(node, cst.Attribute):
            return frozenset(f"{q}.{node.attr.value}" for q in self.resolve(node.value, scope, _depth + 1))
        if isinstance(node, cst.Call):
            called = frozenset(f"{q}()" for q in self.resolve(node.func, scope, _depth + 1))
            return called | self._factory_results(node.func, scope, _depth + 1)
        if isinstance(node, cst.Await):
            return self.resolve(node.expression, scope, _depth + 1)
        return frozenset()

    def _factory_results(self, func: cst.CSTNode, scope: Scope, depth: int) -> frozenset[str]:
        """What a function defined in this module returns: ``create_app()`` -> ``flask.Flask()``."""
        if not isinstance(func, cst.Name):
            return frozenset()
        out: set[str] = set()
        for binding in self.lookup(func.value, scope):
            if binding.kind == "def" and isinstance(binding.node, cst.FunctionDef):
                inner = self.child_scope(binding.node, binding.scope)
                for value in _returned_values(binding.node.body):
                    out |= self.resolve(value, inner, depth + 1)
        return frozenset(out)

    def _resolve_binding(self, binding: Binding, depth: int) -> frozenset[str]:
        if binding.kind in ("import", "def"):
            return frozenset({binding.target}) if binding.target else frozenset()
        if binding.kind == "class":
            out = {binding.target} if binding.target else set()
            node = binding.node
            if isinstance(node, cst.ClassDef):
                for base in node.bases:
                    if base.keyword is None:
                        out |= self.resolve(base.value, binding.scope, depth + 1)
            return frozenset(out)
        if binding.kind == "assign" and binding.value is not None:
            return self.resolve(binding.value, binding.scope, depth + 1)
        return frozenset()



def _returned_values(body: cst.BaseSuite) -> Iterator[cst.BaseExpression]:
    """Values of ``return`` statements of a function body, nested blocks included, nested scopes not."""
    pending: list[cst.CSTNode] = [body]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Return):
            if node.value is not None:
                yield node.value
        elif isinstance(node, (cst.IndentedBlock, cst.SimpleStatementSuite, cst.SimpleStatementLine)):
            pending.extend(node.body)
        elif isinstance(node, (cst.If, cst.While, cst.For, cst.With, cst.Try, cst.TryStar)):
            pending.append(node.body)
            for part in ("orelse", "finalbody"):
                extra = getattr(node, part, None)
                if extra is not None:
                    pending.append(extra if isinstance(extra, cst.If) else extra.body)
            pending.extend(handler.body for handler in getattr(node, "handlers", ()))
        elif isinstance(node, cst.Else):
            pending.append(node.body)
