"""SL701 server loops without a SIGTERM drain, SL702 SIGTERM handlers that stop abruptly.

Kubernetes stops a pod with SIGTERM, then SIGKILL after the grace period. Python's default
SIGTERM action terminates the process at once, so a process that runs a blocking server
loop itself (``serve_forever``, gRPC ``wait_for_termination``, ``loop.run_forever``) needs a
SIGTERM handler that stops it gracefully. Servers that install such a handler themselves
(uvicorn, gunicorn, hypercorn, aiohttp ``run_app``) are not server loops in this sense.
Handlers are looked for in the same module, including handlers registered for a loop of
signals (``for sig in (SIGINT, SIGTERM)``), lambdas, ``functools.partial`` and methods.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from statelint.analyses.shutdown import (
    Event,
    Function,
    Hook,
    ShutdownAwareRule,
    ShutdownIndex,
    argument,
    literal,
)
from statelint.engine.requirements import Requires

_SIGTERM = "SIGTERM"


@dataclass(eq=False)
class Handler:
    """A SIGTERM handler and the code it runs."""

    hook: Hook
    kind: str  # code | ignore | unwinding | opaque
    funcs: set[Function] = field(default_factory=set)  # the handler and what it calls (kind code)

    def text(self, index: ShutdownIndex) -> str:
        return index.ctx.module.code_for_node(self.hook.expr)


def sigterm_handlers(index: ShutdownIndex, knowledge: Mapping[str, Any]) -> list[Handler]:
    """The module's SIGTERM handlers (computed once per file)."""
    found = index.cache.get("sl7:handlers")
    if found is not None:
        return found
    found = index.cache["sl7:handlers"] = []
    for hook in index.hooks:
        if hook.signals is None or _SIGTERM not in hook.signals:
            continue
        names = index.ctx.qualnames(hook.expr, hook.scope)
        funcs = index.callables(hook.expr, hook.scope, hook.where)
        if names & set(knowledge["ignoring_handlers"]):
            found.append(Handler(hook, "ignore"))
        elif names & set(knowledge["unwinding_handlers"]):
            found.append(Handler(hook, "unwinding"))
        elif funcs:
            found.append(Handler(hook, "code", index.closure(funcs)))
        else:
            found.append(Handler(hook, "opaque"))
    return found


class _ShutdownRule(ShutdownAwareRule):
    """Shared facts of SL701/SL702: the server loops and servers of the module."""

    def blocking_sites(self) -> Iterator[tuple[Event, Mapping[str, Any]]]:
        """Calls that run a server loop in the foreground of the process."""
        background = self._background()
        for entry in self.knowledge["blocking_loops"]:
            calls = frozenset(entry["calls"])
            for call in self.index.calls:
                if call.names & calls and not any(f in background for f in call.where.funcs):
                    yield call, entry

    def _background(self) -> set[Function]:
        """Functions run by a thread, a process or an executor: their loops are not the entry point's."""
        found = self.index.cache.get("sl7:background")
        if found is not None:
            return found
        spec = self.knowledge["background_runners"]
        bases = frozenset(spec["bases"])
        seeds: list[Function] = []
        for call in self.index.calls:
            assert isinstance(call.node, cst.Call)
            func = call.node.func
            runs: list[cst.BaseExpression | None] = [argument(call.node, k, None) for k in spec["keywords"]]
            if isinstance(func, cst.Attribute) and func.attr.value in spec["methods"]:
                runs.append(argument(call.node, None, spec["methods"][func.attr.value]))
            for expr in runs:
                if expr is not None:
                    seeds.extend(self.index.callables(expr, call.scope, call.where) or ())
            if call.names & bases:
                for qualname in call.names:
                    seeds.extend(self.index.functions.get(f"{qualname}.run", ()))
        found = self.index.cache["sl7:background"] = self.index.closure(seeds)
        return found

    def runs_server(self) -> bool:
        servers = frozenset(self.knowledge["servers"])
        return any(call.names & servers for call in self.index.calls) or any(True for _ in self.blocking_sites())


class ServerWithoutSigtermDrain(_ShutdownRule):
    code = "SL701"
    requires = Requires(calls=["blocking_loops.calls"])  # a server loop runs here

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(sorted({entry["needle"] for entry in knowledge["blocking_loops"]}))

    def judge(self) -> None:
        handlers = sigterm_handlers(self.index, self.knowledge)
        inert = [h for h in handlers if self._inert(h)]
        for call, entry in self.blocking_sites():
            text = self.ctx.module.code_for_node(call.node)
            if not handlers:
                self.report(call.node, f"`{text}` runs {entry['name']} and no SIGTERM handler stops it",
                            hint=self.hint("On SIGTERM the process dies at once"))
            elif len(inert) == len(handlers):
                self.report(call.node, f"`{text}` runs {entry['name']} that SIGTERM handler `{inert[0].text(self.index)}` "
                            "does not stop", hint=self.hint("The pod is killed when its grace period ends"))

    def _inert(self, handler: Handler) -> bool:
        """A handler that ignores SIGTERM or only logs: it stops nothing."""
        if handler.kind == "ignore":
            return True
        if handler.kind != "code":
            return False
        index = self.index
        if any(True for _ in index.events_in(handler.funcs, ("exit",))):
            return False
        for op in index.events_in(handler.funcs, ("assign",)):
            subject = op.subject
            if not isinstance(subject, cst.Name) or subject.value in op.scope.global_names | op.scope.nonlocal_names:
                return False
        inert_calls = set(self.knowledge["inert_calls"])
        for call in index.events_in(handler.funcs, ("call",)):
            if index.is_logging(call) or call.names & inert_calls:
                continue
            if not index.callables(call.node.func, call.scope, call.where):  # type: ignore[attr-defined]
                return False
        return True


