"""What a module does at shutdown, and to which objects: shared by the SL5 and SL7 rules.

Whether a thread is stopped, a task cancelled or a server drained is only known once the
whole module has been read (the stop usually sits in a hook defined after the start). So
one :class:`ShutdownIndex` per file records, during the shared traversal, the few events
these rules need:

* every call with the qualified names of what it calls, and where each fresh object
  created by a call is kept (``storage``: a name, an attribute, a container, a ``with``,
  an ``await`` (with the name its result is kept in, if any), dropped, or a method
  chained onto it), and the ``for`` loops and comprehensions (what they iterate);
* the operations applied to kept objects (``t.join()``, ``await task``, ``pool.shutdown``
  passed to ``atexit.register``, ``t`` passed to a call or returned ...), filed by the
  last identifier of their subject so they can be matched cheaply;
* the **shutdown paths**: ``atexit`` hooks, signal handlers, FastAPI/Starlette shutdown
  events and lifespans (the code after ``yield``), aiohttp ``on_shutdown``/``on_cleanup``/
  ``cleanup_ctx``, ``finally`` blocks and ``except KeyboardInterrupt/SystemExit`` handlers,
  functions named like lifecycle hooks (``stop``, ``close``, ``__exit__`` ...) that something
  calls as the process stops or a ``with`` block ends (the project model says which: a name
  alone is no shutdown path), and every function of the module they call.

Objects are identified by *keys*: ``n:<scope>:<name>`` for a variable (so two locals
named ``t`` in two functions differ), ``s:<class>:<attr>`` for ``self.attr`` and class
attributes (subclasses share their module base class's), ``a:<attr>`` for an attribute
of anything else. An ``a:`` key matches any class's attribute of that name
(``worker._thread.join()`` joins ``self._thread``): lenient, so a stop is rarely missed.
A loop variable stands for the container it iterates (``for t in threads: t.join()``
joins ``threads``). What counts as a shutdown path is read from ``rules/sl7.yaml``
(``knowledge.shutdown_paths``), the one place both families share.

Each rule instance forwards its visits here; the index processes a node once however many
rules forward it, so the SL5 and SL7 rules together cost one collection per file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import libcst as cst

from statelint.catalog import load_catalog
from statelint.engine.context import FileContext
from statelint.engine.names import Scope, assigned_names
from statelint.engine.walker import children
from statelint.rules.base import Rule

Function = cst.FunctionDef | cst.Lambda
_MAX_DEPTH = 8
_VIEWS = frozenset({"values", "items", "keys", "copy", "pop", "get", "popleft", "popitem"})
_WRAPPERS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "reversed", "iter", "enumerate"})
#: Methods that put their argument into the receiver: the receiver then holds the handle.
CONTAINER_ADDS = frozenset({"append", "add", "appendleft", "insert", "extend", "put", "put_nowait", "setdefault"})
#: Methods that take an argument out of a container: not an escape of the handle.
_CONTAINER_REMOVES = frozenset({"remove", "discard"})
#: Nodes whose visit pushes a context that their leave pops.
_SCOPED = (cst.For, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp, cst.While, cst.Finally,
           cst.ExceptHandler, cst.ExceptStarHandler)
_LOGGING = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print", "write", "flush"}
)


@dataclass(frozen=True, eq=False)
class Where:
    """The context of an event: enclosing functions (outermost first) and what surrounds it."""

    funcs: tuple[Function, ...] = ()
    guard: bool = False  # inside ``finally`` or an ``except KeyboardInterrupt/SystemExit``
    in_while: bool = False
    #: loop variables in scope: (name, iterated expression, its scope, its context)
    loops: tuple[tuple[str, cst.BaseExpression, Scope, Where], ...] = ()


@dataclass(eq=False)
class Event:
    """One thing the module does: a call, or an operation on an object."""

    kind: str  # call | method | ref | await | arg | with | assign | alias | exit | loop
    node: cst.CSTNode  # the call, statement or expression it happens in
    scope: Scope
    where: Where
    after_yield: bool  # the enclosing function already yielded (code after a lifespan's yield)
    subject: cst.BaseExpression | None = None  # receiver, passed value, assignment target
    name: str = ""  # the method called or referenced
    names: frozenset[str] = frozenset()  # call: qualified names of the callee
    other: cst.BaseExpression | None = None  # alias: the value; assign: the assigned value
    call: Event | None = None  # arg: the call the value is passed to
    hard: bool = False  # exit: os._exit rather than an unwinding exit
    hooked: str = ""  # a reference registered as a hook (``atexit.register(pool.shutdown)``): its origin
    opt_in: str = ""  # the parameter a caller must set for this to happen (``if wait: t.join()``)


@dataclass(eq=False)
class Storage:
    """Where the object a call creates is kept."""

    kind: str  # target | container | with | await (target: where the awaited result is kept) | dropped | chain
    target: cst.BaseExpression | None = None
    scope: Scope | None = None
    where: Where | None = None
    method: str = ""  # chain: the method called on the fresh object (``Thread(...).start()``)


@dataclass(eq=False)
class Hook:
    """A callable registered to run at shutdown (or on a signal)."""

    expr: cst.BaseExpression
    scope: Scope
    where: Where
    mode: str  # whole | after_yield
    node: cst.CSTNode  # the registration
    origin: str  # atexit | signal | app (framework shutdown hooks)
    signals: frozenset[str] | None = None  # signal handlers: which signals


@dataclass
class _Frame:
    node: Function
    yielded: bool = False


def unwrap(expr: cst.BaseExpression) -> cst.BaseExpression:
    """The container behind views and copies: ``list(d.values())`` -> ``d``; ``x[0]`` -> ``x``."""
    if isinstance(expr, (cst.Name, cst.Attribute)):
        return expr
    for _ in range(_MAX_DEPTH):
        if isinstance(expr, (cst.Subscript, cst.StarredElement)):
            expr = expr.value
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _VIEWS:
            expr = expr.func.value
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in _WRAPPERS:
            if not expr.args:
                break
            expr = expr.args[0].value
        else:
            break
    return expr


def base_name(expr: cst.BaseExpression | None) -> str | None:
    """The last identifier of an expression: ``self._pool`` -> ``_pool``."""
    if expr is None:
        return None
    expr = unwrap(expr)
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def argument(call: cst.Call, keyword: str | None, position: int | None) -> cst.BaseExpression | None:
    """The expression passed for a parameter, or None."""
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    for arg in call.args:
        if keyword is not None and arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    if position is not None and len(positional) > position:
        return positional[position]
    return None


def literal(node: cst.CSTNode | None) -> Any:
    """The value of a literal string, number, True/False/None; ``...`` when not a literal."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return node.evaluated_value
    if isinstance(node, cst.Integer):
        return int(node.value, 0) if node.value.isdigit() else ...
    if isinstance(node, cst.Float):
        return float(node.value)
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    return ...


