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
            self.report(finding.node, _message(finding), hint=self.hint(*_evidence(finding)))


def _message(finding: ClockFinding) -> str:
    names = ", ".join(f"`{n}`" for n in finding.names)
    where = "in module state" if finding.owner == "module" else "on a long-lived instance"
    return f"hand-rolled limiter or breaker keeps {names} {where}"


def _evidence(finding: ClockFinding) -> tuple[str, ...]:
    """What makes the state a limiter's: it is compared with the clock; and why an instance is long-lived."""
    compared = f"it compares {'it' if len(finding.names) == 1 else 'them'} with the clock"
    if finding.owner == "module":
        return (compared,)
    return (compared, f"its instances live as long as the process ({finding.instance})")