class AbruptSigtermStop(_ShutdownRule):
    code = "SL702"
    # a signal handler is installed here
    requires = Requires(calls=["shutdown_paths.signal_setters"], methods=["shutdown_paths.loop_signal_methods"])
    needles = (_SIGTERM,)

    def judge(self) -> None:
        reported: set[int] = set()
        for handler in sigterm_handlers(self.index, self.knowledge):
            for node, message, lead in self._problems(handler):
                if id(node) not in reported:
                    reported.add(id(node))
                    self.report(node, message, hint=self.hint(lead))

    def _problems(self, handler: Handler) -> Iterator[tuple[cst.CSTNode, str, str | None]]:
        """``(node, headline, what the hint adds)`` for each abrupt stop in ``handler``."""
        name = handler.text(self.index)
        if handler.kind == "unwinding" and not self._unwinds_gracefully():
            yield handler.hook.expr, f"SIGTERM handler `{name}` exits at once without stopping the server", None
        if handler.kind != "code":
            return
        ops = list(self.index.events_in(handler.funcs, ("method", "ref")))
        graceful = set(self.knowledge["graceful_stops"])
        stops = [op for op in ops if op.name in graceful]
        for op in ops:
            if op.kind == "method" and self._abrupt_stop(op):
                yield op.node, f"`{self._text(op.node)}` in SIGTERM handler `{name}` aborts every in-flight RPC at once", None
        if not any(op.name == "shutdown" for op in ops):
            for op in ops:
                if op.kind == "method" and op.name == "server_close":
                    closes = f"`{self._text(op.node)}` in SIGTERM handler `{name}` closes the socket without shutdown()"
                    yield op.node, closes, "It does not stop serve_forever()"
        if stops:
            return
        for exit in self.index.events_in(handler.funcs, ("exit",)):
            if exit.hard:
                kills = f"`{self._text(exit.node)}` in SIGTERM handler `{name}` kills the process at once"
                yield exit.node, kills, "No server is stopped, and finally blocks and atexit hooks are skipped"
            elif not self._unwinds_gracefully():
                yield exit.node, f"`{self._text(exit.node)}` in SIGTERM handler `{name}` exits at once without stopping the server", None

    def _text(self, node: cst.CSTNode) -> str:
        return self.ctx.module.code_for_node(node)

    def _abrupt_stop(self, op: Event) -> bool:
        """``server.stop(None)`` / ``stop(0)`` on a server whose ``stop`` takes a grace period."""
        for entry in self.knowledge["abrupt_stops"]:
            if op.name != entry["method"] or not isinstance(op.node, cst.Call):
                continue
            grace = argument(op.node, entry["grace"]["keyword"], entry["grace"]["position"])
            if grace is None or literal(grace) not in (0, None) or isinstance(literal(grace), bool):
                continue
            if self._is_server(op, frozenset(entry["calls"])):
                return True
        return False

    def _is_server(self, op: Event, calls: frozenset[str]) -> bool:
        names = {n.removesuffix("()") for n in self.ctx.qualnames(op.subject, op.scope)} if op.subject else set()
        if names & calls:
            return True
        key = self.index.event_key(op)
        return key is not None and key in self._server_keys(calls)

    def _server_keys(self, calls: frozenset[str]) -> set[str]:
        keys = set()
        for call in self.index.calls:
            storage = self.index.storage.get(id(call.node))
            if call.names & calls and storage is not None and storage.kind == "target" and storage.scope is not None:
                key = self.index.key(storage.target, storage.scope, storage.where or call.where)
                if key is not None:
                    keys.add(key)
        return keys

    def _unwinds_gracefully(self) -> bool:
        """An exit that unwinds (SystemExit) is fine when no server runs, or one is stopped on the way out
        (a ``with`` block, ``finally``, ``except SystemExit``, an atexit hook)."""
        if not self.runs_server():
            return True
        servers = frozenset(self.knowledge["servers"])
        for call in self.index.calls:
            storage = self.index.storage.get(id(call.node))
            if call.names & servers and storage is not None and storage.kind == "with":
                return True
        graceful = set(self.knowledge["graceful_stops"])
        return any(
            op.kind in ("method", "ref") and op.name in graceful and self.index.on_unwind(op)
            for ops in self.index.ops.values()
            for op in ops
        )


__all__ = ["AbruptSigtermStop", "ServerWithoutSigtermDrain", "sigterm_handlers"]
