"""SL105: signing and encryption keys generated in each process.

A key generated when the process starts is a different key on every replica and after every
restart: sessions, tokens and encrypted data one process issued fail on the others. Random
data (``os.urandom``, ``secrets.token_hex`` ...) is a key only on evidence: it is bound to a
key setting (``knowledge.per_process_secrets.key_names``: an assignment target, a keyword, a
dictionary key, the name a setting is read by) or passed where a library takes a key
(``key_sinks``), directly or through local names and the return values of the module's
functions. A call that makes nothing but a key (``Fernet.generate_key``) is a key wherever
its value is kept. Either way it is reported only where it runs once for the process: module
level, a class body (a settings default), a settings class's ``default_factory``, a function
that runs at startup (as SL101 decides it), or a function a per-process place calls for the key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst

from statelint.analyses.state import module_state
from statelint.analyses.state_code import globals_of
from statelint.analyses.syntax import ABSENT, UNKNOWN, argument, literal_string
from statelint.engine.names import Scope, dotted_name
from statelint.engine.requirements import Requires
from statelint.engine.walker import children
from statelint.rules.base import Rule

_MAX_DEPTH = 4  # how far a key is followed back through names and return values
_ON = frozenset({"1", "true", "True", "TRUE", "yes", "on"})  # a debug flag compared with these is on


@dataclass
class _Generated:
    """A call that makes random data (or a key), where it runs."""

    node: cst.CSTNode  # the call, or the generator given as a default_factory
    label: str  # how it reads, quoted: `secrets.token_hex()`
    key: bool  # makes nothing but a key
    scope: Scope
    bound: cst.Assign | cst.AnnAssign | None  # the assignment whose value holds it
    in_main: bool  # under `if __name__ == "__main__":`


@dataclass
class _Key:
    """An expression whose value becomes a key."""

    value: cst.BaseExpression
    scope: Scope
    label: str  # `SECRET_KEY`, `app.config["SECRET_KEY"]`, the key passed to `Fernet()`
    fallback: bool  # the value a setting falls back to when it is missing


class PerProcessSecret(Rule):
    code = "SL105"
    # random data made here (or a settings field's default_factory naming its maker) and a key it may
    # become: a key-only generator, a key sink, a key setting's name (the shape)
    requires = Requires(shapes=["per-process-key"])

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        calls = [c for g in knowledge.get("per_process_secrets", {}).get("generators", ()) for c in g["calls"]]
        return tuple(sorted({c.rsplit(".", 1)[-1] for c in calls}))

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        k = self.knowledge.get("per_process_secrets", {})
        self.generators = {c: bool(g.get("key")) for g in k.get("generators", ()) for c in g["calls"]}
        self.key_names = {n.upper() for n in (*k.get("key_names", ()), *self.options.get("extra-key-names", ()))}
        self.sinks = {c: s["argument"] for s in k.get("key_sinks", ()) for c in s["calls"]}
        self.deferred_keywords = frozenset(k.get("deferred_defaults", ()))
        self.settings_classes = frozenset(k.get("settings_classes", ()))
        self.environment_reads = frozenset(k.get("environment_reads", ()))
        self.debug_flags = {n.upper() for n in k.get("debug_flags", ())}
        self.startup = tuple(self.options.get("startup-functions", ()))
        # in-process memoizers that need no cache or backend argument (functools.lru_cache ...): what a
        # function they decorate returns is made once per process (per argument set) and kept
        self.memoizers = frozenset(
            c for m in self.knowledge.get("memoizers", ()) if not ({"cache_argument", "backend_argument"} & set(m))
            for c in m["calls"]
        )
        self.generated: dict[int, _Generated] = {}
        self.keys: list[_Key] = []
        self.deferred: set[int] = set()  # lambdas given as a settings field's default_factory
        self.fallbacks: list[cst.BaseExpression] = []  # what a setting falls back to: ``X or Y``, ``os.getenv(X, Y)``: Y
        self._assigns: list[cst.Assign | cst.AnnAssign] = []
        self._mains: set[int] = set()
        self.debug_only: list[cst.CSTNode] = []  # branches that run only in development (``if DEBUG:``)
        self._per_process: dict[int, bool] = {}

    # -- collection ---------------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        self._assigns.append(node)
        for target in node.targets:
            self._key_target(target.target, node.value)

    def leave_Assign(self, node: cst.Assign) -> None:
        self._assigns.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assigns.append(node)
        if node.value is not None:
            self._key_target(node.target, node.value)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assigns.pop()

    def visit_If(self, node: cst.If) -> None:
        if _is_main(node.test):
            self._mains.add(id(node))
        self._debug_branch(node.test, node.body, node.orelse)

    def leave_If(self, node: cst.If) -> None:
        self._mains.discard(id(node))

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._debug_branch(node.test, node.body, node.orelse)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        name = literal_string(node.key)
        if name is not None and name.upper() in self.key_names:
            self._key(node.value, f"`{name}`")

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        if isinstance(node.operator, cst.Or):
            self.fallbacks.append(node.right)
            name = self._setting_read(node.left)
            if name is not None:
                self._key(node.right, f"`{name}`", fallback=True)

    def visit_Call(self, node: cst.Call) -> None:
        self._generator_call(node)
        self._sink(node)
        for arg in node.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword is None:
                continue
            if keyword.upper() in self.key_names:
                self._key(arg.value, f"`{keyword}`")
            elif keyword in self.deferred_keywords and self._in_settings_class():
                self._deferred_default(arg.value)
        defaults = [arg.value for arg in node.args[1:] if not arg.star]
        if self.ctx.match(node.func, self.environment_reads) is not None:
            self.fallbacks.extend(defaults)
        name = _first_string(node)  # a key setting read (or set) by its name: the other arguments are its default
        if name is not None and name.upper() in self.key_names:
            for value in defaults:
                self._key(value, f"`{name}`", fallback=True)

    def _key_target(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        name = _target_name(target)
        if name is None or name.upper() not in self.key_names:
            return
        if isinstance(target, cst.Name) and not self._kept_name(target.value):
            return  # a local of a function or of a script's __main__ block: followed only where it goes
        self._key(value, f"`{self.ctx.module.code_for_node(target)}`")

    def _kept_name(self, name: str) -> bool:
        """A name bound here outlives the code binding it: a module global (not in a ``__main__``
        block, which is a script's body) or a class attribute."""
        scope = self.ctx.scope
        if scope.kind == "function":
            return name in globals_of(scope)
        return scope.kind == "class" or not self._mains

    def _debug_branch(self, test: cst.BaseExpression, body: cst.CSTNode, orelse: cst.CSTNode | None) -> None:
        """``if DEBUG:`` (or ``settings.DEBUG``, ``app.debug``, ``os.getenv("DEBUG")``) runs its body
        only in development, ``if not DEBUG:`` its ``else``: a key generated there is never deployed."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            debug, branch = self._debug_read(test.expression), orelse
        else:
            debug, branch = self._debug_read(test), body
        if debug and branch is not None:
            self.debug_only.append(branch)

    def _debug_read(self, test: cst.BaseExpression) -> bool:
        """``test`` holds only while a debug flag is on: the flag, ``DEBUG and ...``, ``DEBUG == "1"``."""
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
            return self._debug_read(test.left) or self._debug_read(test.right)
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            target = test.comparisons[0]
            on = literal_string(target.comparator) in _ON or (
                isinstance(target.comparator, cst.Name) and target.comparator.value == "True"
            )
            return isinstance(target.operator, cst.Equal) and on and self._debug_read(test.left)
        name = _first_string(test) if isinstance(test, cst.Call) else _target_name(test)
        return name is not None and name.upper() in self.debug_flags

    def _key(self, value: cst.BaseExpression, label: str, fallback: bool = False) -> None:
        self.keys.append(_Key(value, self.ctx.scope, label, fallback))

    def _sink(self, node: cst.Call) -> None:
        found = self.ctx.match(node.func, self.sinks)
        if found is None:
            return
        spec = self.sinks[found]
        value = argument(node, spec.get("keyword"), spec.get("position"))
        if value is not ABSENT and value is not UNKNOWN:
            self._key(value, f"the key passed to `{_short(self.ctx.module.code_for_node(node.func))}()`")

    def _generator_call(self, node: cst.Call) -> None:
        found = self.ctx.match(node.func, self.generators)
        if found is not None:
            self._generated(node, f"`{_short(self.ctx.module.code_for_node(node.func))}()`", self.generators[found])
            return
        if self._local_function(node.func):
            return  # its return values are followed where the call becomes a key
        for name in self.ctx.qualnames(node):
            made = name[:-2] if name.endswith("()") else None
            if made in self.generators:  # a project function returning a generator's value
                label = f"`{_short(self.ctx.module.code_for_node(node.func))}()`, which returns `{made}()`"
                self._generated(node, label, self.generators[made])
                return

    def _in_settings_class(self) -> bool:
        """The code being walked is the body of a settings class (made once per process)."""
        scope = self.ctx.scope
        node = scope.node
        if scope.kind != "class" or not isinstance(node, cst.ClassDef) or scope.parent is None:
            return False
        return any(
            base.keyword is None and self.ctx.match(base.value, self.settings_classes, scope.parent) is not None
            for base in node.bases
        )

    def _deferred_default(self, value: cst.BaseExpression) -> None:
        """A settings field's ``default_factory=lambda: ...`` runs once, when the settings are made;
        ``default_factory=secrets.token_hex`` too."""
        if isinstance(value, cst.Lambda):
            self.deferred.add(id(value))
            return
        if isinstance(value, cst.Call) and self.ctx.match(value.func, {"functools.partial"}) and value.args:
            value = value.args[0].value
        found = self.ctx.match(value, self.generators)
        if found is not None:
            self._generated(value, f"`{_short(self.ctx.module.code_for_node(value))}`", self.generators[found])

    def _generated(self, node: cst.CSTNode, label: str, key: bool) -> None:
        bound = self._assigns[-1] if self._assigns else None
        self.generated[id(node)] = _Generated(node, label, key, self.ctx.scope, bound, bool(self._mains))

    def _local_function(self, func: cst.BaseExpression) -> bool:
        if not isinstance(func, cst.Name):
            return False
        return any(b.kind == "def" for b in self.ctx.resolver.lookup(func.value, self.ctx.scope))

    def _setting_read(self, expr: cst.BaseExpression) -> str | None:
        """The key setting ``expr`` reads (``os.getenv("SECRET_KEY")``, ``settings.SECRET_KEY``), if any."""
        if isinstance(expr, cst.BooleanOperation):
            return self._setting_read(expr.left) or self._setting_read(expr.right)
        name = _first_string(expr) if isinstance(expr, cst.Call) else _target_name(expr)
        return name if name is not None and name.upper() in self.key_names else None

    # -- judging --------------------------------------------------------------------------
    def leave_Module(self, node: cst.Module) -> None:
        if not self.generated:
            return
        fallbacks = self._inside(self.fallbacks)
        debug_only = self._inside(self.debug_only)
        for item, label, fallback in self._findings().values():
            if id(item.node) not in debug_only:
                self._report(item, label, fallback or id(item.node) in fallbacks)

    def _inside(self, roots: list[cst.CSTNode]) -> set[int]:
        """The generators under ``roots`` (by id)."""
        return {id(node) for root in roots for node in _walk(root) if id(node) in self.generated}

    def _findings(self) -> dict[int, tuple[_Generated, str, bool]]:
        """One per generator: named after the first key it becomes (a fallback when any such key is),
        then the kept key generators no key setting or sink names."""
        found: dict[int, tuple[_Generated, str, bool]] = {}
        for key in self.keys:
            item, via = self._first_generated(key)
            if item is not None:
                named = f"`{via}` ({key.label})" if via is not None and not key.label.startswith("`") else key.label
                _, label, fallback = found.get(id(item.node), (item, named, False))
                found[id(item.node)] = (item, label, fallback or key.fallback)
        for item in self.generated.values():
            if item.key and id(item.node) not in found and self._kept(item) and self.per_process(item.scope):
                target = _first_target(item.bound)
                label = f"`{self.ctx.module.code_for_node(target)}`" if target is not None else "a key"
                found[id(item.node)] = (item, label, False)
        return found

    def _first_generated(self, key: _Key) -> tuple[_Generated | None, str | None]:
        """The first generator whose value becomes ``key`` where it runs once per process, and the
        name it reaches the key through (``_key`` of ``_key = os.urandom(32)``), if any."""
        for item, site, via in self._flow(key.value, key.scope, None, None, 0, set()):
            if self.per_process(item.scope) or (site is not None and self.per_process(site)):
                return item, via
        return None, None

    def _flow(
        self, expr: cst.CSTNode, scope: Scope, site: Scope | None, via: str | None, depth: int, seen: set[int]
    ) -> Iterator[tuple[_Generated, Scope | None, str | None]]:
        """Generators whose value ``expr`` holds: in it, behind the names it reads (``via``: the
        first), and in what the module's functions it calls return (``site``: where such a call was made)."""
        for node in self._value_nodes(expr):
            item = self.generated.get(id(node))
            if item is not None:
                yield item, site, via
            if depth >= _MAX_DEPTH:
                continue
            if isinstance(node, cst.Name):
                for binding in self.ctx.resolver.lookup(node.value, scope):
                    if binding.kind == "assign" and binding.value is not None and id(binding.value) not in seen:
                        seen.add(id(binding.value))
                        yield from self._flow(binding.value, binding.scope, site, via or node.value, depth + 1, seen)
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
                for binding in self.ctx.resolver.lookup(node.func.value, scope):
                    func = binding.node
                    if binding.kind == "def" and isinstance(func, cst.FunctionDef) and id(func) not in seen:
                        seen.add(id(func))
                        inner = self.ctx.resolver.child_scope(func, binding.scope)
                        for value in _returned(func):
                            yield from self._flow(value, inner, site or scope, via, depth + 1, seen)

    def _value_nodes(self, expr: cst.CSTNode) -> Iterator[cst.CSTNode]:
        """The nodes of an expression that may carry a value into it: not attribute or keyword
        names, nested definitions, or lambdas other than a settings field's default factory (they run later)."""
        stack: list[cst.CSTNode] = [expr]
        while stack:
            node = stack.pop()
            yield node
            if isinstance(node, (cst.Attribute, cst.Arg)):
                stack.append(node.value)
            elif isinstance(node, cst.Lambda):
                if id(node) in self.deferred:
                    stack.append(node.body)
            elif not isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                kids = children(node)
                kids.reverse()
                stack.extend(kids)

    def per_process(self, scope: Scope) -> bool:
        """Whether code in ``scope`` runs once for the process: module level, a class body, a
        settings class's default factory, or a function that runs only at startup."""
        key = id(scope)
        found = self._per_process.get(key)
        if found is None:
            found = self._per_process[key] = self._judge_scope(scope)
        return found

    def _judge_scope(self, scope: Scope | None) -> bool:
        while scope is not None and scope.kind != "module":
            if scope.kind == "function":
                if not (isinstance(scope.node, cst.Lambda) and id(scope.node) in self.deferred):
                    return module_state(self).runs_at_import(scope, self.startup) or self._memoized(scope)
            scope = scope.parent
        return True

    def _memoized(self, scope: Scope) -> bool:
        """A function under an in-process memoizer (``@lru_cache def get_settings()``): it runs once per
        process (per argument set), and what it makes lives as long as the process."""
        node = scope.node
        if not isinstance(node, cst.FunctionDef) or scope.parent is None:
            return False
        for decorator in node.decorators:
            expr = decorator.decorator
            if self.ctx.match(expr.func if isinstance(expr, cst.Call) else expr, self.memoizers, scope.parent):
                return True
        return False

    def _kept(self, item: _Generated) -> bool:
        """A key generator's value is kept by the process: assigned to a module or class name or an
        attribute (a local of a function, or a key made only to be printed, is not)."""
        if item.bound is None or item.in_main:
            return False
        targets = [t.target for t in item.bound.targets] if isinstance(item.bound, cst.Assign) else [item.bound.target]
        if any(isinstance(t, cst.Attribute) for t in targets):
            return True
        outer = item.scope
        while outer.kind == "function" and isinstance(outer.node, cst.Lambda) and outer.parent is not None:
            outer = outer.parent
        return outer.kind in ("module", "class") and any(isinstance(t, cst.Name) for t in targets)

    def _report(self, item: _Generated, label: str, fallback: bool) -> None:
        how = "falls back to a per-process key" if fallback else "is generated per process"
        when = " when unset" if fallback else ""
        self.report(item.node, f"{label} {how} ({item.label}){when}")


def _is_main(test: cst.BaseExpression) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = (test.left, test.comparisons[0].comparator)
    return {dotted_name(side) or literal_string(side) for side in sides} == {"__name__", "__main__"}


def _target_name(target: cst.BaseExpression) -> str | None:
    """The name an assignment target (or a read) gives its value: ``X``, ``app.X``, ``config["X"]``."""
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        return target.attr.value
    if isinstance(target, cst.Subscript) and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
        return literal_string(target.slice[0].slice.value)
    return None


def _first_string(call: cst.CSTNode) -> str | None:
    """The literal string a call's first positional argument is (the setting ``os.getenv("X", ...)`` reads)."""
    if not isinstance(call, cst.Call) or not call.args:
        return None
    first = call.args[0]
    if first.keyword is not None or first.star:
        return None
    return literal_string(first.value)


def _first_target(node: cst.Assign | cst.AnnAssign | None) -> cst.BaseExpression | None:
    if isinstance(node, cst.Assign):
        return node.targets[0].target
    if isinstance(node, cst.AnnAssign):
        return node.target
    return None


def _returned(func: cst.FunctionDef) -> Iterator[cst.BaseExpression]:
    """What ``return`` statements of ``func`` (not of functions nested in it) give back."""
    stack: list[cst.CSTNode] = [func.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Return):
            if node.value is not None:
                yield node.value
        elif not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and not isinstance(node, cst.BaseExpression):
            stack.extend(children(node))


def _walk(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under ``root``, nested scopes included."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(children(node))


def _short(code: str) -> str:
    return code if len(code) <= 60 else f"{code[:57]}..."


__all__ = ["PerProcessSecret"]

