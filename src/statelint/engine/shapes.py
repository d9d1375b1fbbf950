"""Shapes a rule may require of a file's summary, where one call or string is not evidence enough.

Each shape is a test of :class:`~statelint.engine.requirements.FileFacts` (the file's summary,
its string constants, what the project expands its names to), with the rule's catalog
knowledge and options. Like every declaration a shape must be *sound*: it says no only where
the rule reports nothing and records no fact; it may say yes too often. Each one names the
rule it serves and says where it over-approximates.

Nothing here imports libcst or a rule module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
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


# -- SL803 -------------------------------------------------------------------------------------
def _request_writes(facts: FileFacts, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL803: a function that may handle requests, or code run inside one (a nested function, a
    lambda, a class body), calls what may write a file: a method named like ``path_write_methods``
    or ``path_open_methods`` (``write_text``, ``open``) on any receiver, or one of ``open_calls``.

    A handler is a function whose first parameter (after ``self`` or ``cls``) is named like
    ``request_parameters``, or one with a decorator resolving to one of ``route_functions`` or to a
    ``route_methods`` method of one of ``route_objects``, also through the project's definitions.
    Calls in a handler's defaults and decorators run where its ``def`` does, which the rule counts
    as inside it: the calls of the code around the ``def`` count too. The mode an ``open`` is given
    is not known here: a file opened for reading counts."""
    summary = facts.summary
    handlers = [f for f in {*summary.parameters, *summary.decorators} if _is_handler(facts, f, knowledge)]
    if not handlers:
        return False
    names = {*knowledge["path_write_methods"], *knowledge["path_open_methods"]}
    opens = {call for entry in knowledge["open_calls"] for call in entry["calls"]}
    for caller in _inside(summary.calls.keys() | summary.dynamic.keys(), handlers):
        if not names.isdisjoint(summary.dynamic.get(caller, ())):
            return True
        for callee in summary.calls.get(caller, ()):
            if _last_name(callee) in names or callee in opens or not facts.expand(callee).isdisjoint(opens):
                return True
    return False


def _is_handler(facts: FileFacts, function: str, knowledge: Mapping[str, Any]) -> bool:
    """Whether ``function`` may handle requests, as SL803 recognises a handler (see :func:`_request_writes`)."""
    parameters = facts.summary.parameters.get(function, [])
    if parameters and parameters[0] in ("self", "cls"):
        parameters = parameters[1:]
    if parameters and parameters[0] in knowledge["request_parameters"]:
        return True
    functions = set(knowledge["route_functions"])
    objects = set(knowledge["route_objects"])
    methods = set(knowledge["route_methods"])
    for decorator, _ in facts.summary.decorators.get(function, ()):
        for target in {decorator, decorator.removesuffix("()")}:  # what a decorator call is made on
            if target in functions or not facts.expand(target).isdisjoint(functions):
                return True
            receiver, _, method = target.rpartition(".")
            if method in methods and (receiver in objects or not facts.expand(receiver).isdisjoint(objects)):
                return True
    return False


def _inside(callers: Iterable[str], functions: list[str]) -> Iterator[str]:
    """The callers whose calls run inside one of ``functions``: the function itself, the functions
    defined in it, and the code around its ``def`` (where its defaults and decorators are evaluated)."""
    around = set()
    for function in functions:
        outer, found, _ = function.rpartition(".<locals>.")
        around.update((outer,) if found else (MODULE, MAIN))
    prefixes = tuple(f"{function}.<locals>." for function in functions)
    inside = set(functions)
    for caller in callers:
        if caller in inside or caller in around or caller.startswith(prefixes):
            yield caller


def _last_name(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1].split("(", 1)[0]


#: The shapes a :class:`~statelint.engine.requirements.Requires` may ask for, each with its test.
SHAPES: dict[str, Shape] = {
    "print-to-log": _print_to_log,
    "request-writes": _request_writes,
}