def subtree(node: cst.CSTNode, limit: int = 20000) -> Iterator[cst.CSTNode]:
    """Every node under ``node`` (itself included), breadth first, at most ``limit``."""
    pending = [node]
    seen = 0
    while pending and seen < limit:
        current = pending.pop()
        seen += 1
        yield current
        pending.extend(children(current))


def _elements(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The items of a literal list or tuple, or the value itself."""
    if isinstance(value, (cst.List, cst.Tuple)):
        return [e.value for e in value.elements]
    return [value]


def _produced(value: cst.BaseExpression) -> Iterator[tuple[cst.Call, bool]]:
    """Calls whose result an assignment keeps, and whether it keeps them inside a container."""
    if isinstance(value, cst.Call):
        yield value, False
    elif isinstance(value, cst.IfExp):
        yield from _produced(value.body)
        yield from _produced(value.orelse)
    elif isinstance(value, cst.BooleanOperation):
        yield from _produced(value.left)
        yield from _produced(value.right)
    elif isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        for element in value.elements:
            if isinstance(element.value, cst.Call):
                yield element.value, True
    elif isinstance(value, (cst.ListComp, cst.SetComp, cst.GeneratorExp)) and isinstance(value.elt, cst.Call):
        yield value.elt, True
    elif isinstance(value, cst.DictComp) and isinstance(value.value, cst.Call):
        yield value.value, True
    elif isinstance(value, cst.Dict):
        for element in value.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.value, cst.Call):
                yield element.value, True


class ShutdownIndex:
    """The shutdown-relevant events of one module; see the module docstring."""

    @classmethod
    def of(cls, ctx: FileContext) -> ShutdownIndex:
        """The index of ``ctx``'s file, shared by every rule instance of that file."""
        return ctx.analysis("shutdown index", lambda ctx: cls(ctx, load_catalog().knowledge("SL7")["shutdown_paths"]))

    def close(self) -> None:
        """Drop the rule families' analyses (:attr:`cache`), which refer back to the index."""
        self.cache.clear()

    def __init__(self, ctx: FileContext, knowledge: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.knowledge = knowledge
        self.lifecycle = re.compile(knowledge["lifecycle_method_pattern"])
        self.calls: list[Event] = []
        self.call_events: dict[int, Event] = {}  # id(call node) -> its event
        self.ops: dict[str, list[Event]] = {}
        self.aliases: list[Event] = []
        self.loops: list[Event] = []  # for statements and comprehensions: target (subject), iterated (other)
        self.exits: list[Event] = []
        self.storage: dict[int, Storage] = {}
        self.hooks: list[Hook] = []
        self.functions: dict[str, list[cst.FunctionDef]] = {}  # qualified name -> defs
        self.classes: dict[str, cst.ClassDef] = {}
        self.class_parents: dict[str, Scope] = {}  # class -> the scope it is defined in
        self.method_class: dict[cst.FunctionDef, Scope] = {}  # method -> its class scope
        self.cache: dict[str, Any] = {}  # derived analyses of the rule families
        self._where = Where()
        self._frames: list[_Frame] = []
        self._saved: list[Where] = []
        self._last_visit: cst.CSTNode | None = None
        self._last_leave: cst.CSTNode | None = None
        self._finished = False
        self._keys: dict[int, str | None] = {}
        self._callees: dict[int, list[Function]] = {}
        self.shutdown_funcs: set[Function] = set()
        #: functions named like lifecycle hooks (``stop``, ``close``, ``__exit__``) -> their qualified
        #: names: shutdown paths only when something registered to run at shutdown may call them
        self.lifecycle_funcs: dict[cst.FunctionDef, str] = {}
        self.lifespan_funcs: set[Function] = set()
        self.exit_funcs: set[Function] = set()  # atexit hooks: run when SystemExit unwinds
        #: id of each node of a branch that runs only when a caller opts in (``if wait:`` with
        #: ``wait=False``) -> the parameter: what is done there to an object is not done by default
        self._opt_in: dict[int, str] = {}
        #: operations of those branches, filed as :attr:`ops` are (a message may name them)
        self.opt_in_ops: dict[str, list[Event]] = {}

    # -- feeding ---------------------------------------------------------------------
    def visit(self, node: cst.CSTNode) -> None:
        if node is self._last_visit:
            return
        self._last_visit = node
        handler = _HANDLERS.get(type(node))
        if handler is None:
            handler = _HANDLERS[type(node)] = getattr(ShutdownIndex, f"_visit_{type(node).__name__}", _ignore)
        handler(self, node)

    def leave(self, node: cst.CSTNode) -> None:
        if node is self._last_leave:
            return
        self._last_leave = node
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            self._frames.pop()
            self._where = self._saved.pop()
        elif isinstance(node, _SCOPED):
            self._where = self._saved.pop()

    def _push(self, where: Where) -> None:
        self._saved.append(self._where)
        self._where = where

    def _event(self, kind: str, node: cst.CSTNode, **kw: Any) -> Event:
        after = bool(self._frames) and self._frames[-1].yielded
        return Event(kind, node, self.ctx.scope, self._where, after, **kw)

    def _op(self, kind: str, subject: cst.BaseExpression, node: cst.CSTNode, **kw: Any) -> None:
        base = self._filing_name(subject, self._where)
        if base is None:
            return
        parameter = self._opt_in.get(id(node))
        if parameter is not None:  # done only when a caller asks for it: not an operation of the default path
            self.opt_in_ops.setdefault(base, []).append(self._event(kind, node, subject=subject, opt_in=parameter, **kw))
        else:
            self.ops.setdefault(base, []).append(self._event(kind, node, subject=subject, **kw))

    def _filing_name(self, subject: cst.BaseExpression, where: Where, depth: int = 0) -> str | None:
        """The name an operation is filed under: a loop variable's is its container's."""
        subject = unwrap(subject)
        if isinstance(subject, cst.Name):
            if where.loops and depth < _MAX_DEPTH:
                for name, iterated, _, loop_where in reversed(where.loops):
                    if name == subject.value:
                        return self._filing_name(iterated, loop_where, depth + 1)
            return subject.value
        if isinstance(subject, cst.Attribute):
            return subject.attr.value
        return None

    def _store(self, call: cst.Call, kind: str, target: cst.BaseExpression | None = None, method: str = "") -> None:
        if id(call) not in self.storage:
            self.storage[id(call)] = Storage(kind, target, self.ctx.scope, self._where, method)

    def _visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        scope = self.ctx.scope  # the enclosing scope: the walker enters the function after this visit
        qualname = f"{scope.prefix}.{node.name.value}"
        self.functions.setdefault(qualname, []).append(node)
        if scope.kind == "class":
            self.method_class[node] = scope
        if self.lifecycle.match(node.name.value):
            self.lifecycle_funcs[node] = qualname
        for decorator in node.decorators:
            self._decorator(decorator.decorator, node)
        self._enter(node)

    def _visit_Lambda(self, node: cst.Lambda) -> None:
        self._enter(node)

    def _enter(self, node: Function) -> None:
        self._frames.append(_Frame(node))
        self._push(replace(self._where, funcs=(*self._where.funcs, node), in_while=False, guard=False))

    def _visit_ClassDef(self, node: cst.ClassDef) -> None:
        qualname = f"{self.ctx.scope.prefix}.{node.name.value}"
        self.classes[qualname] = node
        self.class_parents[qualname] = self.ctx.scope

    def _visit_Yield(self, node: cst.Yield) -> None:
        if isinstance(node.value, (cst.Name, cst.Attribute, cst.Subscript)):
            self._op("arg", node.value, node)
        if self._frames:
            self._frames[-1].yielded = True

    def _visit_Return(self, node: cst.Return) -> None:
        value = node.value
        values = [e.value for e in value.elements] if isinstance(value, (cst.Tuple, cst.List)) else [value]
        for value in values:
            if isinstance(value, (cst.Name, cst.Attribute, cst.Subscript)):
                self._op("arg", value, node)

    def _visit_Await(self, node: cst.Await) -> None:
        if isinstance(node.expression, cst.Call):
            self._store(node.expression, "await")
        elif isinstance(node.expression, (cst.Name, cst.Attribute, cst.Subscript)):
            self._op("await", node.expression, node)

    def _visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Call):
            self._store(node.value, "dropped")

    def _visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assignment(target.target, node.value, node)

    def _visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assignment(node.target, node.value, node)

    def _visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._assignment(node.target, node.value, node)

    def _assignment(self, target: cst.BaseExpression, value: cst.BaseExpression, node: cst.CSTNode) -> None:
        pairs = isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List))
        if pairs and len(target.elements) == len(value.elements):  # type: ignore[union-attr]
            for t, v in zip(target.elements, value.elements, strict=True):  # type: ignore[union-attr]
                self._assignment(t.value, v.value, node)
            return
        if isinstance(value, cst.Await) and isinstance(value.expression, cst.Call):
            # ``nc = await nats.connect()``: awaited (so no task is left behind), its result kept here
            self._store(value.expression, "await", target)
        for call, container in _produced(value):
            self._store(call, "container" if container else "target", target)
        if isinstance(value, (cst.Name, cst.Attribute, cst.Subscript)) and literal(value) is ...:
            # (``self._thread = None`` makes no alias: every name set to None would be one object)
            self.aliases.append(self._event("alias", node, subject=target, other=value))
        for each in self._targets(target):
            self._op("assign", each, node, other=value)

    def _targets(self, target: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                yield from self._targets(element.value)
        elif isinstance(target, cst.StarredElement):
            yield from self._targets(target.value)
        else:
            yield target

    def _visit_WithItem(self, node: cst.WithItem) -> None:
        item = node.item.expression if isinstance(node.item, cst.Await) else node.item
        if isinstance(item, cst.Call):
            self._store(item, "with")  # ``async with await aio_pika.connect(...) as connection``
        elif isinstance(node.item, (cst.Name, cst.Attribute)):
            self._op("with", node.item, node)

    def _visit_For(self, node: cst.For) -> None:
        self.loops.append(self._event("loop", node, subject=node.target, other=node.iter))
        self._push(self._looping([(node.target, node.iter)]))

    def _visit_ListComp(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp) -> None:
        pairs = []
        comp: cst.CompFor | None = node.for_in
        while comp is not None:
            self.loops.append(self._event("loop", node, subject=comp.target, other=comp.iter))
            pairs.append((comp.target, comp.iter))
            comp = comp.inner_for_in
        self._push(self._looping(pairs))

    _visit_SetComp = _visit_GeneratorExp = _visit_DictComp = _visit_ListComp

    def _looping(self, pairs: list[tuple[cst.BaseExpression, cst.BaseExpression]]) -> Where:
        loops = list(self._where.loops)
        for target, iterated in pairs:
            loops.extend((name.value, iterated, self.ctx.scope, self._where) for name in assigned_names(target))
        return replace(self._where, loops=tuple(loops))

    def _visit_If(self, node: cst.If) -> None:
        """``if wait: t.join()`` where ``wait`` is a parameter that defaults to False: the branch runs
        only when a caller opts in, so what it does to an object is not done by default."""
        branch = self._opt_in_branch(node)
        if branch is not None:
            parameter = next(n.value for n in subtree(node.test) if isinstance(n, cst.Name) and n.value != "None")
            self._opt_in.update((id(inner), parameter) for inner in subtree(branch))

    def _opt_in_branch(self, node: cst.If) -> cst.CSTNode | None:
        """The branch of ``node`` that the default values of the function's parameters do not take."""
        taken = self._default_test(node.test)
        if taken is False:
            return node.body
        if taken is True:
            return node.orelse
        return None

    def _default_test(self, test: cst.BaseExpression) -> bool | None:
        """Whether ``test`` holds when the enclosing function's parameter it tests keeps its default:
        ``wait`` (``wait=False``), ``not wait``, ``timeout is None`` / ``is not None`` (``timeout=None``);
        None when it tests anything else."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = self._default_test(test.expression)
            return None if inner is None else not inner
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            target = test.comparisons[0]
            if not (isinstance(target.comparator, cst.Name) and target.comparator.value == "None"):
                return None
            default = self._parameter_default(test.left)
            if default is ...:
                return None
            if isinstance(target.operator, cst.Is):
                return default is None
            if isinstance(target.operator, cst.IsNot):
                return default is not None
            return None
        default = self._parameter_default(test)
        return None if default is ... else bool(default)

    def _parameter_default(self, expr: cst.BaseExpression) -> Any:
        """The literal default of the parameter ``expr`` names (never rebound in its function); ``...`` otherwise."""
        if not isinstance(expr, cst.Name) or self.ctx.scope.kind != "function":
            return ...
        bindings = self.ctx.resolver.lookup(expr.value, self.ctx.scope)
        if len(bindings) != 1 or bindings[0].kind != "param" or bindings[0].scope is not self.ctx.scope:
            return ...
        param = bindings[0].node
        if not isinstance(param, cst.Param) or param.default is None:
            return ...
        return literal(param.default)

    def _visit_While(self, node: cst.While) -> None:
        self._push(replace(self._where, in_while=True))

    def _visit_Finally(self, node: cst.Finally) -> None:
        self._push(replace(self._where, guard=True))

    def _visit_ExceptHandler(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> None:
        caught: list[cst.BaseExpression] = []
        if isinstance(node.type, cst.Tuple):
            caught = [e.value for e in node.type.elements]
        elif node.type is not None:
            caught = [node.type]
        interrupts = self.knowledge["interrupts"]
        guard = node.type is None or any(self.ctx.match(c, interrupts) for c in caught)
        self._push(replace(self._where, guard=True) if guard else self._where)

    _visit_ExceptStarHandler = _visit_ExceptHandler

    def _visit_Raise(self, node: cst.Raise) -> None:
        exc = node.exc.func if isinstance(node.exc, cst.Call) else node.exc
        if exc is not None and self.ctx.match(exc, self.knowledge["unwinding_exceptions"]):
            self.exits.append(self._event("exit", node))

    def _visit_Call(self, node: cst.Call) -> None:
        names = self.ctx.qualnames(node.func)
        event = self._event("call", node, names=names)
        self.calls.append(event)
        self.call_events[id(node)] = event
        if names & self._exit_names:
            self.exits.append(self._event("exit", node, hard=bool(names & self._hard_exits)))
        self._registrations(node, names)
        func = node.func
        method = ""
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            self._op("method", func.value, node, name=method)
            if isinstance(func.value, cst.Call):
                self._store(func.value, "chain", method=method)
            if method in CONTAINER_ADDS:
                for arg in node.args:
                    self._contained(arg.value, func.value, node)
                return
        for arg in node.args:
            self._argument(arg.value, node, event, method)

    @property
    def _exit_names(self) -> frozenset[str]:
        found = self.cache.get("exit_names")
        if found is None:
            exits = self.knowledge["exits"]
            found = self.cache["exit_names"] = frozenset(exits["hard"]) | frozenset(exits["soft"])
        return found

    @property
    def _hard_exits(self) -> frozenset[str]:
        return frozenset(self.knowledge["exits"]["hard"])

    def _contained(self, value: cst.BaseExpression, container: cst.BaseExpression, node: cst.Call) -> None:
        """``threads.append(t)``: ``threads`` now holds ``t`` (or the thread a call creates)."""
        if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
            for element in value.elements:
                self._contained(element.value, container, node)
        elif isinstance(value, (cst.Name, cst.Attribute, cst.Subscript)):
            self.aliases.append(self._event("alias", node, subject=container, other=value))
        else:
            for call, _ in _produced(value):
                self._store(call, "container", container)

    def _argument(self, value: cst.BaseExpression, node: cst.Call, event: Event, method: str) -> None:
        if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
            for element in value.elements:
                self._argument(element.value, node, event, method)
            return
        if isinstance(value, (cst.Name, cst.Attribute, cst.Subscript)) and method not in _CONTAINER_REMOVES:
            self._op("arg", value, node, call=event, name=method)
        if isinstance(value, cst.Attribute):
            self._op("ref", value.value, node, name=value.attr.value)

    # -- registrations ---------------------------------------------------------------
    def _hook(self, expr: cst.BaseExpression | None, mode: str, node: cst.CSTNode, origin: str = "app",
              signals: frozenset[str] | None = None) -> None:
        if expr is not None:
            self.hooks.append(Hook(expr, self.ctx.scope, self._where, mode, node, origin, signals))

    def _decorator(self, decorator: cst.BaseExpression, node: cst.FunctionDef) -> None:
        k = self.knowledge
        target = decorator.func if isinstance(decorator, cst.Call) else decorator
        method = target.attr.value if isinstance(target, cst.Attribute) else ""
        if self.ctx.match(target, k["atexit"]):
            self.exit_funcs.add(node)
            self.shutdown_funcs.add(node)
        elif (
            self.ctx.match(target, k["receivers"])
            or method in k["hook_decorators"]
            or (isinstance(decorator, cst.Call) and method in k["event_methods"] and self._on_shutdown_event(decorator))
        ):
            self.shutdown_funcs.add(node)

    def _on_shutdown_event(self, call: cst.Call) -> bool:
        """``app.on_event("shutdown")``, ``app.add_event_handler("shutdown", f)``."""
        return literal(argument(call, None, 0)) in self.knowledge["shutdown_events"]

    def _registrations(self, node: cst.Call, names: frozenset[str]) -> None:
        k = self.knowledge
        func = node.func
        if names & self._set("atexit"):
            self._hook(argument(node, "func", 0), "whole", node, "atexit")
        elif names & self._set("receivers"):
            self._hook(argument(node, "func", 0), "whole", node)
        if names & self._set("signal_setters"):
            self._signal(node, argument(node, "signalnum", 0), argument(node, "handler", 1))
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in k["hook_keywords"]:
                for each in _elements(arg.value):
                    self._hook(each, "whole", node)
            elif arg.keyword is not None and arg.keyword.value in k["lifespan_keywords"]:
                self._hook(arg.value, "after_yield", node)
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        if method in k["loop_signal_methods"]:
            self._signal(node, argument(node, None, 0), argument(node, None, 1))
        elif method in k["event_methods"] and self._on_shutdown_event(node):
            self._hook(argument(node, None, 1), "whole", node)
        elif method in ("append", "insert", "extend") and isinstance(func.value, cst.Attribute):
            hooks = func.value.attr.value
            mode = "whole" if hooks in k["hook_lists"] else "after_yield" if hooks in k["context_hook_lists"] else ""
            value = argument(node, None, 1 if method == "insert" else 0)
            if mode and value is not None:
                for each in _elements(value):
                    self._hook(each, mode, node)

    def _set(self, key: str) -> frozenset[str]:
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = frozenset(self.knowledge[key])
        return found

    def _signal(self, node: cst.Call, signal: cst.BaseExpression | None, handler: cst.BaseExpression | None) -> None:
        if signal is None or handler is None:
            return
        signals = frozenset(self._signal_names(signal, self.ctx.scope, self._where, 0))
        self._hook(handler, "whole", node, "signal", signals)

    def _signal_names(self, expr: cst.BaseExpression, scope: Scope, where: Where, depth: int) -> Iterator[str]:
        if depth > _MAX_DEPTH:
            return
        value = literal(expr)
        if isinstance(value, int) and not isinstance(value, bool):
            yield {2: "SIGINT", 3: "SIGQUIT", 15: "SIGTERM"}.get(value, str(value))
        elif isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
            for element in expr.elements:
                yield from self._signal_names(element.value, scope, where, depth + 1)
        elif isinstance(expr, cst.Name):
            for name, iterated, loop_scope, loop_where in reversed(where.loops):
                if name == expr.value:
                    yield from self._signal_names(iterated, loop_scope, loop_where, depth + 1)
                    return
            for binding in self.ctx.resolver.lookup(expr.value, scope):
                if binding.kind == "assign" and binding.value is not None:
                    yield from self._signal_names(binding.value, binding.scope, Where(), depth + 1)
        for qualname in self.ctx.qualnames(expr, scope):
            if qualname.startswith("signal."):
                yield qualname.rsplit(".", 1)[-1]

    # -- after the walk --------------------------------------------------------------
    def finish(self) -> None:
        """Resolve the shutdown functions once the whole module is known."""
        if self._finished:
            return
        self._finished = True
        stop_signals = set(self.knowledge["stop_signals"])
        seeds: set[Function] = set(self.shutdown_funcs)
        seeds.update(func for func, qualname in self.lifecycle_funcs.items() if self._stops(func, qualname))
        for hook in self.hooks:
            if hook.signals is not None and not hook.signals & stop_signals:
                continue
            found = self.callables(hook.expr, hook.scope, hook.where)
            if hook.mode == "after_yield":
                self.lifespan_funcs.update(found or ())
            else:
                seeds.update(found or ())
            if hook.origin == "atexit":
                self.exit_funcs.update(found or ())
            if not found and isinstance(hook.expr, cst.Attribute):
                self._synthetic_ref(hook)
        for event in self.calls:
            if event.where.guard or self._in_lifespan_tail(event):
                seeds.update(self.callees(event))
        self.shutdown_funcs = self.closure(seeds)
        self.exit_funcs = self.closure(self.exit_funcs)

    def _stops(self, func: cst.FunctionDef, qualname: str) -> bool:
        """Whether a function named like a lifecycle hook is a shutdown path by what calls it, not by its
        name: ``__exit__``/``__aexit__`` of an object some ``with`` block holds; any other when the project
        model shows it may run as the process stops (see :meth:`ModuleView.stops_the_process`). A
        ``close_session()`` only request handlers call, or a ``stop()`` nothing calls, is not one. (A
        hook registered in this module is a seed whatever its name, and so is what it calls.)"""
        project = self.ctx.project
        if func.name.value in ("__exit__", "__aexit__"):
            return project.is_called(qualname)
        return project.stops_the_process(qualname)

    def _synthetic_ref(self, hook: Hook) -> None:
        """``atexit.register(pool.shutdown)``: a reference run at shutdown, on ``pool``."""
        assert isinstance(hook.expr, cst.Attribute)
        base = self._filing_name(hook.expr.value, hook.where)
        if base is not None:
            event = Event("ref", hook.node, hook.scope, hook.where, False, subject=hook.expr.value,
                          name=hook.expr.attr.value, hooked=hook.origin)
            self.ops.setdefault(base, []).append(event)

    def on_unwind(self, event: Event) -> bool:
        """Whether ``event`` runs when SystemExit unwinds the process: finally, except, atexit."""
        if event.hooked:
            return event.hooked == "atexit"
        return event.where.guard or any(f in self.exit_funcs for f in event.where.funcs)

    def _in_lifespan_tail(self, event: Event) -> bool:
        return event.after_yield and bool(event.where.funcs) and event.where.funcs[-1] in self.lifespan_funcs

    def on_shutdown(self, event: Event) -> bool:
        """Whether ``event`` runs on a shutdown path."""
        if event.hooked or event.where.guard or self._in_lifespan_tail(event):
            return True
        return any(f in self.shutdown_funcs for f in event.where.funcs)

    # -- functions -------------------------------------------------------------------
    def callables(self, expr: cst.BaseExpression, scope: Scope, where: Where) -> list[Function] | None:
        """The functions of this module ``expr`` refers to; None when it cannot be told."""
        if isinstance(expr, cst.Lambda):
            return [expr]
        if isinstance(expr, cst.Call) and self.ctx.match(expr.func, ("functools.partial",), scope) and expr.args:
            return self.callables(expr.args[0].value, scope, where)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            methods = self._self_methods(expr.value.value, expr.attr.value, where)
            if methods:
                return methods
        found: list[Function] = []
        for qualname in self.ctx.qualnames(expr, scope):
            found.extend(self.functions.get(qualname.replace("()", ""), ()))
        return found or None

    def _self_methods(self, receiver: str, attr: str, where: Where) -> list[Function]:
        """``self.stop`` inside a method: the class's own ``stop`` (or a base class's here)."""
        for func in reversed(where.funcs):
            if not isinstance(func, cst.FunctionDef):
                continue
            owner = self.method_class.get(func)
            params = func.params.params
            if owner is None or not params or params[0].name.value != receiver:
                continue
            found = list(self.functions.get(f"{owner.prefix}.{attr}", ()))
            if not found and isinstance(owner.node, cst.ClassDef) and owner.parent is not None:
                for base in owner.node.bases:
                    for qualname in self.ctx.qualnames(base.value, owner.parent):
                        found.extend(self.functions.get(f"{qualname}.{attr}", ()))
            return found
        return []

    def callees(self, event: Event) -> list[Function]:
        """Functions of this module a call runs: its callee, and callables passed to it."""
        found = self._callees.get(id(event))
        if found is None:
            assert isinstance(event.node, cst.Call)
            found = list(self.callables(event.node.func, event.scope, event.where) or ())
            for arg in event.node.args:
                if isinstance(arg.value, (cst.Name, cst.Attribute, cst.Lambda)):
                    found.extend(self.callables(arg.value, event.scope, event.where) or ())
            self._callees[id(event)] = found
        return found

    def closure(self, seeds: Iterable[Function]) -> set[Function]:
        """``seeds`` and every function of the module they (transitively) call."""
        within = self.cache.get("calls_within")
        if within is None:
            within = self.cache["calls_within"] = {}
            for event in self.calls:
                for func in event.where.funcs:
                    within.setdefault(func, []).append(event)
        result = set(seeds)
        pending = list(result)
        while pending:
            func = pending.pop()
            for event in within.get(func, ()):
                for callee in self.callees(event):
                    if callee not in result:
                        result.add(callee)
                        pending.append(callee)
        return result

    def events_in(self, funcs: set[Function], kinds: Iterable[str] = ()) -> Iterator[Event]:
        """Operations (or calls, kind ``call``) inside ``funcs`` and what they nest."""
        wanted = set(kinds)
        pools: list[Iterable[Event]] = []
        if "call" in wanted:
            pools.append(self.calls)
        if "exit" in wanted:
            pools.append(self.exits)
        if wanted - {"call", "exit"}:
            pools.extend(self.ops.values())
        for pool in pools:
            for event in pool:
                if event.kind in wanted and any(f in funcs for f in event.where.funcs):
                    yield event

    def is_logging(self, event: Event) -> bool:
        """A call that only reports (``logger.info``, ``print``): it stops nothing."""
        func = event.node.func if isinstance(event.node, cst.Call) else None
        if isinstance(func, cst.Attribute) and func.attr.value in _LOGGING:
            return True
        return any(n.startswith("logging.") or n == "builtins.print" for n in event.names)

    # -- object keys -----------------------------------------------------------------
    def key(self, expr: cst.BaseExpression | None, scope: Scope, where: Where, depth: int = 0) -> str | None:
        """What object ``expr`` designates; see the module docstring."""
        if expr is None or depth > _MAX_DEPTH:
            return None
        expr = unwrap(expr)
        if isinstance(expr, cst.Attribute):
            owner = self._self_class(expr.value, where)
            return f"s:{owner}:{expr.attr.value}" if owner else f"a:{expr.attr.value}"
        if not isinstance(expr, cst.Name):
            return None
        for name, iterated, loop_scope, loop_where in reversed(where.loops):
            if name == expr.value:
                return self.key(iterated, loop_scope, loop_where, depth + 1)
        bindings = self.ctx.resolver.lookup(expr.value, scope)
        if not bindings:
            return f"?:{expr.value}"
        home = bindings[0].scope
        if home.kind == "class":
            return f"s:{self.root_class(home.prefix)}:{expr.value}"
        return f"n:{id(home.node)}:{expr.value}"

    def _self_class(self, receiver: cst.BaseExpression, where: Where) -> str | None:
        """For ``self.x`` in a method: the class ``x`` belongs to (its top ancestor defined here)."""
        if not isinstance(receiver, cst.Name):
            return None
        for func in reversed(where.funcs):
            owner = self.method_class.get(func) if isinstance(func, cst.FunctionDef) else None
            if owner is not None:
                params = func.params.params  # type: ignore[union-attr]
                if params and params[0].name.value == receiver.value:
                    return self.root_class(owner.prefix)
                return None
        return None

    def root_class(self, qualname: str, depth: int = 0) -> str:
        """Subclasses share their attributes with the base classes of this module."""
        cls = self.classes.get(qualname)
        parent = self.class_parents.get(qualname)
        if cls is None or parent is None or depth > _MAX_DEPTH:
            return qualname
        for base in cls.bases:
            for name in self.ctx.qualnames(base.value, parent):
                if name in self.classes and name != qualname:
                    return self.root_class(name, depth + 1)
        return qualname

    def event_key(self, event: Event) -> str | None:
        found = self._keys.get(id(event), ...)
        if found is ...:
            found = self._keys[id(event)] = self.key(event.subject, event.scope, event.where)
        return found

    def is_long_lived(self, key: str | None) -> bool:
        """Held by a module global, a class attribute or an attribute of an object."""
        return key is not None and (key.startswith(("a:", "s:")) or key.startswith(f"n:{id(self.ctx.module)}:"))


def _ignore(index: ShutdownIndex, node: cst.CSTNode) -> None:
    return None


_HANDLERS: dict[type, Any] = {}


class ShutdownAwareRule(Rule):
    """A rule fed by the shared :class:`ShutdownIndex`; subclasses implement :meth:`judge`."""

    index: ShutdownIndex

    def bind(self, ctx: FileContext) -> None:
        super().bind(ctx)
        self.index = ShutdownIndex.of(ctx)

    def judge(self) -> None:
        raise NotImplementedError

    def leave_Module(self, node: cst.Module) -> None:
        self.index.finish()
        self.judge()

    def _visit(self, node: cst.CSTNode) -> None:
        self.index.visit(node)

    def _leave(self, node: cst.CSTNode) -> None:
        self.index.leave(node)

    visit_FunctionDef = visit_Lambda = visit_ClassDef = visit_Yield = visit_Return = _visit
    visit_Await = visit_Expr = visit_Assign = visit_AnnAssign = visit_NamedExpr = visit_WithItem = _visit
    visit_For = visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = visit_While = _visit
    visit_Finally = visit_ExceptHandler = visit_ExceptStarHandler = visit_Raise = visit_Call = visit_If = _visit
    leave_FunctionDef = leave_Lambda = leave_For = leave_ListComp = leave_SetComp = leave_GeneratorExp = _leave
    leave_DictComp = leave_While = leave_Finally = leave_ExceptHandler = leave_ExceptStarHandler = _leave


__all__ = [
    "CONTAINER_ADDS",
    "Event",
    "Function",
    "Hook",
    "ShutdownAwareRule",
    "ShutdownIndex",
    "Storage",
    "Where",
    "argument",
    "base_name",
    "literal",
    "subtree",
    "unwrap",
]
