"""SL501 threads never stopped, SL502 daemon threads doing long-lived work, SL503 timers,
SL507 processes never joined (and the ``schedule`` loops in threads that SL506 reports).

All of them are *workers*: a call starts code in another thread or process, and SIGTERM
cuts it off unless something joins it, or signals it to stop on a shutdown path. One
classification per file (:func:`workers`) gives every unmanaged worker one verdict, so a
thread is reported by exactly one rule: a thread running a ``schedule`` loop by SL506, a
daemon thread running a loop by SL502, any other thread by SL501.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import libcst as cst

from statelint.analyses.shutdown import (
    Event,
    Function,
    ShutdownAwareRule,
    ShutdownIndex,
    argument,
    base_name,
    literal,
    subtree,
    unwrap,
)
from statelint.engine.requirements import Requires
from statelint.rules.sl5._handles import Lifecycles, Resource, opt_in_lead

_NOT_SIGNALS = frozenset({"self", "cls", "True", "False", "None"})


@dataclass(frozen=True)
class Verdict:
    code: str
    node: cst.CSTNode
    message: str
    where: Any = None  # the scope the worker is started in (its path, when the project model knows one)
    lead: str | None = None  # what the hint says of this worker alone, before the rule's hint


class _Worker:
    """One started worker and what is known of the code it runs."""

    def __init__(self, index: ShutdownIndex, knowledge: Mapping[str, Any], resource: Resource, kind: str) -> None:
        self.index = index
        self.knowledge = knowledge
        self.resource = resource
        self.kind = kind
        call = resource.call
        assert isinstance(call.node, cst.Call)
        self.node: cst.Call = call.node
        self.spec = knowledge["workers"][kind]
        self.target = argument(self.node, self.spec["target"]["keyword"], self.spec["target"]["position"])
        self.classes = [index.classes[q] for q in call.names if q in index.classes]
        self.functions = self._functions(call)
        self.reach = index.closure(self.functions) if self.functions else set()

    def _functions(self, call: Event) -> list[Function]:
        """The code the worker runs: its target, or the ``run`` of a subclass defined here."""
        if self.target is not None:
            return self.index.callables(self.target, call.scope, call.where) or []
        found: list[Function] = []
        for qualname in call.names:
            found.extend(self.index.functions.get(f"{qualname}.run", ()))
        return found

    @property
    def started(self) -> bool:
        """``start()`` called, a subclass starting itself, or an API that runs it at once (``_thread``)."""
        if self.spec.get("starts") or self.resource.uses(("start",)):
            return True
        return any(self._self_started(c) for c in self.classes)

    def _self_started(self, cls: cst.ClassDef) -> bool:
        """A subclass whose ``__init__`` calls ``self.start()``."""
        for node in subtree(cls):
            if isinstance(node, cst.FunctionDef) and node.name.value == "__init__":
                return any(_is_self_call(n, "start") for n in subtree(node))
        return False

    def calls(self) -> Iterable[Event]:
        return self.index.events_in(self.reach, ("call",)) if self.reach else ()

    @cached_property
    def loops(self) -> list[cst.While]:
        return [n for f in self.reach for n in subtree(f.body) if isinstance(n, cst.While)]

    @property
    def long_lived(self) -> bool:
        """It loops, sleeps, or is a server or event loop itself (``target=server.serve_forever``), or
        runs one (``asyncio.set_event_loop(loop); loop.run_forever()`` in its target)."""
        forever = set(self.knowledge["long_running_methods"])
        if isinstance(self.target, cst.Attribute) and self.target.attr.value in forever:
            return True
        sleeps = set(self.knowledge["sleep_calls"])
        return bool(self.loops) or any(event.names & sleeps or _method_of(event) in forever for event in self.calls())

    @property
    def runs_schedule(self) -> bool:
        runners = set(self.knowledge["schedule_runners"])
        return any(event.where.in_while and event.names & runners for event in self.calls())

    @property
    def daemon(self) -> bool:
        if self.spec.get("daemon") or literal(argument(self.node, "daemon", None)) is True:
            return True
        for op in self.resource.ops:
            set_daemon = op.kind == "method" and op.name == "setDaemon" and isinstance(op.node, cst.Call)
            if set_daemon and literal(argument(op.node, None, 0)) is True:  # type: ignore[arg-type]
                return True
        for op in self.index.ops.get("daemon", ()):
            if op.kind == "assign" and isinstance(op.subject, cst.Attribute) and literal(op.other) is True:
                key = self.index.key(op.subject.value, op.scope, op.where)
                if key is not None and self.resource.key is not None and key in _group(self.index, self.resource.key):
                    return True
        return any(_sets_daemon(node) for cls in self.classes for node in subtree(cls))

    @property
    def signalled(self) -> bool:
        """A stop signal: something its loops (or arguments) read is set on a shutdown path."""
        watched: set[str] = set()
        for func in self.reach:
            for loop in (n for n in subtree(func.body) if isinstance(n, (cst.While, cst.For))):
                watched |= self._tokens(loop, func)
                watched |= self._read_by_calls(loop)
        forever = set(self.knowledge["long_running_methods"])
        for event in self.calls():
            receiver = event.node.func.value if _method_of(event) in forever else None  # type: ignore[union-attr]
            if isinstance(receiver, (cst.Name, cst.Attribute)):  # `loop.run_forever()`: stopped by `loop.stop`
                watched |= self._tokens(receiver, None)
        context = self.resource.call.where.funcs[-1] if self.resource.call.where.funcs else None
        for arg in self.node.args:
            if arg.value is not self.target:
                watched |= self._tokens(arg.value, context)
        if isinstance(self.target, cst.Attribute):
            watched |= self._tokens(self.target.value, context)
        stops = stop_signals(self.index, self.knowledge)
        plain = {s for s in stops if "." not in s}
        if watched & stops or any(w.rsplit(".", 1)[-1] in plain for w in watched):
            return True
        # Started by a method: its class's own attributes stop it (``args=(queue,)``, ``self._queue.put(None)``).
        owner = self.index.method_class.get(context) if isinstance(context, cst.FunctionDef) else None
        mine = f"{self.index.root_class(owner.prefix)}." if owner is not None else None
        return mine is not None and any(s.startswith(mine) and s[len(mine):] in watched for s in stops)

    def _tokens(self, node: cst.CSTNode, func: Function | None) -> set[str]:
        """Names ``node`` reads; ``self.x`` in a method is qualified by its class (``pkg.Worker.x``)."""
        owner = self.index.method_class.get(func) if isinstance(func, cst.FunctionDef) else None
        me = func.params.params[0].name.value if owner is not None and func.params.params else None  # type: ignore[union-attr]
        found: set[str] = set()
        for each in subtree(node, 2000):
            if isinstance(each, cst.Attribute):
                name = each.attr.value.lstrip("_")
                if me is not None and isinstance(each.value, cst.Name) and each.value.value == me:
                    found.add(f"{self.index.root_class(owner.prefix)}.{name}")  # type: ignore[union-attr]
                else:
                    found.add(name)
            elif isinstance(each, cst.Name) and each.value not in _NOT_SIGNALS:
                found.add(each.value.lstrip("_"))
        return found

    def _read_by_calls(self, loop: cst.While | cst.For) -> set[str]:
        """What the functions a loop calls read: ``while not self.stopped()`` reads ``_stop_event``."""
        found: set[str] = set()
        for node in subtree(loop):
            event = self.index.call_events.get(id(node)) if isinstance(node, cst.Call) else None
            for callee in self.index.callees(event) if event is not None else ():
                found |= self._tokens(callee, callee)
        return found

    @property
    def listed_and_joined(self) -> bool:
        """Joined by a shutdown path's loop over ``threading.enumerate()`` (see :func:`listing_joins`)."""
        joins = listing_joins(self.index, self.knowledge)
        if not joins:
            return False
        name = self._name()
        return any(join is None or _name_matches(name, *join) for join in joins)

    def _name(self) -> tuple[str, str] | None:
        """The thread's name: ``("exact", text)``, ``("prefix", text)`` (an f-string's leading text, or
        the default ``Thread-N``), or None when it cannot be told."""
        spec = self.knowledge["thread_name"]
        value = argument(self.node, spec["keyword"], spec["position"]) if self.kind == "thread" else None
        if value is None:
            return ("prefix", spec["default_prefix"]) if self.kind == "thread" and not self.classes else None
        text = literal(value)
        if isinstance(text, str):
            return ("exact", text)
        if isinstance(value, cst.FormattedString) and value.parts and isinstance(value.parts[0], cst.FormattedStringText):
            return ("prefix", value.parts[0].value)
        return None

    def self_rescheduling(self) -> Function | None:
        """A timer created inside the very function it runs."""
        for func in self.functions:
            if func in self.resource.call.where.funcs:
                return func
        return None


