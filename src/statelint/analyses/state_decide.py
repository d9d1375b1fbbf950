"""What makes state compared with the clock a limiter or a breaker (SL403's claim).

A limiter compares a count or a window with a threshold to refuse work (raise, an early
return of a constant, ``abort()``) or to delay it (sleep, wait); a breaker counts failures
to stop calls. So some ``if`` or ``while`` must test the state with an ordering comparison
(``now - _last < 1.0``, ``self.tokens < 1``, ``time.time() < _open_until``), directly, through
a local computed from it, or through a predicate that returns such a comparison
(``is_open()``, ``self.status.is_suspended``), and one of its branches must refuse or delay.
A rolling series trimmed by age, a map of in-flight requests with timeouts, a token's expiry
that triggers a refresh: none of them does, so SL403 leaves them to the SL1 rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import libcst as cst

from statelint.analyses.state_code import body_nodes, load_names
from statelint.engine.names import Scope
from statelint.engine.walker import children

_ORDERING = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)

Reads = Callable[[cst.CSTNode, Scope], bool]


class Decisions:
    """The functions of one module, searched for decisions on a limiter's state."""

    def __init__(self, ctx: Any, knowledge: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.refusals = frozenset(knowledge.get("refusal_calls", ()))
        self.delays = frozenset(knowledge.get("delay_calls", ()))
        self._scopes: list[Scope] | None = None

    def decides(self, reads: Reads, owner: Scope | None) -> bool:
        """Whether a test on what ``reads`` accepts refuses or delays work somewhere in the module.
        ``owner``: the class whose methods may be the state's predicates (None: module functions)."""
        scopes = self.scopes()
        predicates = {
            scope.node.name.value
            for scope in scopes
            if isinstance(scope.node, cst.FunctionDef) and scope.parent is not None
            and (scope.parent is owner if owner is not None else scope.parent.kind == "module")
            and self._predicate(scope, reads)
        }
        used: set[str] = set()  # predicates some test of the module reads
        for scope in scopes:
            verdicts = self._verdicts(scope, reads, predicates)
            for node in body_nodes(scope.node):
                if isinstance(node, (cst.If, cst.While)) and self._tests(node.test, scope, reads, predicates, verdicts):
                    branches: list[cst.CSTNode] = [node.body]
                    if isinstance(node.orelse, cst.Else):
                        branches.append(node.orelse.body)
                    if any(self._refuses_or_delays(branch, scope) for branch in branches):
                        return True
                used |= _predicates_read(node, predicates)
        # A predicate nothing here reads is the limiter's answer to its callers (``allow()``,
        # ``is_open()``, in other modules); one this module reads only to do work is not.
        return bool(predicates - used)

    def scopes(self) -> list[Scope]:
        """Every function and method of the module (nested ones too)."""
        if self._scopes is None:
            resolver = self.ctx.resolver
            found: list[Scope] = []
            pending: list[tuple[cst.CSTNode, Scope]] = [(self.ctx.module, resolver.module_scope)]
            while pending:
                node, scope = pending.pop()
                for kid in children(node):
                    if isinstance(kid, (cst.FunctionDef, cst.ClassDef)):
                        inner = resolver.child_scope(kid, scope)
                        if isinstance(kid, cst.FunctionDef):
                            found.append(inner)
                        pending.append((kid.body, inner))
                    elif not isinstance(kid, cst.Lambda):
                        pending.append((kid, scope))
            self._scopes = found
        return self._scopes

    def _predicate(self, scope: Scope, reads: Reads) -> bool:
        """A function returning an ordering comparison on the state (``return now < self.until``)."""
        derived = _derived(scope, reads)
        return any(
            isinstance(node, cst.Return) and node.value is not None and _ordering_on(node.value, scope, reads, derived)
            for node in body_nodes(scope.node)
        )

    def _verdicts(self, scope: Scope, reads: Reads, predicates: set[str]) -> set[str]:
        """Locals holding a decision: ``allowed = now - _last > 1``, ``busy = self.gate.is_open()``."""
        derived = _derived(scope, reads)
        return {
            name
            for name, value in _assignments(scope)
            if _ordering_on(value, scope, reads, derived) or _names_predicate(value, predicates)
        }

    def _tests(self, test: cst.BaseExpression, scope: Scope, reads: Reads, predicates: set[str], verdicts: set[str]) -> bool:
        derived = _derived(scope, reads)
        if _ordering_on(test, scope, reads, derived) or _names_predicate(test, predicates):
            return True
        return any(n.value in verdicts for n in load_names(test))

    def _refuses_or_delays(self, suite: cst.CSTNode, scope: Scope) -> bool:
        """A branch that raises, returns a constant (``return False``), returns early where the function
        otherwise answers a constant (``return offenders`` ... ``return []``: the answer is the
        verdict), aborts, sleeps or waits."""
        inside: set[int] = set()
        for node in body_nodes(suite):
            inside.add(id(node))
            if isinstance(node, cst.Raise):
                return True
            if isinstance(node, cst.Return) and (node.value is None or _constant(node.value)):
                return True
            if isinstance(node, cst.Call) and _call_name(node) in self.refusals | self.delays:
                return True
        returns = [node for node in body_nodes(scope.node) if isinstance(node, cst.Return)]
        answers = [node for node in returns if id(node) in inside]
        others = [node for node in returns if id(node) not in inside]
        return bool(answers) and any(node.value is not None and _constant(node.value) for node in others)


def _assignments(scope: Scope) -> Iterator[tuple[str, cst.BaseExpression]]:
    for node in body_nodes(scope.node):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    yield target.target.value, node.value


def _derived(scope: Scope, reads: Reads) -> set[str]:
    """Locals of the function computed from the state (``elapsed = now - self.last``)."""
    assigned = list(_assignments(scope))
    derived: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, value in assigned:
            if name not in derived and (reads(value, scope) or any(n.value in derived for n in load_names(value))):
                derived.add(name)
                changed = True
    return derived


def _ordering_on(expr: cst.CSTNode, scope: Scope, reads: Reads, derived: set[str]) -> bool:
    """Whether ``expr`` holds a ``<``, ``<=``, ``>`` or ``>=`` comparison that reads the state."""
    for node in _nodes(expr):
        if isinstance(node, cst.Comparison) and any(isinstance(c.operator, _ORDERING) for c in node.comparisons):
            if reads(node, scope) or any(n.value in derived for n in load_names(node)):
                return True
    return False


def _names_predicate(expr: cst.CSTNode, predicates: set[str]) -> bool:
    """Whether ``expr`` reads one of the state's predicates: ``is_open()``, ``self.gate.is_open``."""
    if not predicates:
        return False
    for node in _nodes(expr):
        if isinstance(node, cst.Attribute) and node.attr.value in predicates:
            return True
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in predicates:
            return True
    return False


def _predicates_read(node: cst.CSTNode, predicates: set[str]) -> set[str]:
    """The predicates an ``if``/``while`` test, an assignment or an expression statement reads."""
    if not predicates:
        return set()
    if isinstance(node, (cst.If, cst.While)):
        expr: cst.CSTNode = node.test
    elif isinstance(node, (cst.Assign, cst.Expr, cst.Return, cst.AugAssign)):
        expr = node
    else:
        return set()
    found: set[str] = set()
    for current in _nodes(expr):
        if isinstance(current, cst.Attribute) and current.attr.value in predicates:
            found.add(current.attr.value)
        elif isinstance(current, cst.Call) and isinstance(current.func, cst.Name) and current.func.value in predicates:
            found.add(current.func.value)
    return found


def _nodes(expr: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (cst.Lambda, cst.FunctionDef)):
            stack.extend(children(node))


def _constant(expr: cst.BaseExpression) -> bool:
    """``False``, ``None``, ``0``, ``"busy"``, ``("slow down", 429)``: an answer that is no work done."""
    if isinstance(expr, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(expr, cst.Name):
        return expr.value in ("True", "False", "None")
    if isinstance(expr, (cst.Tuple, cst.List)):
        return all(_constant(element.value) for element in expr.elements)
    if isinstance(expr, cst.UnaryOperation):
        return _constant(expr.expression)
    return False


def _call_name(call: cst.Call) -> str | None:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else None
