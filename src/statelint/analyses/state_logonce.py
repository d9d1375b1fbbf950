"""Module containers that only remember what was already logged (SL101's log-once exemption).

``if key not in _warned: _warned.add(key); log.warning(...)`` keeps one process from
repeating a warning: each process warns once per key, which is right per process, and
losing the set on restart costs one more log line. The same holds for a mark in a dict
(``if _seen.get(key): skip = True else: _seen[key] = True``, the message logged after
through a local flag) and for the early-return form (``if key in _warned: return``).

The evidence is in the code, not in the name: the container starts empty, every write
records the key its guard tested (``add``, ``append`` or a constant mark; ``clear()``
and a rebind to an empty container reset it), every read of it is such a guard test,
the branch taken once the key is recorded only skips (locals, ``pass``, ``return``,
``continue``), the branch that records it only logs, and the locals those branches set
feed only log calls. A container also read for anything else (shown, counted, used to
decide what to send) stays state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import libcst as cst

from statelint.analyses.state_code import body_nodes, bound_name, calls_in, terminal
from statelint.engine.walker import children

if TYPE_CHECKING:
    from statelint.analyses.state import ModuleState

_RECORDS = frozenset({"add", "append"})  # methods that record a key
_RESETS = frozenset({"clear"})  # methods that forget every key
_CONSTANTS = (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString)
_MARKS = frozenset({"True", "False", "None"})
_Statements = list[cst.BaseStatement]


class LogOnce:
    """Answers :meth:`container` for the module containers of one file."""

    def __init__(self, state: ModuleState, log_calls: frozenset[str]) -> None:
        self.state = state
        self.log_calls = log_calls
        self._verdicts: dict[str, bool] = {}

    def container(self, name: str) -> bool:
        """Whether the module container ``name`` only records what was already logged."""
        found = self._verdicts.get(name)
        if found is None:
            found = self._verdicts[name] = self._judge(name)
        return found

    def _judge(self, name: str) -> bool:
        state = self.state
        definitions = self._definitions(name)
        if definitions is None:
            return False
        accounted = set(definitions)  # the Name nodes of `name` whose use is explained
        functions: dict[int, cst.FunctionDef] = {}
        for write in state.writes:
            container = state.container_for(write.root, write.scope)
            if container is None or container.name != name:
                continue
            func = write.scope.node
            if not isinstance(func, cst.FunctionDef) or not isinstance(write.root, cst.Name):
                return False
            accounted.add(id(write.root))
            if write.how.removesuffix("()") not in _RESETS:
                functions[id(func)] = func
        for rebind in state.rebinds:
            if rebind.target.value == name:
                if rebind.augmented or not _empty(rebind.value, state):
                    return False
                accounted.add(id(rebind.target))
        if not functions:
            return False
        records = {id(w.node) for w in state.writes if isinstance(w.scope.node, cst.FunctionDef) and id(w.scope.node) in functions}
        recorded: set[int] = set()
        for func in functions.values():
            for guard in self._guards(func, name):
                accounted |= guard.tests
                recorded |= guard.records & records
        writes = [w for w in state.writes if id(w.root) in accounted and w.how.removesuffix("()") not in _RESETS]
        if not writes or any(id(w.node) not in recorded for w in writes):
            return False
        return all(id(node) in accounted for node in _references(state, name))

    def _definitions(self, name: str) -> set[int] | None:
        """The Name nodes binding ``name`` at module level, when every binding makes it empty."""
        out: set[int] = set()
        for binding in self.state.module_scope.bindings(name):
            target = bound_name(binding.node, name)
            if binding.kind != "assign" or target is None or not _empty(binding.value, self.state):
                return None
            out.add(id(target))
        return out or None

    # -- guards ------------------------------------------------------------------------------
    def _guards(self, func: cst.FunctionDef, name: str) -> Iterator[_Guard]:
        """The log-once guards of ``func`` on the container ``name``."""
        log_methods = _log_method_locals(func, self.log_calls)
        for statement, rest in _ifs_with_rest(_block(func.body)):
            tested = _membership(statement.test, name)
            if tested is None:
                continue
            key, seen_when_true, tests = tested
            branches = _branches(statement, seen_when_true, rest)
            if branches is None:
                continue
            seen, unseen = branches
            records = self._records(unseen, name, key, log_methods)
            if not records or not _only_skips(seen):
                continue
            assigned = _assigned_names([*seen, *unseen])
            if assigned & _declared_global(func) or not self._locals_feed_logs(func, assigned, log_methods):
                continue
            yield _Guard(tests, records)

    def _records(self, unseen: _Statements, name: str, key: cst.BaseExpression, log_methods: set[str]) -> set[int]:
        """The ids of the writes recording ``key`` in a branch that otherwise only logs (and sets
        locals without calling anything); none when the branch does more, or does not log."""
        out: set[int] = set()
        logs = False
        for statement in unseen:
            if not isinstance(statement, cst.SimpleStatementLine):
                return set()
            for small in statement.body:
                if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and self._log_call(small.value, log_methods):
                    logs = True
                elif _records_key(small, name, key):
                    out |= {id(small), *(id(call) for call in calls_in(small))}
                elif _local_assignment(small):
                    value = small.value  # type: ignore[attr-defined]
                    logs = logs or (isinstance(value, cst.Attribute) and value.attr.value in self.log_calls)
                elif not isinstance(small, (cst.Pass, cst.Return)) or getattr(small, "value", None) is not None:
                    return set()
        return out if logs else set()

    def _log_call(self, call: cst.Call, log_methods: set[str]) -> bool:
        if isinstance(call.func, cst.Name) and call.func.value in log_methods:
            return True
        return terminal(call.func) in self.log_calls

    def _locals_feed_logs(self, func: cst.FunctionDef, assigned: set[str], log_methods: set[str]) -> bool:
        """Whether every use of the locals ``assigned`` is in a log call, in the test of an ``if``
        that only logs, or an assignment of one without a call: they decide what is logged, nothing else."""
        if not assigned:
            return True
        allowed: set[int] = set()
        for node in body_nodes(func):
            if isinstance(node, cst.Call) and self._log_call(node, log_methods):
                allowed |= {id(n) for n in _all_names(node)}
            elif isinstance(node, cst.If) and node.orelse is None and self._only_logs(_block(node.body), log_methods):
                allowed |= {id(n) for n in _all_names(node.test)}
            elif _local_assignment(node):
                target = node.targets[0].target  # type: ignore[attr-defined]
                # a local feeding a checked local is checked through it; into any other, it escapes
                allowed |= {id(n) for n in _all_names(node)} if target.value in assigned else {id(target)}
        uses = (n for n in body_nodes(func) if isinstance(n, cst.Name) and n.value in assigned)
        return all(id(n) in allowed for n in uses)

    def _only_logs(self, statements: _Statements, log_methods: set[str]) -> bool:
        return bool(statements) and all(
            isinstance(s, cst.SimpleStatementLine)
            and all(isinstance(x, cst.Expr) and isinstance(x.value, cst.Call) and self._log_call(x.value, log_methods) for x in s.body)
            for s in statements
        )


class _Guard:
    """One log-once guard: the Name nodes of the container in its test, the writes it records."""

    def __init__(self, tests: set[int], records: set[int]) -> None:
        self.tests = tests
        self.records = records


def _empty(value: cst.BaseExpression | None, state: ModuleState) -> bool:
    """``{}``, ``[]``, ``set()``, ``dict()``: a container made empty."""
    if isinstance(value, (cst.Dict, cst.List, cst.Set)):
        return not value.elements
    if isinstance(value, cst.Call) and not value.args:
        return state.container_kind(value) is not None
    return False


def _membership(test: cst.BaseExpression, name: str) -> tuple[cst.BaseExpression, bool, set[int]] | None:
    """(key, whether the test holds once the key is recorded, the container's Name nodes in it) for
    ``key in C``, ``key not in C``, ``C.get(key)`` and their negation."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _membership(test.expression, name)
        return None if inner is None else (inner[0], not inner[1], inner[2])
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if isinstance(target.comparator, cst.Name) and target.comparator.value == name:
            if isinstance(target.operator, cst.In):
                return test.left, True, {id(target.comparator)}
            if isinstance(target.operator, cst.NotIn):
                return test.left, False, {id(target.comparator)}
    if (
        isinstance(test, cst.Call)
        and isinstance(test.func, cst.Attribute)
        and isinstance(test.func.value, cst.Name)
        and test.func.value.value == name
        and test.func.attr.value == "get"
        and len(test.args) == 1
        and test.args[0].keyword is None
        and not test.args[0].star
    ):
        return test.args[0].value, True, {id(test.func.value)}
    return None


def _branches(statement: cst.If, seen_when_true: bool, rest: _Statements) -> tuple[_Statements, _Statements] | None:
    """(statements run once the key is recorded, statements run before), or None when not plain:
    an ``elif`` chain, or a recorded branch that neither has an ``else`` nor ends the block."""
    body = _block(statement.body)
    other = statement.orelse
    if isinstance(other, cst.If):
        return None
    orelse = _block(other.body) if other is not None else []
    if not seen_when_true:
        return orelse, body
    if other is not None:
        return body, orelse
    if body and _ends(body[-1]):
        return body, rest  # `if key in C: return` guards the rest of the block
    return None


def _ends(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(isinstance(s, (cst.Return, cst.Continue)) for s in statement.body)


def _only_skips(statements: _Statements) -> bool:
    """Locals set without a call, ``pass``, ``continue``, ``break``, a return of a constant or nothing."""
    for statement in statements:
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            if isinstance(small, (cst.Pass, cst.Continue, cst.Break)) or _local_assignment(small):
                continue
            if isinstance(small, cst.Return) and (small.value is None or _constant(small.value)):
                continue
            return False
    return True


def _constant(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, _CONSTANTS) or (isinstance(expr, cst.Name) and expr.value in _MARKS)


def _records_key(small: cst.BaseSmallStatement, name: str, key: cst.BaseExpression) -> bool:
    """``C.add(key)``, ``C.append(key)`` or ``C[key] = <constant>``."""
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        call = small.value
        return (
            isinstance(call.func, cst.Attribute)
            and isinstance(call.func.value, cst.Name)
            and call.func.value.value == name
            and call.func.attr.value in _RECORDS
            and len(call.args) == 1
            and call.args[0].value.deep_equals(key)
        )
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and _constant(small.value):
        target = small.targets[0].target
        return (
            isinstance(target, cst.Subscript)
            and isinstance(target.value, cst.Name)
            and target.value.value == name
            and len(target.slice) == 1
            and isinstance(target.slice[0].slice, cst.Index)
            and target.slice[0].slice.value.deep_equals(key)
        )
    return False


def _local_assignment(node: cst.CSTNode) -> bool:
    """``name = value`` with a plain name and no call in the value."""
    return (
        isinstance(node, cst.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0].target, cst.Name)
        and next(calls_in(node.value), None) is None
    )


def _assigned_names(statements: _Statements) -> set[str]:
    return {
        small.targets[0].target.value  # type: ignore[attr-defined]
        for statement in statements
        if isinstance(statement, cst.SimpleStatementLine)
        for small in statement.body
        if _local_assignment(small)
    }


def _declared_global(func: cst.FunctionDef) -> set[str]:
    """Names ``func`` declares ``global`` or ``nonlocal``: setting one is no local decision."""
    return {
        item.name.value
        for node in body_nodes(func)
        if isinstance(node, (cst.Global, cst.Nonlocal))
        for item in node.names
    }


def _log_method_locals(func: cst.FunctionDef, log_calls: frozenset[str]) -> set[str]:
    """Locals every assignment of which is a log method (``emit = log.warning``)."""
    verdicts: dict[str, bool] = {}
    for node in body_nodes(func):
        if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            name = node.targets[0].target.value
            value = node.value
            ok = isinstance(value, cst.Attribute) and value.attr.value in log_calls
            verdicts[name] = verdicts.get(name, True) and ok
    return {name for name, ok in verdicts.items() if ok}


def _ifs_with_rest(statements: _Statements) -> Iterator[tuple[cst.If, _Statements]]:
    """Every ``if`` in the block at any depth (not in nested functions), with the statements after it in its block."""
    for index, statement in enumerate(statements):
        if isinstance(statement, cst.If):
            yield statement, statements[index + 1 :]
            yield from _ifs_with_rest(_block(statement.body))
            other = statement.orelse
            if isinstance(other, cst.If):
                yield from _ifs_with_rest([other])
            elif other is not None:
                yield from _ifs_with_rest(_block(other.body))
        elif isinstance(statement, (cst.With, cst.For, cst.While, cst.Try)):
            yield from _ifs_with_rest(_block(statement.body))
            for handler in getattr(statement, "handlers", ()):
                yield from _ifs_with_rest(_block(handler.body))


def _block(suite: Any) -> _Statements:
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    if isinstance(suite, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=suite.body)] if suite.body else []
    return []


