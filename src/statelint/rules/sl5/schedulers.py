"""SL506: background schedulers that no shutdown path stops.

APScheduler's background schedulers (``BackgroundScheduler``, ``AsyncIOScheduler`` ...)
run jobs in threads or tasks of their own: started, they need ``shutdown()`` on a shutdown
path (or a ``with`` block). ``BlockingScheduler`` runs in the foreground and is never
reported. Threads running a ``schedule`` loop are classified with the other workers in
:mod:`statelint.rules.sl5.threads` and reported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statelint.analyses.shutdown import ShutdownAwareRule
from statelint.engine.requirements import Requires
from statelint.rules.sl5._handles import Lifecycles
from statelint.rules.sl5.threads import workers


class SchedulerWithoutShutdown(ShutdownAwareRule):
    code = "SL506"
    # a scheduler started here, or ``schedule``'s runner (run by a started thread)
    requires = Requires(words=["start"], calls=["schedulers", "schedule_runners"])

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        heads = {c.split(".")[0] for c in knowledge["schedulers"]}
        return (*sorted(heads), *sorted({r.rsplit(".", 1)[-1] for r in knowledge["schedule_runners"]}))

    def judge(self) -> None:
        lifecycles = Lifecycles.of(self.index)
        schedulers = frozenset(self.knowledge["schedulers"])
        for call in self.index.calls:
            if not call.names & schedulers or self.index.on_shutdown(call):
                continue
            resource = lifecycles.resource(call)
            if resource.storage is None or resource.escaped or not resource.uses(("start",)):
                continue
            if not resource.uses(("shutdown",), index=self.index):
                name = sorted(call.names & schedulers)[0].rsplit(".", 1)[-1]
                handle = lifecycles.describe(resource)
                held = f" held in {handle}" if handle else ", its handle dropped,"
                self.report(call.node, f"{name}{held} is started and no shutdown path calls its shutdown()")
        for verdict in workers(self.index, self.knowledge):
            if verdict.code == self.code:
                self.report(verdict.node, verdict.message, hint=self.hint(verdict.lead))


__all__ = ["SchedulerWithoutShutdown"]