def listing_joins(index: ShutdownIndex, knowledge: Mapping[str, Any]) -> list[tuple[frozenset[str], frozenset[str]] | None]:
    """What each loop over ``threading.enumerate()`` on a shutdown path joins: None for every thread,
    or the ``(names, prefixes)`` it compares the listed thread's name with (computed once per file)."""
    found = index.cache.get("sl5:listing-joins")
    if found is None:
        found = index.cache["sl5:listing-joins"] = []
        listings = set(knowledge["thread_listings"])
        for loop in index.loops:
            iterated = unwrap(loop.other) if loop.other is not None else None
            if not isinstance(iterated, cst.Call) or not isinstance(loop.subject, cst.Name):
                continue
            if not index.ctx.match(iterated.func, listings, loop.scope) or not index.on_shutdown(loop):
                continue
            thread = loop.subject.value
            if any(_is_call_on(node, thread, ("join",)) for node in subtree(loop.node)):
                found.append(_compared_names(loop.node, thread))
    return found


def _is_call_on(node: cst.CSTNode, receiver: str, methods: Iterable[str]) -> bool:
    func = node.func if isinstance(node, cst.Call) else None
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value in methods
        and isinstance(func.value, cst.Name)
        and func.value.value == receiver
    )


def _is_name_of(node: cst.CSTNode, thread: str) -> bool:
    """``thread.name`` or ``thread.getName()``."""
    if isinstance(node, cst.Attribute):
        return node.attr.value == "name" and isinstance(node.value, cst.Name) and node.value.value == thread
    return _is_call_on(node, thread, ("getName",))


