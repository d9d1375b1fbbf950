"""Shapes a rule may require of a file's summary, where one call or string is not evidence enough.

Each shape is a test of :class:`~statelint.engine.requirements.FileFacts` (the file's summary,
its string constants, what the project expands its names to), with the rule's catalog
knowledge and options. Like every declaration a shape must be *sound*: it says no only where
the rule reports nothing and records no fact; it may say yes too often. Each one names the
rule it serves and says where it over-approximates.

Nothing here imports libcst or a rule module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from statelint.project.summary import MAIN, MODULE

if TYPE_CHECKING:
    from statelint.engine.requirements import FileFacts

Shape = Callable[["FileFacts", Mapping[str, Any], Mapping[str, Any]], bool]


def callers_of(facts: FileFacts, qualnames: Iterable[str]) -> set[str]:
    """The callers (functions, :data:`MODULE`, :data:`MAIN`) with a call resolving to one of ``qualnames``,
    directly or through what the project expands the callee to (an alias defined in another module)."""
    wanted = set(qualnames)
    found = set()
    for caller, callees in facts.summary.calls.items():
        if any(callee in wanted or not facts.expand(callee).isdisjoint(wanted) for callee in callees):
            found.add(caller)
    return found


# -- SL205 -------------------------------------------------------------------------------------
def _print_to_log(facts: FileFacts, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL205's ``print(..., file=f)``: ``print`` called in a function some part of whose qualified
    name has ``log`` in it (the rule asks it of the functions around the call; a class's name
    counts here too), or anywhere in a file spelling ``.log`` (the rule's other case: a file
    whose path, read from the file's literals, ends so). Whatever ``file=`` is given counts here."""
    callers = callers_of(facts, ("builtins.print",))
    if not callers:
        return False
    if facts.mentions(".log"):
        return True
    prefix = f"{facts.summary.module}."
    return any(caller not in (MODULE, MAIN) and "log" in caller.removeprefix(prefix).lower() for caller in callers)


#: The shapes a :class:`~statelint.engine.requirements.Requires` may ask for, each with its test.
SHAPES: dict[str, Shape] = {
    "print-to-log": _print_to_log,
}
