"""SL508: message consumers and long-lived connections that no shutdown path closes.

A Kafka consumer, a RabbitMQ connection that consumes, a Redis pub/sub listener or a NATS
connection holds work in flight: offsets not yet committed, messages delivered and not yet
acknowledged. Which calls create one, and which methods release it, is catalog data
(``knowledge.consumers`` in ``rules/sl5.yaml``), as SL504's pools are.

Only long-lived consumers are judged: held by a module global, a class attribute or an
attribute of an object, created in a function the project model shows runs only at startup,
or consumed in a loop by the function that creates it (polled in a ``while`` loop, iterated,
or run by a blocking consume call). One is released by a ``with`` block, by being passed on
or returned (its lifecycle is managed elsewhere), or by one group of its ``stops`` (or of a
child's: a pika channel's ``stop_consuming()``) called on a shutdown path or anywhere the
code reaches: a ``close()`` after an endless ``while True`` loop, a blocking
``start_consuming()`` or ``await asyncio.Future()`` in the same block is never reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import libcst as cst

from statelint.analyses.shutdown import (
    Event,
    ShutdownAwareRule,
    literal,
    subtree,
    unwrap,
)
from statelint.engine.requirements import Requires
from statelint.engine.walker import children
from statelint.rules.sl5._handles import Lifecycles, Resource

_NOT_CLIENTS = frozenset({"self", "cls"})
_EXTRA_LOST = "the offsets it has not committed, or the messages it has not acknowledged, are handled twice or lost"
_NESTED = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


class ConsumerOutsideShutdown(ShutdownAwareRule):
    code = "SL508"
    # a consumer is made here (``<client>.pubsub()`` on a receiver of any type counts)
    requires = Requires(calls=["consumers.calls"], options=["extra-consumer-classes"], methods=["consumers.methods"])

    @classmethod
    def entries(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The catalog's consumers, and the project's own classes the options name (released by close or stop)."""
        extra = [
            {"name": q.rsplit(".", 1)[-1], "calls": [q], "stops": [["close"], ["stop"]], "lost": _EXTRA_LOST}
            for q in options.get("extra-consumer-classes", ())
        ]
        return [*knowledge["consumers"], *extra]

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        # A consumer is made through an import of its library (kafka, pika, redis ...), or by a
        # client method on a receiver of any type (pubsub).
        names: set[str] = set()
        for entry in cls.entries(knowledge, options):
            names.update(c.split(".")[0] for c in entry["calls"])
            names.update(entry.get("methods", ()))
        return tuple(sorted(names))

    def judge(self) -> None:
        self.consumers = self.entries(self.knowledge, self.options)
        lifecycles = Lifecycles.of(self.index)
        for call in self.index.calls:
            entry = self._entry(call)
            if entry is None or self.index.on_shutdown(call) or not self._consumes(entry):
                continue
            resource = lifecycles.resource(call)
            held = self._held(resource, entry, lifecycles)
            if held is None or self._released(resource, entry, lifecycles):
                continue
            stops = " or ".join(f"{'() + '.join(group)}()" for group in entry["stops"][:2])
            self.report(
                call.node,
                f"{entry['name']} {held} is never closed on shutdown",
                **self.explain(call.scope, "created", f"no shutdown path calls its {stops}", f"at SIGTERM {entry['lost']}"),
            )

    # -- what it is --------------------------------------------------------------------
    def _entry(self, call: Event) -> Mapping[str, Any] | None:
        """The catalog entry of the consumer ``call`` creates, if it creates one."""
        entries = self.consumers
        for entry in entries:
            if call.names & frozenset(entry["calls"]):
                return entry
        func = call.node.func if isinstance(call.node, cst.Call) else None
        if not isinstance(func, cst.Attribute) or (isinstance(func.value, cst.Name) and func.value.value in _NOT_CLIENTS):
            return None
        # ``self.redis.pubsub()``: a client method on a receiver of unknown type
        return next((e for e in entries if func.attr.value in e.get("methods", ())), None)

    def _consumes(self, entry: Mapping[str, Any]) -> bool:
        """A connection that can also publish counts once the module consumes (``basic_consume``)."""
        wanted = entry.get("consumes")
        if not wanted:
            return True
        methods: set[str] | None = self.index.cache.get("sl508:methods")
        if methods is None:
            methods = self.index.cache["sl508:methods"] = {
                e.node.func.attr.value
                for e in self.index.calls
                if isinstance(e.node, cst.Call) and isinstance(e.node.func, cst.Attribute)
            }
        return not methods.isdisjoint(wanted)

    # -- how long it lives -----------------------------------------------------------------
    def _held(self, resource: Resource, entry: Mapping[str, Any], lifecycles: Lifecycles) -> str | None:
        """How the message says the consumer outlives the code that made it; None when it does not
        (a local, a ``with`` block, passed on or returned)."""
        storage = resource.storage
        if storage is None:
            return "iterated where it is created" if self._iterated_directly(resource.call) else None
        if storage.kind == "with" or any(_passed_on(op, storage.kind == "container") for op in resource.ops):
            return None
        handle = lifecycles.describe(resource)
        if self.index.is_long_lived(resource.key):
            return f"held in {handle}"
        scope = resource.call.scope
        if resource.key is None or scope.kind != "function":
            return None
        if self._consumed_in_a_loop(resource, entry, lifecycles):
            return f"consumed in a loop through {handle}"
        if self.ctx.project.is_lifecycle(scope.prefix):
            return f"created at startup and held in {handle}"
        return None

    def _iterated_directly(self, call: Event) -> bool:
        """``for message in KafkaConsumer("orders"):``: nothing can ever close it."""
        return any(unwrap(loop.other) is call.node for loop in self.index.loops if loop.other is not None)

    def _consumed_in_a_loop(self, resource: Resource, entry: Mapping[str, Any], lifecycles: Lifecycles) -> bool:
        """Polled in a ``while`` loop, iterated (or its poll's result iterated), or run by a blocking
        consume call: the consumer lives as long as that loop."""
        polls, blocks = set(entry.get("polls", ())), set(entry.get("blocks", ()))
        for each in (resource, *self._children(resource, entry, lifecycles)):
            for op in each.ops:
                if op.kind == "method" and (op.name in blocks or (op.name in polls and op.where.in_while)):
                    return True
        group = lifecycles.group(resource.key) if resource.key is not None else set()
        for loop in self.index.loops:
            iterated = loop.other
            if isinstance(iterated, cst.Call) and isinstance(iterated.func, cst.Attribute) and iterated.func.attr.value in polls:
                iterated = iterated.func.value  # ``for message in pubsub.listen():``
            if isinstance(iterated, (cst.Name, cst.Attribute)) and self.index.key(iterated, loop.scope, loop.where) in group:
                return True
        return False

    # -- how it is released ----------------------------------------------------------------
    def _children(self, resource: Resource, entry: Mapping[str, Any], lifecycles: Lifecycles) -> Iterable[Resource]:
        """What the consumer makes whose own stop releases it: ``channel = connection.channel()``."""
        methods = set(entry.get("children", {}).get("methods", ()))
        for op in resource.ops:
            event = self.index.call_events.get(id(op.node)) if op.kind == "method" and op.name in methods else None
            if event is not None:
                yield lifecycles.resource(event)

    def _released(self, resource: Resource, entry: Mapping[str, Any], lifecycles: Lifecycles) -> bool:
        if self._stopped(resource, entry["stops"], entry):
            return True
        child_stops = entry.get("children", {}).get("stops", ())
        return any(self._stopped(child, child_stops, entry) for child in self._children(resource, entry, lifecycles))

    def _stopped(self, resource: Resource, stops: Iterable[Iterable[str]], entry: Mapping[str, Any]) -> bool:
        """One group of ``stops`` is all called (or referenced: ``atexit.register(c.close)``) where it runs."""
        done = {op.name for op in resource.ops if op.kind in ("method", "ref") and self._runs(op, entry)}
        return any(set(group) <= done for group in stops)

    def _runs(self, op: Event, entry: Mapping[str, Any]) -> bool:
        """On a shutdown path, or reached by the code: not after an endless loop or a blocking consume call."""
        return self.index.on_shutdown(op) or not self._after_endless(op, entry)

    def _after_endless(self, op: Event, entry: Mapping[str, Any]) -> bool:
        root: cst.CSTNode = op.where.funcs[-1] if op.where.funcs else self.ctx.module
        parents = self._parents(root)
        node: cst.CSTNode = op.node
        while node is not root and node in parents:
            parent = parents[node]
            body = parent.body if isinstance(parent, (cst.IndentedBlock, cst.Module)) else None
            if body is not None and node in body:
                for statement in body[: body.index(node)]:
                    if self._endless(statement, entry, op):
                        return True
            node = parent
        return False

    def _interrupts(self, handler: cst.ExceptHandler, op: Event) -> bool:
        """A bare ``except:`` or one catching KeyboardInterrupt, SystemExit or BaseException."""
        interrupts = self.index.knowledge["interrupts"]
        caught = _caught(handler)
        return not caught or any(self.ctx.match(c, interrupts, op.scope) for c in caught)

    def _parents(self, root: cst.CSTNode) -> dict[cst.CSTNode, cst.CSTNode]:
        cache: dict[int, dict[cst.CSTNode, cst.CSTNode]] = self.index.cache.setdefault("sl508:parents", {})
        found = cache.get(id(root))
        if found is None:
            found = cache[id(root)] = {}
            for node in subtree(root):
                for child in children(node):
                    found[child] = node
        return found

    def _endless(self, statement: cst.CSTNode, entry: Mapping[str, Any], op: Event) -> bool:
        """``while True:`` without a ``break``, ``channel.start_consuming()``, ``await asyncio.Future()``,
        or a ``with`` or ``try`` block running one (a ``try`` whose handlers catch no interrupt:
        an ``except Exception`` that falls through runs on errors, not on SIGTERM)."""
        if isinstance(statement, cst.While):
            value = literal(statement.test)
            return value is not ... and bool(value) and not _breaks(statement.body)
        if isinstance(statement, (cst.With, cst.Try)):
            inner = statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ()
            if not any(self._endless(each, entry, op) for each in inner):
                return False
            return not isinstance(statement, cst.Try) or not any(self._interrupts(h, op) for h in statement.handlers)
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        blocks = set(entry.get("blocks", ()))
        forever = set(self.knowledge["never_returns"])
        for small in statement.body:
            value = small.value if isinstance(small, cst.Expr) else None
            awaited = isinstance(value, cst.Await)
            call = value.expression if isinstance(value, cst.Await) else value
            if not isinstance(call, cst.Call):
                continue
            if isinstance(call.func, cst.Attribute) and call.func.attr.value in blocks:
                return True
            event = self.index.call_events.get(id(call))
            if awaited and event is not None and self.ctx.match(call.func, forever, event.scope):
                return True
        return False


def _caught(handler: cst.ExceptHandler) -> list[cst.BaseExpression]:
    if isinstance(handler.type, cst.Tuple):
        return [element.value for element in handler.type.elements]
    return [handler.type] if handler.type is not None else []


def _passed_on(op: Event, contained: bool) -> bool:
    """Passed to a call, returned, yielded or entered. Unless the consumer is kept in a container,
    a loop variable over it is a message, not the consumer (``handle(message)`` in ``for message
    in consumer``, which the index files under the consumer)."""
    if op.kind not in ("arg", "with"):
        return False
    subject = unwrap(op.subject) if op.subject is not None else None
    message = isinstance(subject, cst.Name) and any(name == subject.value for name, *_ in op.where.loops)
    return contained or not message


def _breaks(body: cst.CSTNode) -> bool:
    """A ``break`` that leaves this loop (not one of a nested loop or function): the code after it runs."""
    pending = list(children(body))
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Break):
            return True
        if isinstance(node, (cst.For, cst.While)):
            pending.extend(n for n in (node.orelse,) if n is not None)
            continue
        if not isinstance(node, _NESTED):
            pending.extend(children(node))
    return False


__all__ = ["ConsumerOutsideShutdown"]