def _strings(node: cst.BaseExpression | None) -> set[str]:
    """The literal strings of ``"a"`` or of ``("a", "b")``; empty when any element is not one."""
    values = [e.value for e in node.elements] if isinstance(node, (cst.Tuple, cst.List, cst.Set)) else [node]
    found = {literal(v) for v in values}
    return found if all(isinstance(v, str) for v in found) else set()


def _compared_names(loop: cst.CSTNode, thread: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """The names (``==``, ``in``) and prefixes (``startswith``) ``loop`` compares ``thread``'s name with;
    None (every thread) when it compares none, or compares otherwise (``!=``: all but one)."""
    names: set[str] = set()
    prefixes: set[str] = set()
    for node in subtree(loop):
        if isinstance(node, cst.Comparison) and _is_name_of(node.left, thread):
            for target in node.comparisons:
                if not isinstance(target.operator, (cst.Equal, cst.In)):
                    return None
                names |= _strings(target.comparator)
        elif isinstance(node, cst.Comparison) and any(_is_name_of(t.comparator, thread) for t in node.comparisons):
            if not all(isinstance(t.operator, cst.Equal) for t in node.comparisons):
                return None
            names |= _strings(node.left)
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "startswith":
            if _is_name_of(node.func.value, thread):
                prefixes |= _strings(argument(node, None, 0))
    return (frozenset(names), frozenset(prefixes)) if names or prefixes else None


def _name_matches(name: tuple[str, str] | None, names: frozenset[str], prefixes: frozenset[str]) -> bool:
    """Whether a thread named ``name`` may be one a listing loop comparing ``names``/``prefixes`` joins."""
    if name is None:
        return True  # a name that cannot be told may be the one compared
    kind, text = name
    if kind == "exact":
        return text in names or any(text.startswith(p) for p in prefixes)
    return any(n.startswith(text) for n in names) or any(p.startswith(text) or text.startswith(p) for p in prefixes)


def _group(index: ShutdownIndex, key: str) -> set[str]:
    return Lifecycles.of(index).group(key)


def _is_self_call(node: cst.CSTNode, method: str) -> bool:
    func = node.func if isinstance(node, cst.Call) else None
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value == method
        and isinstance(func.value, cst.Name)
        and func.value.value == "self"
    )


def _sets_daemon(node: cst.CSTNode) -> bool:
    """``super().__init__(daemon=True)``, ``self.daemon = True`` or ``self.setDaemon(True)``."""
    if isinstance(node, cst.Arg):
        return node.keyword is not None and node.keyword.value == "daemon" and literal(node.value) is True
    if isinstance(node, cst.Assign):
        return literal(node.value) is True and any(
            isinstance(t.target, cst.Attribute) and t.target.attr.value == "daemon" for t in node.targets
        )
    return _is_self_call(node, "setDaemon") and literal(argument(node, None, 0)) is True  # type: ignore[arg-type]


