"""Triage for the workers, pools and tasks of SL5 and the server loops and SIGTERM handlers of SL7.

Every one of these rules starts from a call that resolves to a catalog constructor or
method (:class:`statelint.rules._shutdown.ShutdownIndex` files calls by qualified name),
so each predicate asks :func:`statelint.triage.aliases.may_call` for that call. Workers
must also be started (``t.start()``, ``Thread(...).start()``, ``self.start()`` in a
subclass, or ``start`` passed on), so ``start`` must be spelled in the code. Nothing
about joins, shutdown paths or handlers is decided here: a file that might need them
is parsed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from statelint.triage import Source, calls_of
from statelint.triage.aliases import may_call

_START = "start"


def _worker(source: Source, knowledge: Mapping[str, Any], kind: str) -> bool:
    """A started worker of ``kind`` (thread, timer, process) may exist."""
    calls = knowledge["workers"][kind]["calls"]
    return _START in source.index.names and may_call(source, calls)


def _method_or_call(source: Source, methods: Iterable[str], calls: Iterable[str]) -> bool:
    """A call of one of ``methods`` on any receiver (a loop of unknown type), or one that may resolve to ``calls``."""
    return bool(set(methods) & source.index.called) or may_call(source, calls)


def thread(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL501: a started thread (a subclass of Thread defined here counts: it resolves to its base)."""
    return _worker(source, knowledge, "thread")


def daemon_thread(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL502: a started thread, and ``daemon=True``, ``x.daemon = True`` or ``setDaemon`` somewhere."""
    index = source.index
    daemon = "daemon" in index.keywords or "daemon" in index.names or "setDaemon" in index.names
    return daemon and _worker(source, knowledge, "thread")


def timer(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL503: a started threading.Timer."""
    return _worker(source, knowledge, "timer")


def process(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL507: a started multiprocessing process."""
    return _worker(source, knowledge, "process")


def executor(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL504: a pool constructor call (whether it is long-lived and shut down is left to the rule)."""
    return may_call(source, calls_of(knowledge["executors"]))


def task(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL505: a task-creating call, or ``<anything>.create_task(...)`` (the rule accepts loops of unknown type)."""
    return _method_or_call(source, knowledge["tasks"]["loop_methods"], knowledge["tasks"]["calls"])


def scheduler(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL506: a started APScheduler scheduler, or a started thread in a file calling ``schedule``'s runner."""
    if _START not in source.index.names:
        return False
    if may_call(source, knowledge["schedulers"]):
        return True
    return may_call(source, knowledge["schedule_runners"]) and _worker(source, knowledge, "thread")


def server_loop(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL701: a call of a blocking server loop (``serve_forever``, ``run_forever`` ...)."""
    return may_call(source, calls_of(knowledge["blocking_loops"]))


def signal_handler(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL702: a signal handler is installed (``signal.signal`` or ``loop.add_signal_handler``)."""
    paths = knowledge["shutdown_paths"]
    return _method_or_call(source, paths["loop_signal_methods"], paths["signal_setters"])


__all__ = [
    "daemon_thread",
    "executor",
    "process",
    "scheduler",
    "server_loop",
    "signal_handler",
    "task",
    "thread",
    "timer",
]
