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

from statelint.engine.requirements import Requires
from statelint.rules._shutdown import (
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
from statelint.rules.sl5_handles import Lifecycles, Resource

_NOT_SIGNALS = frozenset({"self", "cls", "True", "False", "None"})


@dataclass(frozen=True)
class Verdict:
    code: str
    node: cst.CSTNode
    message: str
    where: Any = None  # the scope the worker is started in (its path, when the project model knows one)


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
        spec = knowledge["workers"][kind]["target"]
        self.target = argument(self.node, spec["keyword"], spec["position"])
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
        return self.resource.uses(("start",)) or any(self._self_started(c) for c in self.classes)

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
        """It loops, sleeps, or is a server loop itself (``target=server.serve_forever``)."""
        if isinstance(self.target, cst.Attribute) and self.target.attr.value in self.knowledge["long_running_methods"]:
            return True
        sleeps = set(self.knowledge["sleep_calls"])
        return bool(self.loops) or any(event.names & sleeps for event in self.calls())

    @property
    def runs_schedule(self) -> bool:
        runners = set(self.knowledge["schedule_runners"])
        return any(event.where.in_while and event.names & runners for event in self.calls())

    @property
    def daemon(self) -> bool:
        if literal(argument(self.node, "daemon", None)) is True:
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

    def self_rescheduling(self) -> Function | None:
        """A timer created inside the very function it runs."""
        for func in self.functions:
            if func in self.resource.call.where.funcs:
                return func
        return None


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
        if action in actions and receiver:
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
    where = f"kept in {handle} but " if handle else "its handle is dropped, so it is "
    target = _target_text(worker)
    if worker.kind == "timer":
        if resource.uses(("cancel", "join")):
            return None
        again = worker.self_rescheduling()
        if again is not None:
            name = again.name.value if isinstance(again, cst.FunctionDef) else "its callback"
            return Verdict("SL503", worker.node, f"threading.Timer reschedules `{name}` from inside it and nothing "
                           "cancels it: a periodic job in a thread, cut off by SIGTERM mid-run")
        return Verdict("SL503", worker.node, f"threading.Timer{target} is started and {where}never cancelled or "
                       "joined: SIGTERM cuts it off, or exit waits until it fires")
    if worker.kind == "process":
        if resource.uses(("join", "terminate", "kill")):
            return None
        return Verdict("SL507", worker.node, f"process{target} is started and {where}never joined or terminated: "
                       "SIGTERM leaves it running orphaned or kills it mid-work")
    if resource.uses(("join",)) or worker.signalled:
        return None
    if worker.runs_schedule:
        return Verdict("SL506", worker.node, f"thread{target} runs a `schedule` loop that no shutdown path stops: "
                       "SIGTERM cuts off the job it is running")
    if worker.daemon and worker.long_lived:
        return Verdict("SL502", worker.node, f"daemon thread{target} runs long-lived work that no shutdown path stops: "
                       "at exit it is killed mid-work, without cleanup")
    if worker.functions and not worker.long_lived and _started_at_startup(worker):
        return None  # one-shot work while the process starts (loading, warming up): a cut-off start loses nothing
    return Verdict("SL501", worker.node, f"thread{target} is started and {where}never joined, and no shutdown path "
                   "signals it to stop: SIGTERM cuts it off mid-work")


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
                self.report(verdict.node, verdict.message, **self.explain(verdict.where, "started"))


class ThreadNeverStopped(_WorkerRule):
    code = "SL501"
    requires = Requires(words=["start"], calls=["workers.thread.calls"])  # a thread started here
    kinds = ("thread",)


class DaemonThreadLongLived(_WorkerRule):
    code = "SL502"
    requires = Requires(words=["start"], calls=["workers.thread.calls"])
    kinds = ("thread",)


class TimerThread(_WorkerRule):
    code = "SL503"
    requires = Requires(words=["start"], calls=["workers.timer.calls"])
    kinds = ("timer",)


class ProcessNeverJoined(_WorkerRule):
    code = "SL507"
    requires = Requires(words=["start"], calls=["workers.process.calls"])
    kinds = ("process",)


__all__ = ["DaemonThreadLongLived", "ProcessNeverJoined", "ThreadNeverStopped", "TimerThread", "Verdict", "workers"]
