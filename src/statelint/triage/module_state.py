"""Triage for the module-state rules (SL101-SL103, SL403) and SL103's definition facts.

The libcst analysis (:mod:`statelint.rules._state`) decides whether a module-level
container is mutated by code that runs per request. Its cheap over-approximation
here: the module binds a container to a name, and some function writes through
that name (item assignment, a mutating method, ``heapq.heappush(name, ...)``,
``global name; name += ...``, or a local alias of it), unless the function binds
that name itself. Where the libcst analysis follows scopes exactly, this reads
each function together with the functions nested in it: it may accept a file the
rules then find clean, never the reverse. For SL102 it mirrors two of the rule's
exemptions exactly: a global set only while it is unset (lazy initialisation),
and one set in a function named like the ``startup-functions``.
"""

from __future__ import annotations

import ast
import fnmatch
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from statelint.catalog import load_catalog
from statelint.triage import (
    DEFS,
    SCOPES,
    Source,
    bound_names,
    statement_fields,
    terminal,
    walk,
)
from statelint.triage.aliases import local_names

_LITERALS: dict[type, str] = {
    ast.Dict: "dict",
    ast.DictComp: "dict",
    ast.List: "list",
    ast.ListComp: "list",
    ast.Set: "set",
    ast.SetComp: "set",
}
_EXTERNAL = frozenset(sys.stdlib_module_names) | {"builtins"}


class FunctionFacts:
    """What one function (with the functions nested in it) does to state."""

    __slots__ = ("clock_write",)

    def __init__(self, clock_write: bool = False) -> None:
        self.clock_write = clock_write  # stores a clock reading where it outlives the call


class Summary:
    """What the file's functions write, for the module-state predicates."""

    __slots__ = ("roots", "heads", "rebinds", "rebound", "aliases", "functions", "compares", "owners", "outer")

    def __init__(self) -> None:
        self.roots: set[str] = set()  # names written through inside functions
        self.heads: set[str] = set()  # first names of what functions write through
        self.rebinds: set[tuple[str, bool]] = set()  # (global name, augmented) set in functions
        #: global name -> the functions that set it to something but None, outside a lazy
        #: initialisation (None: not known, such as a ``:=`` in a lambda)
        self.rebound: dict[str, set[str | None]] = {}
        self.aliases: dict[str, set[str]] = {}  # name -> locals a function copies it into
        self.functions: list[FunctionFacts] = []
        self.compares = False  # some function compares values
        #: names whose attributes or items outlive a call: module-level variables and every
        #: def's first parameter (``self``); a clock reading stored elsewhere is not SL403's
        self.owners: set[str] = set()
        #: names a function may write through to something outside it: module variables and imports
        self.outer: set[str] = set()


def summary(source: Source) -> Summary:
    """The module-state summary of ``source``, built once per file."""
    built: Summary = source.memo("module_state", _summarise)
    return built


