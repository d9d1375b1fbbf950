"""SL504: executors and pools held for the life of the process and never shut down.

Only long-lived pools are reported (a module global, a class attribute, an attribute of an
object): a pool in a ``with`` block, shut down anywhere (``shutdown()``, ``close()`` +
``join()``, ``terminate()``, a reference such as ``atexit.register(pool.shutdown)``), or
handed to an owner that shuts it down (``grpc.server(executor)``) is managed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statelint.analyses.shutdown import ShutdownAwareRule
from statelint.engine.requirements import Requires
from statelint.rules.sl5._handles import Lifecycles, Resource, opt_in_lead


class ExecutorNeverShutDown(ShutdownAwareRule):
    code = "SL504"
    requires = Requires(calls=["executors.calls"])  # a pool is made here

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        # The constructor's own name must appear: ThreadPoolExecutor, ProcessPoolExecutor, Pool, ThreadPool.
        return tuple(sorted({c.rsplit(".", 1)[-1] for e in knowledge["executors"] for c in e["calls"]}))

    def judge(self) -> None:
        lifecycles = Lifecycles.of(self.index)
        for entry in self.knowledge["executors"]:
            calls = frozenset(entry["calls"])
            for call in self.index.calls:
                if not call.names & calls:
                    continue
                resource = lifecycles.resource(call)
                if self.index.is_long_lived(resource.key) and not self._managed(resource, entry):
                    stops = {method for stop in entry["stops"] for method in stop}
                    parameter = resource.only_when(stops)
                    never = "is never shut down" if parameter is None else f"is shut down only if a caller changes `{parameter}`"
                    self.report(
                        call.node,
                        f"{entry['name']} held in {lifecycles.describe(resource)} {never}",
                        hint=self.hint(opt_in_lead(parameter)) if parameter is not None else None,
                    )

    def _managed(self, resource: Resource, entry: Mapping[str, Any]) -> bool:
        if any(op.kind == "with" for op in resource.ops):
            return True
        if any(all(resource.uses((method,)) for method in stop) for stop in entry["stops"]):
            return True
        owners = self.knowledge["executor_owners"]
        calls, methods = set(owners["calls"]), set(owners["methods"])
        return any(
            op.kind == "arg" and op.call is not None and (op.call.names & calls or op.name in methods)
            for op in resource.ops
        )


__all__ = ["ExecutorNeverShutDown"]
