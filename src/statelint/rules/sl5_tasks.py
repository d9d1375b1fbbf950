"""SL505: fire-and-forget asyncio tasks and greenlets.

A task is managed when something keeps its handle and, somewhere in the module, awaits it,
gathers it (passes it to any call: ``gather``, ``wait``, ``shield``, ``wait_for`` ...),
cancels it or reads its result. Tasks created on a shutdown path (the shutdown coroutine a
signal handler schedules) are the shutdown itself and are not reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import libcst as cst

from statelint.engine.requirements import Requires
from statelint.rules._shutdown import Event, ShutdownAwareRule, base_name
from statelint.rules.sl5_handles import Lifecycles


class FireAndForgetTask(ShutdownAwareRule):
    code = "SL505"
    # a task is created here (``create_task`` on a loop of any type counts)
    requires = Requires(calls=["tasks.calls"], methods=["tasks.loop_methods"])

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        tasks = knowledge["tasks"]
        return tuple(sorted({c.rsplit(".", 1)[-1] for c in tasks["calls"]} | set(tasks["loop_methods"])))

    def judge(self) -> None:
        lifecycles = Lifecycles.of(self.index)
        consuming = self.knowledge["tasks"]["consumers"]
        for call in self.index.calls:
            if not self._is_task(call) or self.index.on_shutdown(call):
                continue
            resource = lifecycles.resource(call)
            if resource.storage is None or resource.escaped:
                continue
            what = self._what(call)
            if resource.dropped:
                self.report(call.node, f"{what} is fire-and-forget: its handle is dropped, so nothing awaits or "
                            "cancels it and SIGTERM (or the garbage collector) cuts it off mid-run")
            elif not resource.awaited and not resource.uses(consuming):
                self.report(call.node, f"{what} is kept in {lifecycles.describe(resource)} but never awaited, gathered "
                            "or cancelled: SIGTERM cuts it off mid-run")

    def _is_task(self, call: Event) -> bool:
        tasks = self.knowledge["tasks"]
        if call.names & set(tasks["calls"]):
            return True
        func = call.node.func if isinstance(call.node, cst.Call) else None
        # `loop.create_task(...)` on a loop whose type cannot be resolved (a parameter, self.loop).
        return (
            not call.names
            and isinstance(func, cst.Attribute)
            and func.attr.value in tasks["loop_methods"]
            and base_name(func.value) in tasks["loop_names"]
        )

    def _what(self, call: Event) -> str:
        func = call.node.func if isinstance(call.node, cst.Call) else None
        text = self.ctx.module.code_for_node(func) if func is not None else "task"
        return f"task created by `{text}()`"


__all__ = ["FireAndForgetTask"]
