"""SL505: fire-and-forget asyncio tasks and greenlets.

A task is managed when something keeps its handle and, somewhere in the module, awaits it,
gathers it (passes it to any call: ``gather``, ``wait``, ``shield``, ``wait_for`` ...),
cancels it or reads its result. Tasks created on a shutdown path (the shutdown coroutine a
signal handler schedules) are the shutdown itself and are not reported.

A job handed to the loop's default executor (``loop.run_in_executor(None, fn)``) is reported
when its future is dropped: nothing awaits it, and unlike a pool of the module's own (SL504),
no shutdown of the module bounds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import libcst as cst

from statelint.analyses.shutdown import (
    Event,
    ShutdownAwareRule,
    argument,
    base_name,
    literal,
)
from statelint.engine.requirements import Requires
from statelint.rules.sl5._handles import Lifecycles, Resource


class FireAndForgetTask(ShutdownAwareRule):
    code = "SL505"
    # a task is created here, or a job handed to the default executor (on a loop of any type)
    requires = Requires(
        calls=["tasks.calls", "tasks.executor_calls"], methods=["tasks.loop_methods", "tasks.executor_methods"]
    )

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        tasks = knowledge["tasks"]
        return tuple(sorted(
            {c.rsplit(".", 1)[-1] for c in tasks["calls"]} | set(tasks["loop_methods"]) | set(tasks["executor_methods"])
        ))

    def judge(self) -> None:
        lifecycles = Lifecycles.of(self.index)
        consuming = self.knowledge["tasks"]["consumers"]
        for call in self.index.calls:
            if self.index.on_shutdown(call):
                continue
            if self._is_default_executor_job(call):
                self._judge_executor_future(lifecycles.resource(call))
                continue
            if not self._is_task(call):
                continue
            resource = lifecycles.resource(call)
            if resource.storage is None or resource.escaped:
                continue
            what = self._what(call)
            if resource.dropped:
                self.report(call.node, f"{what} is fire-and-forget: nothing keeps, awaits or cancels it",
                            hint=self.hint("The garbage collector may also collect it mid-run"))
            elif not resource.awaited and not resource.uses(consuming):
                self.report(call.node, f"{what} is kept in {lifecycles.describe(resource)} but never awaited, gathered or cancelled")

    def _is_task(self, call: Event) -> bool:
        return self._on_loop(call, "calls", "loop_methods")

    def _on_loop(self, call: Event, calls: str, methods: str) -> bool:
        """``call`` resolves to one of ``tasks[calls]``, or is one of ``tasks[methods]`` on a loop whose
        type cannot be resolved (a parameter, self.loop) but which is named like one."""
        tasks = self.knowledge["tasks"]
        if call.names & set(tasks[calls]):
            return True
        func = call.node.func if isinstance(call.node, cst.Call) else None
        return (
            not call.names
            and isinstance(func, cst.Attribute)
            and func.attr.value in tasks[methods]
            and base_name(func.value) in tasks["loop_names"]
        )

    def _is_default_executor_job(self, call: Event) -> bool:
        """``loop.run_in_executor(None, fn)``: a job for the loop's default executor."""
        if not self._on_loop(call, "executor_calls", "executor_methods"):
            return False
        where = self.knowledge["tasks"]["executor"]
        assert isinstance(call.node, cst.Call)
        executor = argument(call.node, where["keyword"], where["position"])
        return executor is not None and literal(executor) is None

    def _judge_executor_future(self, resource: Resource) -> None:
        """Only a dropped future (an expression statement) is reported: one kept may be awaited anywhere."""
        if resource.storage is None or resource.storage.kind != "dropped":
            return
        func = resource.call.node.func if isinstance(resource.call.node, cst.Call) else None
        text = self.ctx.module.code_for_node(func) if func is not None else "run_in_executor"
        self.report(resource.call.node, f"future of `{text}(None, ...)` is dropped: nothing awaits the job it runs in the default executor",
                    hint=self.hint("At exit asyncio.run() waits for that job with no bound"))

    def _what(self, call: Event) -> str:
        func = call.node.func if isinstance(call.node, cst.Call) else None
        text = self.ctx.module.code_for_node(func) if func is not None else "task"
        return f"task created by `{text}()`"


__all__ = ["FireAndForgetTask"]