# -- the predicates -------------------------------------------------------------------------
def mutated_container(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL101: a module-level container that some function writes through."""
    names = set(containers(source, options.get("extra-container-classes", ())))
    if not names:
        return False  # decided without walking the functions
    state = summary(source)
    if names & state.roots or any(name in names for name, augmented in state.rebinds if augmented):
        return True
    return any(copies & state.roots for name, copies in state.aliases.items() if name in names)


def rebound_global(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL102: a function sets a name it declares ``global`` (not a dunder, not to None, not only
    while it is unset), and is not one of the ``startup-functions``."""
    startup = options.get("startup-functions", ())
    return any(
        not (name.startswith("__") and name.endswith("__")) and any(not _startup(where, startup) for where in places)
        for name, places in summary(source).rebound.items()
    )


def _startup(function: str | None, patterns: Iterable[str]) -> bool:
    """Whether ``function`` is named like one of the ``startup-functions`` (None: not known, so no)."""
    return function is not None and any(fnmatch.fnmatchcase(function, pattern) for pattern in patterns)


def mutated_import(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL103's per-file side: a function writes through a name imported from outside the stdlib."""
    project = {
        local
        for local, targets in source.imports.items()
        if any(target.startswith(".") or target.split(".")[0] not in _EXTERNAL for target in targets)
    }
    return bool(project) and not project.isdisjoint(summary(source).heads)  # no project import: no walk


def clock_state(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL403: a function that stores a clock reading beyond the call, in a file that compares."""
    if not local_names(source, _knowledge()[3]) & source.index.called:
        return False  # no call of a clock at all: no need to follow what functions store
    state = summary(source)
    return state.compares and any(f.clock_write for f in state.functions)


def containers(source: Source, extra: Iterable[str] = ()) -> dict[str, str]:
    """Module-level names bound to a container (not dunders), with its kind (``dict``, ``defaultdict`` ...).

    Mirrors :meth:`statelint.rules._state.ModuleState.container`: literals and
    comprehensions, and calls of the catalog's container classes (or ``extra``)
    under any name the module imports or assigns them to.
    """
    key = "containers:" + ",".join(sorted(extra))
    found: dict[str, str] = source.memo(key, lambda s: _containers(s, set(extra)))
    return found


# -- building the summary ---------------------------------------------------------------------
def _knowledge() -> tuple[set[str], set[str], dict[str, int], set[str]]:
    catalog = load_catalog()
    sl1 = catalog.families["SL1"].knowledge
    sl4 = catalog.families["SL4"].knowledge if "SL4" in catalog.families else {}
    functions = {e["call"]: int(e["argument"]) for e in sl1.get("mutating_functions", ())}
    return set(sl1.get("container_calls", ())), set(sl1.get("mutating_methods", ())), functions, set(sl4.get("clocks", ()))


def _containers(source: Source, extra: set[str]) -> dict[str, str]:
    container_calls = _knowledge()[0] | extra
    statements = list(_scope_statements(source.tree.body))
    callables = _callable_names(source.imports, container_calls, statements)
    found: dict[str, str] = {}
    for statement in statements:
        for name, value in _bindings(statement):
            kind = _kind(value, callables)
            if kind is not None and not (name.startswith("__") and name.endswith("__")):
                found.setdefault(name, kind)
    return found


def _summarise(source: Source) -> Summary:
    _, methods, mutating, clocks = _knowledge()
    index = source.index
    state = Summary()
    mutating_names = local_names(source, mutating)
    clock_names = local_names(source, clocks)
    variables = _module_variables(source.tree)
    state.owners = variables | _first_parameters(index.functions)
    state.outer = variables | source.imports.keys()
    for nodes in source.outermost:
        state.functions.append(_function(nodes, state, methods, mutating_names, clock_names))
    return state


def _module_variables(tree: ast.Module) -> set[str]:
    """Names the module binds to values of its own (not imports, defs or classes), unpacking included."""
    names: set[str] = set()
    for statement in _scope_statements(tree.body):
        if type(statement) is ast.ExceptHandler and statement.name:  # type: ignore[attr-defined]
            names.add(statement.name)  # type: ignore[attr-defined]
        for target in _assigned(statement):
            names.update(node.id for node in walk(target) if isinstance(node, ast.Name))
    return names


def _assigned(statement: ast.AST) -> list[ast.expr]:
    """The targets a statement of a scope assigns: of ``=``, ``+=`` and annotations, ``for`` and ``with ... as``."""
    kind = type(statement)
    if kind is ast.Assign:
        return statement.targets  # type: ignore[attr-defined, no-any-return]
    if kind is ast.AugAssign or kind is ast.AnnAssign or kind is ast.For or kind is ast.AsyncFor:
        return [statement.target]  # type: ignore[attr-defined]
    if kind is ast.With or kind is ast.AsyncWith:
        return [item.optional_vars for item in statement.items if item.optional_vars is not None]  # type: ignore[attr-defined]
    return []


def _first_parameters(functions: list[ast.AST]) -> set[str]:
    found: set[str] = set()
    for function in functions:
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            positional = [*function.args.posonlyargs, *function.args.args]
            if positional:
                found.add(positional[0].arg)
    return found


def _scope_statements(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """The statements that run in the scope ``body`` opens (the module's or a def's), in source
    order and at any depth of if/for/while/with/try/match, with the ``except`` clauses and
    ``match`` cases that hold some of them. Defs and classes are yielded, their bodies not entered."""
    pending: list[ast.AST] = list(reversed(body))
    while pending:
        node = pending.pop()
        yield node
        kind = type(node)
        if kind is not ast.FunctionDef and kind is not ast.AsyncFunctionDef and kind is not ast.ClassDef:
            for field in reversed(statement_fields(kind)):
                pending.extend(reversed(getattr(node, field)))


def _bindings(statement: ast.AST) -> Iterator[tuple[str, ast.expr]]:
    """(name, value) for each plain name the statement binds to a value."""
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            if isinstance(target, ast.Name):
                yield target.id, statement.value
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None and isinstance(statement.target, ast.Name):
        yield statement.target.id, statement.value
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        for item in statement.items:
            if isinstance(item.optional_vars, ast.Name):
                yield item.optional_vars.id, item.context_expr


def _callable_names(imports: Mapping[str, set[str]], qualnames: set[str], statements: list[ast.AST]) -> dict[str, str]:
    """Local names that may call one of ``qualnames`` (tails, import aliases, module-level
    aliases), each with the tail of the name it stands for."""
    names = {q.rsplit(".", 1)[-1]: q.rsplit(".", 1)[-1] for q in qualnames}
    for local, targets in imports.items():
        for target in targets:
            if target.rsplit(".", 1)[-1] in names:
                names.setdefault(local, target.rsplit(".", 1)[-1])
    for _ in range(2):  # `dd = collections.defaultdict`, then `cache = dd`
        for statement in statements:
            for name, value in _bindings(statement):
                tail = terminal(value) if isinstance(value, (ast.Name, ast.Attribute)) else None
                if tail in names:
                    names.setdefault(name, names[tail])  # type: ignore[index]
    return names


def _kind(value: ast.expr, callables: Mapping[str, str]) -> str | None:
    literal = _LITERALS.get(type(value))
    if literal is not None:
        return literal
    if isinstance(value, ast.Call):
        return callables.get(terminal(value.func) or "")
    return None


def _function(
    nodes: list[ast.AST], state: Summary, methods: set[str], mutating: frozenset[str], clocks: frozenset[str]
) -> FunctionFacts:
    """Record what one outermost function (its nodes, nested functions included) writes.

    A write through a name the function binds itself (``opcodes = []; opcodes.append(op)``)
    cannot reach the module's object of that name, unless some function in it declares
    the name ``global`` or ``nonlocal``, or copies a value into it (``table = TABLE``).
    """
    declared: set[str] = set()
    shared: set[str] = set()  # names some function here takes from an outer scope
    for node in nodes:
        if isinstance(node, ast.Global):
            declared.update(node.names)
            shared.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            shared.update(node.names)
    written = _Written()
    owners, lazy = _global_sites(nodes) if declared else ({}, {})
    stored: list[ast.expr] = []  # values written where they outlive the call
    assigned: list[tuple[str, ast.expr]] = []  # local names and their values, for the clock taint
    clock = False
    for node in nodes:
        kind = type(node)
        if kind is ast.Assign or kind is ast.AugAssign or kind is ast.AnnAssign or kind is ast.NamedExpr:
            value = node.value  # type: ignore[attr-defined]
            if value is None:
                continue
            targets = node.targets if kind is ast.Assign else [node.target]  # type: ignore[attr-defined]
            written.statement = node
            for target in targets:
                if _target(target, declared, kind is ast.AugAssign, state, written, value):
                    stored.append(value)
                if isinstance(target, ast.Name):
                    assigned.append((target.id, value))
                    if isinstance(value, ast.Name) and kind is not ast.AugAssign:
                        state.aliases.setdefault(value.id, set()).add(target.id)  # `table = TABLE`
                        shared.add(target.id)
        elif kind is ast.withitem:
            if isinstance(node.context_expr, ast.Name) and isinstance(node.optional_vars, ast.Name):  # type: ignore[attr-defined]
                state.aliases.setdefault(node.context_expr.id, set()).add(node.optional_vars.id)  # type: ignore[attr-defined]
                shared.add(node.optional_vars.id)  # type: ignore[attr-defined]
        elif kind is ast.Delete:
            written.statement = node
            for target in node.targets:  # type: ignore[attr-defined]
                _target(target, declared, False, state, written)
        elif kind is ast.Call:
            tail = terminal(node.func)  # type: ignore[attr-defined]
            clock = clock or tail in clocks
            arguments = [*node.args, *(k.value for k in node.keywords)]  # type: ignore[attr-defined]
            if isinstance(node.func, ast.Attribute) and tail in methods:  # type: ignore[attr-defined]
                if _root(node.func.value, state, written):  # type: ignore[attr-defined]
                    stored.extend(arguments)
            elif tail in mutating:
                if any([_root(argument, state, written) for argument in node.args]):  # type: ignore[attr-defined]  # every one
                    stored.extend(arguments)
        elif kind is ast.Compare:
            state.compares = True
    reaching = (written.roots | written.heads) & state.outer  # only these can be shadowed by a local
    local = _own_names(nodes[0]) - shared if reaching else set()
    state.roots.update(written.roots - local)
    state.heads.update(written.heads - local)
    for name, statement in written.rebound:
        if name not in lazy.get(id(statement), ()):
            state.rebound.setdefault(name, set()).add(owners.get(id(statement)))
    return FunctionFacts(clock_write=clock and _stores_clock(stored, assigned, clocks))


class _Written:
    """What one outermost function writes, before its own locals and lazy initialisations are taken out."""

    __slots__ = ("roots", "heads", "rebound", "statement")

    def __init__(self) -> None:
        self.roots: set[str] = set()
        self.heads: set[str] = set()
        self.rebound: list[tuple[str, ast.AST]] = []  # (global name, the statement setting it)
        self.statement: ast.AST | None = None  # the one being read


def _global_sites(nodes: list[ast.AST]) -> tuple[dict[int, str], dict[int, frozenset[str]]]:
    """For the statements of each def among ``nodes`` (not those of nested defs or classes): the
    name of their def, and the names declared ``global`` there that they set only while unset
    (the statements :func:`statelint.rules._state_code.guarded` finds)."""
    owners: dict[int, str] = {}
    lazy: dict[int, frozenset[str]] = {}
    for function in nodes:
        if not isinstance(function, DEFS):
            continue
        declared: set[str] = set()
        for node in _scope_statements(function.body):
            owners[id(node)] = function.name
            if isinstance(node, ast.Global):
                declared.update(node.names)
        for name in declared:
            for statement in _guarded(function.body, name, False):
                lazy[statement] = lazy.get(statement, frozenset()) | {name}
    return owners, lazy


def _guarded(statements: list[ast.stmt], name: str, inside: bool) -> Iterator[int]:
    """Ids of the statements that run only while ``name`` is unset: ``if name is None: ...``, or
    after ``if name is not None: return name``. Mirrors the rule's ``guarded`` on libcst's tree."""
    for statement in statements:
        if inside:
            yield id(statement)
        if isinstance(statement, ast.If):
            check = _none_check(statement.test, name)
            yield from _guarded(statement.body, name, inside or check is True)
            yield from _guarded(statement.orelse, name, inside or check is False)
            if check is False and not statement.orelse and _ends_flow(statement.body):
                inside = True
        elif isinstance(statement, (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)):
            yield from _guarded(statement.body, name, inside)
        elif isinstance(statement, ast.Try):
            yield from _guarded(statement.body, name, inside)
            for handler in statement.handlers:
                yield from _guarded(handler.body, name, inside)
            yield from _guarded(statement.orelse, name, inside)
            yield from _guarded(statement.finalbody, name, inside)


def _none_check(test: ast.expr, name: str) -> bool | None:
    """True for a test that holds while ``name`` is unset, False for one that holds once set, else None."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _none_check(test.operand, name)
        return None if inner is None else not inner
    if isinstance(test, ast.Name) and test.id == name:
        return False
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right, op = test.left, test.comparators[0], test.ops[0]
        if isinstance(left, ast.Name) and left.id == name and isinstance(right, ast.Constant) and right.value is None:
            if isinstance(op, (ast.Is, ast.Eq)):
                return True
            if isinstance(op, (ast.IsNot, ast.NotEq)):
                return False
    return None  # `if _x is None or stale(_x):` is a cache, as the rule judges it


def _ends_flow(statements: list[ast.stmt]) -> bool:
    return bool(statements) and isinstance(statements[-1], (ast.Return, ast.Raise))


def _own_names(function: ast.AST) -> set[str]:
    """Names ``function`` binds in its own scope: its parameters, and what its statements bind
    outside nested defs and classes (their names included, their bodies not).

    The same bindings as the rules' resolver (:class:`statelint.engine.names.Scope`) finds,
    less some, which only makes triage keep more: imports (an imported module is the same
    object inside the function as outside, which SL103 follows), comprehension variables
    (their own scope), ``:=`` targets and ``match`` captures. ``del name`` binds nothing
    for the resolver, so nothing here either.
    """
    if not isinstance(function, SCOPES):
        return set()
    arguments = function.args
    names = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    names.update(a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None)
    if isinstance(function, ast.Lambda):
        return names
    for node in _scope_statements(function.body):
        kind = type(node)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef or kind is ast.ClassDef:
            names.add(node.name)  # type: ignore[attr-defined]
        elif kind is ast.ExceptHandler and node.name:  # type: ignore[attr-defined]
            names.add(node.name)  # type: ignore[attr-defined]
        for target in _assigned(node):
            names.update(bound_names(target))
    return names


def _stores_clock(stored: list[ast.expr], assigned: list[tuple[str, ast.expr]], clocks: frozenset[str]) -> bool:
    """Whether a stored value holds a clock reading: a clock call, or a local computed from one."""
    taint: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, value in assigned:
            if name not in taint and _reads_clock(value, taint, clocks):
                taint.add(name)
                changed = True
    return any(_reads_clock(value, taint, clocks) for value in stored)


def _reads_clock(expr: ast.expr, taint: set[str], clocks: frozenset[str]) -> bool:
    for node in walk(expr):
        if isinstance(node, ast.Call) and terminal(node.func) in clocks:
            return True
        if isinstance(node, ast.Name) and node.id in taint:
            return True
    return False


def _target(
    target: ast.expr, declared: set[str], augmented: bool, state: Summary, written: _Written, value: ast.expr | None = None
) -> bool:
    """Record a write of ``value`` (None for ``del``) to ``target``; True when what it stores may
    outlive the call (a global, or through a module variable or a first parameter)."""
    if isinstance(target, ast.Name):
        if target.id in declared:
            state.rebinds.add((target.id, augmented))
            if not (isinstance(value, ast.Constant) and value.value is None):  # a reset to None is not state
                written.rebound.append((target.id, written.statement or target))
            return True
        return False
    if isinstance(target, ast.Subscript):
        return _root(target.value, state, written)
    if isinstance(target, ast.Attribute):
        head = _head(target)
        if head is not None:
            written.heads.add(head)
        return head in state.owners
    if isinstance(target, (ast.Tuple, ast.List)):
        recorded = [_target(element, declared, augmented, state, written, value) for element in target.elts]  # every one
        return any(recorded)
    if isinstance(target, ast.Starred):
        return _target(target.value, declared, augmented, state, written, value)
    return False


def _root(expr: ast.expr, state: Summary, written: _Written) -> bool:
    """Record what ``expr[...]`` or ``expr.method()`` writes through; True when it may outlive the call."""
    while isinstance(expr, ast.Subscript):
        expr = expr.value
    if isinstance(expr, ast.Name):
        written.roots.add(expr.id)
    head = _head(expr)
    if head is not None:
        written.heads.add(head)
    return head in state.owners


def _head(expr: ast.expr) -> str | None:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None