def _all_names(node: cst.CSTNode) -> Iterator[cst.Name]:
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            yield current
        stack.extend(children(current))


def _references(state: ModuleState, name: str) -> Iterator[cst.Name]:
    """Every Name node spelling ``name`` that refers to the module's binding of it (a class attribute
    or a local of the same name is another variable), except attribute names and keywords."""
    resolver = state.ctx.resolver
    module_scope = state.module_scope
    stack: list[tuple[cst.CSTNode, Any]] = [(state.ctx.module, module_scope)]
    while stack:
        node, scope = stack.pop()
        if isinstance(node, cst.Name):
            if node.value == name and all(b.scope is module_scope for b in resolver.lookup(name, scope)):
                yield node
        elif isinstance(node, (cst.Attribute, cst.Arg)):
            stack.append((node.value, scope))
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            inner = resolver.child_scope(node, scope)
            outer = [*getattr(node, "decorators", ()), *getattr(node, "bases", ()), *getattr(node, "keywords", ())]
            evaluated_outside = {id(kid) for kid in outer}
            stack.extend((kid, scope) for kid in outer)
            stack.extend((kid, inner) for kid in children(node) if id(kid) not in evaluated_outside)
        elif not isinstance(node, cst.Global):  # `global C` declares, it neither reads nor writes
            stack.extend((kid, scope) for kid in children(node))