def stop_signals(index: ShutdownIndex, knowledge: Mapping[str, Any]) -> set[str]:
    """What a shutdown path sets, signals or closes: ``stop.set()``, ``self.running = False`` ...

    As tokens comparable to :meth:`_Worker._tokens`: ``self._stop`` in class ``Worker`` is
    ``pkg.Worker.stop``, anything else its last name without leading underscores.
    """
    found = index.cache.get("sl5:stop-signals")
    if found is None:
        actions = set(knowledge["stop_actions"])
        found = set()
        for base, ops in index.ops.items():
            for op in ops:
                acts = op.kind == "assign" or (op.kind in ("method", "ref") and op.name in actions)
                if acts and _shared(index, op) and index.on_shutdown(op):
                    key = index.event_key(op)
                    if key is not None and key.startswith("s:"):
                        owner, _, attr = key[2:].rpartition(":")
                        found.add(f"{owner}.{attr.lstrip('_')}")
                    else:
                        found.add(base.lstrip("_"))
                    receiver = base_name(op.subject.value) if isinstance(op.subject, cst.Attribute) else None
                    if op.kind == "assign" and receiver is not None:
                        found.add(receiver.lstrip("_"))  # `server.should_exit = True` signals `server` too
        found |= _signalled_elsewhere(index, actions)
        index.cache["sl5:stop-signals"] = found
    return found


def _signalled_elsewhere(index: ShutdownIndex, actions: set[str]) -> set[str]:
    """Project objects a shutdown path in any module stops (``STOP.set()`` in a SIGTERM handler of
    another module): each as the last name it is read by (``STOP``), as the project model sees them."""
    found = set()
    for call in index.ctx.project.shutdown_calls():
        receiver, _, action = call.rpartition(".")
        # (a stop of what a call returns, ``conn = connect(); conn.close()``, is of an object of its own)
        if action in actions and receiver and not receiver.endswith("()"):
            found.add(receiver.removesuffix("()").rsplit(".", 1)[-1].lstrip("_"))
    return found


def _shared(index: ShutdownIndex, op: Event) -> bool:
    """The subject outlives the shutdown function: an attribute, a global, a closure variable.

    Setting or closing a local of the shutdown code itself signals nobody.
    """
    subject = unwrap(op.subject) if op.subject is not None else None
    if not isinstance(subject, cst.Name) or op.scope.kind == "module":
        return True
    bindings = index.ctx.resolver.lookup(subject.value, op.scope)
    return not bindings or bindings[0].scope is not op.scope


def workers(index: ShutdownIndex, knowledge: Mapping[str, Any]) -> list[Verdict]:
    """Every unmanaged worker of the module with the rule that reports it (computed once)."""
    found = index.cache.get("sl5:workers")
    if found is not None:
        return found
    found = index.cache["sl5:workers"] = []
    lifecycles = Lifecycles.of(index)
    kinds = [(kind, frozenset(spec["calls"])) for kind, spec in knowledge["workers"].items()]
    for call in index.calls:
        kind = next((k for k, calls in kinds if call.names & calls), None)
        if kind is None or index.on_shutdown(call):
            continue
        resource = lifecycles.resource(call)
        if resource.storage is None or resource.escaped:
            continue
        worker = _Worker(index, knowledge, resource, kind)
        if worker.started:
            verdict = _judge(worker, lifecycles.describe(resource))
            if verdict is not None:
                found.append(replace(verdict, where=call.scope))
    return found


