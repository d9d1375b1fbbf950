"""SL403: hand-rolled limiters and breakers on per-process state.

The detection lives in :mod:`statelint.analyses.state` (``ModuleState.clock_state``)
because SL101 and SL102 defer to it: state written with clock readings and
compared to decide whether a call may go through is reported here, once, rather
than also as a mutated container or a rebound global.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statelint.analyses.state import ClockFinding, ModuleState, StateRule
from statelint.engine.requirements import Requires

_CONSEQUENCE = (
    "each worker process and replica throttles or trips on its own count, "
    "so limits multiply and a restart resets them"
)


class HandRolledLimiter(StateRule):
    code = "SL403"
    requires = Requires(writes=["stored-clock"])  # a clock reading kept beyond the call

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        # A clock is read by a call (`time.monotonic()`, `datetime.now()`) of a module the file imports,
        # possibly under another name (`from time import monotonic as clock`).
        clocks = knowledge.get("clocks", ())
        needles = {f"{clock.rsplit('.', 1)[-1]}(" for clock in clocks}
        needles |= {f".{entry['method']}(" for entry in knowledge.get("clock_methods", ())}  # `self.bot.loop.time()`
        for head in {clock.split(".")[0] for clock in clocks}:
            needles |= {f"import {head}", f"from {head}"}
        return tuple(sorted(needles))

    def judge(self, state: ModuleState) -> None:
        for finding in state.clock_state().findings:
            self.report(finding.node, _message(finding))


def _message(finding: ClockFinding) -> str:
    names = ", ".join(f"`{n}`" for n in finding.names)
    them = "it" if len(finding.names) == 1 else "them"
    if finding.owner == "module":
        return f"hand-rolled limiter or breaker: keeps {names} in module state and compares {them} with the clock: {_CONSEQUENCE}"
    return (
        f"hand-rolled limiter or breaker: keeps {names} on instances that live for the whole process "
        f"({finding.instance}) and compares {them} with the clock: {_CONSEQUENCE}"
    )