def _judge(worker: _Worker, handle: str) -> Verdict | None:
    resource = worker.resource
    if resource.polled:
        return None
    started = f"is kept in {handle} but" if handle else "is started with its handle dropped:"
    target = _target_text(worker)
    if worker.kind == "timer":
        if resource.uses(("cancel", "join")) or worker.listed_and_joined:
            return None
        again = worker.self_rescheduling()
        if again is not None:
            name = again.name.value if isinstance(again, cst.FunctionDef) else "its callback"
            return Verdict("SL503", worker.node, f"threading.Timer reschedules `{name}` from inside it and nothing cancels it",
                           lead="It is a periodic job in a thread that no shutdown path can stop")
        never, lead = _never(resource, "cancelled or joined", ("cancel", "join"))
        return Verdict("SL503", worker.node, f"threading.Timer{target} {started} {never}", lead=lead)
    if worker.kind == "process":
        if resource.uses(("join", "terminate", "kill")):
            return None
        never, lead = _never(resource, "joined or terminated", ("join", "terminate", "kill"))
        return Verdict("SL507", worker.node, f"process{target} {started} {never}", lead=lead)
    raw = worker.kind == "raw_thread"  # never listed by threading.enumerate(): it cannot be joined
    if resource.uses(("join",)) or worker.signalled or (not raw and worker.listed_and_joined):
        return None
    thread = "_thread.start_new_thread thread" if raw else "thread"
    if worker.runs_schedule:
        return Verdict("SL506", worker.node, f"{thread}{target} runs a `schedule` loop that no shutdown path stops")
    if worker.daemon and worker.long_lived:
        return Verdict("SL502", worker.node, f"{'' if raw else 'daemon '}{thread}{target} runs long-lived work that no "
                       "shutdown path stops")
    if worker.functions and not worker.long_lived and _started_at_startup(worker):
        return None  # one-shot work while the process starts (loading, warming up): a cut-off start loses nothing
    if raw:
        return Verdict("SL501", worker.node, f"{thread}{target} cannot be joined, and nothing tells it to stop",
                       lead="The exit of the main thread cuts it off too")
    if handle:
        never, lead = _never(resource, "joined", ("join",))
        if lead is None:
            return Verdict("SL501", worker.node, f"thread{target} is kept in {handle} but never joined or told to stop on shutdown")
        return Verdict("SL501", worker.node, f"thread{target} is kept in {handle} but {never}", lead=lead)
    return Verdict("SL501", worker.node, f"thread{target} is started, its handle dropped, and never told to stop on shutdown")


def _never(resource: Resource, done: str, methods: tuple[str, ...]) -> tuple[str, str | None]:
    """``never joined``; or ``joined only if a caller changes `wait``` when the only join is in a branch
    the parameters' defaults do not take, with what the hint adds about it."""
    parameter = resource.only_when(methods)
    if parameter is None:
        return f"never {done}", None
    return f"{done.split(' or ')[0]} only if a caller changes `{parameter}`", opt_in_lead(parameter)



def _method_of(event: Event) -> str | None:
    """``run_forever`` for the call ``loop.run_forever()``."""
    func = event.node.func if isinstance(event.node, cst.Call) else None
    return func.attr.value if isinstance(func, cst.Attribute) else None


def _started_at_startup(worker: _Worker) -> bool:
    """Whether the project model shows the thread is started in a function every known caller of
    which starts the process (an app factory, a loader it calls). A thread started at module level
    is judged as before: the model has no more evidence about it than the file has."""
    scope = worker.resource.call.scope
    return scope.kind == "function" and worker.index.ctx.project.is_lifecycle(scope.prefix)


def _target_text(worker: _Worker) -> str:
    if isinstance(worker.target, (cst.Name, cst.Attribute)):
        return f" running `{worker.index.ctx.module.code_for_node(worker.target)}`"
    if worker.classes:
        return f" `{worker.classes[0].name.value}`"
    return ""


class _WorkerRule(ShutdownAwareRule):
    """Reports the worker verdicts of its own code."""

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        # Workers are created through an import of their module (or a subclass of one).
        return tuple(sorted({c.split(".")[0] for k in cls.kinds for c in knowledge["workers"][k]["calls"]}))

    kinds: tuple[str, ...] = ()

    def judge(self) -> None:
        for verdict in workers(self.index, self.knowledge):
            if verdict.code == self.code:
                self.report(verdict.node, verdict.message, **self.explain(verdict.where, "started", verdict.lead))


class ThreadNeverStopped(_WorkerRule):
    code = "SL501"
    # a thread started here (``_thread.start_new_thread`` spells "start" too)
    requires = Requires(words=["start"], calls=["workers.thread.calls", "workers.raw_thread.calls"])
    kinds = ("thread", "raw_thread")


class DaemonThreadLongLived(_WorkerRule):
    code = "SL502"
    requires = Requires(words=["start"], calls=["workers.thread.calls", "workers.raw_thread.calls"])
    kinds = ("thread", "raw_thread")


class TimerThread(_WorkerRule):
    code = "SL503"
    requires = Requires(words=["start"], calls=["workers.timer.calls"])
    kinds = ("timer",)


class ProcessNeverJoined(_WorkerRule):
    code = "SL507"
    requires = Requires(words=["start"], calls=["workers.process.calls"])
    kinds = ("process",)


__all__ = ["DaemonThreadLongLived", "ProcessNeverJoined", "ThreadNeverStopped", "TimerThread", "Verdict", "workers"]
