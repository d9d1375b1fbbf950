"""What code means for module-state analysis: syntax helpers shared by the SL1 rules and SL403.

Small, stateless functions over libcst nodes: the root a subscript chain writes
through, the calls that read changing data, whether a function is a decorator,
where module-level functions are referenced, which statements only run while a
name is still unset (lazy singletons).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import libcst as cst

from statelint.engine.names import Scope, dotted_name
from statelint.engine.walker import children

_NESTED = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_NESTED_TYPES = frozenset(_NESTED)  # concrete classes: a set lookup, not isinstance on ABCs
_NOT_REFERENCES = frozenset({cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal})


def root_of(node: cst.BaseExpression) -> cst.Name | cst.Attribute | None:
    """``X`` for ``X[a][b]``: the name or attribute a subscript chain starts from."""
    while isinstance(node, cst.Subscript):
        node = node.value
    return node if isinstance(node, (cst.Name, cst.Attribute)) else None


def terminal(node: cst.BaseExpression) -> str | None:
    """The last name of ``a.b.c`` (``c``), or of the called function."""
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    return None


class DataSources:
    """Calls that read data that changes: files, networks, databases, the clock (``knowledge.data_sources``)."""

    def __init__(self, spec: Mapping[str, Any], extra: Iterable[str] = ()) -> None:
        self.functions = (*spec.get("functions", ()), *extra)
        self.clients = tuple(spec.get("clients", ()))
        self.factories = set(spec.get("factory_methods", ()))
        self.methods = set(spec.get("methods", ()))
        self.attributes = set(spec.get("attributes", ()))
        self.builders = tuple(spec.get("statement_builders", ()))
        self.receiver_methods = {e["method"]: frozenset(e.get("receivers", ())) for e in spec.get("receiver_methods", ())}
        self.file_functions = set(spec.get("file_functions", ()))
        self.file_methods = set(spec.get("file_methods", ()))

    def read_by(self, call: cst.Call, ctx: Any, scope: Scope) -> str | None:
        """How ``call`` reads changing data (``requests.get``), or None."""
        names = list(ctx.qualnames(call.func, scope))  # the file's own names first (QualifiedNames)
        if self._reads_shipped_file(call, names, ctx, scope):
            return None  # data that ships with the code: the same in every process, for its whole life
        for name in names:
            if any(_prefixed(name, p) for p in self.functions):
                return name.replace("()", "(...)").removeprefix("builtins.")
            if any(_prefixed(name, p) for p in self.builders):
                continue  # `select(User).where(...)` builds a statement: nothing is read yet
            for prefix in self.clients:
                if name.startswith(prefix) and "()." in name and name.rsplit(".", 1)[-1] not in self.factories:
                    return name.replace("()", "(...)")
        if isinstance(call.func, cst.Attribute):
            shown = dotted_name(call.func) or call.func.attr.value
            # `charmap.query()` on an imported module is a function of that module, not a database query.
            module_function = bool(names) and all("()" not in name for name in names)
            if call.func.attr.value in self.methods and not module_function:
                return shown
            if terminal(call.func.value) in self.receiver_methods.get(call.func.attr.value, ()) and not module_function:
                return shown  # `self.bot.pool.fetch(query)`
            chain = (dotted_name(call.func) or "").split(".")[1:-1]
            if any(part in self.attributes for part in chain):
                return shown
        return None

    def _reads_shipped_file(self, call: cst.Call, names: list[str], ctx: Any, scope: Scope) -> bool:
        """A file-system read whose path is built from the module's own ``__file__``: ``open(path)``,
        a method of the file it opened (``f.read()`` after ``with open(path) as f``), or a method
        of a path (``(Path(__file__).parent / "x").read_text()``)."""
        if any(name in self.file_functions for name in names):
            path = call.args[0].value if call.args else None
            return path is not None and _from_module_file(path, ctx, scope, 0)
        if not isinstance(call.func, cst.Attribute):
            return False
        receiver = call.func.value
        if any(name.split("()", 1)[0] in self.file_functions for name in names if "()." in name):
            opened = _assigned_call(receiver, ctx, scope)  # the open(...) the file object came from
            if opened is None:
                return False
            call, scope = opened
            return self._reads_shipped_file(call, list(ctx.qualnames(call.func, scope)), ctx, scope)
        if call.func.attr.value in self.file_methods:
            return _from_module_file(receiver, ctx, scope, 0)
        return False


def _assigned_call(expr: cst.BaseExpression, ctx: Any, scope: Scope) -> tuple[cst.Call, Scope] | None:
    """The call a name was bound to (``f`` in ``with open(p) as f`` or ``f = open(p)``), if only one."""
    if isinstance(expr, cst.Call):
        return expr, scope
    if not isinstance(expr, cst.Name):
        return None
    bindings = ctx.resolver.lookup(expr.value, scope)
    if len(bindings) == 1 and isinstance(bindings[0].value, cst.Call):
        return bindings[0].value, bindings[0].scope
    return None


def _from_module_file(expr: cst.CSTNode, ctx: Any, scope: Scope, depth: int) -> bool:
    """Whether ``expr`` is built from ``__file__`` or a module's ``__file__`` (directly, or through names
    assigned from them)."""
    if depth > 4:
        return False
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            if node.value == "__file__":
                return True
            for binding in ctx.resolver.lookup(node.value, scope):
                if binding.kind == "assign" and binding.value is not None:
                    if _from_module_file(binding.value, ctx, binding.scope, depth + 1):
                        return True
                elif isinstance(binding.node, cst.For) and _from_module_file(binding.node.iter, ctx, binding.scope, depth + 1):
                    return True  # `for d in dirs:` over paths under the package
            continue
        if isinstance(node, cst.Attribute):
            if node.attr.value == "__file__":
                return True  # `package.__file__`: the file of a loaded module, installed with the code
            stack.append(node.value)  # `os.path.dirname`: `path` and `dirname` are no variables
            continue
        if isinstance(node, (cst.Lambda, cst.FunctionDef)):
            continue
        stack.extend(children(node))
    return False


def _prefixed(name: str, prefix: str) -> bool:
    if prefix.endswith("."):
        return name.startswith(prefix)
    return name == prefix or name.startswith((f"{prefix}.", f"{prefix}("))


def local_aliases(ctx: Any, qualnames: Iterable[str]) -> set[str]:
    """Module-level names bound by imports to ``qualnames`` (``from x import Y as Z`` gives Z)."""
    wanted = set(qualnames)
    out: set[str] = set()
    for name, bindings in ctx.resolver.module_scope.names.items():
        if any(b.kind == "import" and b.target in wanted for b in bindings):
            out.add(name)
    return out


def body_nodes(func: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node of a function's body, not descending into nested functions or classes."""
    body = func.body if isinstance(func, (cst.FunctionDef, cst.Lambda)) else func
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        yield node
        kids = [kid for kid in children(node) if type(kid) not in _NESTED_TYPES]
        kids.reverse()  # source order
        stack.extend(kids)


def load_names(expr: cst.CSTNode) -> Iterator[cst.Name]:
    """Names read in an expression (not attribute names, keywords or lambda parameters)."""
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            yield node
        elif isinstance(node, (cst.Attribute, cst.Arg)):
            stack.append(node.value)
        elif isinstance(node, cst.Lambda):
            stack.append(node.body)
        else:
            stack.extend(children(node))


def calls_in(expr: cst.CSTNode) -> Iterator[cst.Call]:
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            yield node
        stack.extend(children(node))


def params_of(func: cst.FunctionDef | cst.Lambda) -> list[str]:
    params = func.params
    return [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]


def is_decorator(func: cst.FunctionDef) -> bool:
    """A function that returns what it receives, or an inner function: a decorator (or its factory)."""
    params = set(params_of(func))
    if not params:
        return False
    inner = {n.name.value for n in body_nodes(func) if isinstance(n, cst.FunctionDef)}
    inner |= {s.name.value for s in _direct_defs(func)}
    for node in body_nodes(func):
        if isinstance(node, cst.Return) and isinstance(node.value, cst.Name) and node.value.value in params | inner:
            return True
    return False


def _direct_defs(func: cst.FunctionDef) -> Iterator[cst.FunctionDef]:
    body = func.body
    if isinstance(body, cst.IndentedBlock):
        for statement in body.body:
            if isinstance(statement, cst.FunctionDef):
                yield statement


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def globals_of(scope: Scope) -> set[str]:
    scope.names  # noqa: B018 - collecting the scope's bindings fills global_names
    return scope.global_names


def bound_name(node: cst.CSTNode | None, name: str) -> cst.Name | None:
    if isinstance(node, cst.Assign):
        for target in node.targets:
            if isinstance(target.target, cst.Name) and target.target.value == name:
                return target.target
    if isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name) and node.target.value == name:
        return node.target
    return None


def context_done(where: cst.CSTNode | None, done: set[str], functions: Mapping[str, cst.CSTNode]) -> bool:
    if where is None:
        return True
    return isinstance(where, cst.FunctionDef) and functions.get(where.name.value) is where and where.name.value in done


def references(module: cst.Module, names: set[str]) -> dict[str, list[tuple[cst.CSTNode | None, str]]]:
    """Where each module-level function is used: (enclosing function or None, call|decorator|value)."""
    out: dict[str, list[tuple[cst.CSTNode | None, str]]] = {}
    if not names:
        return out
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None]] = [(module, None)]
    push = stack.append
    while stack:
        node, where = stack.pop()
        kind = type(node)  # concrete node classes: `is` is far cheaper than isinstance on libcst's ABCs
        if kind in _NOT_REFERENCES:
            continue
        if kind is cst.Name:
            if node.value in names:  # type: ignore[attr-defined]
                out.setdefault(node.value, []).append((where, "value"))  # type: ignore[attr-defined]
        elif kind is cst.Attribute or kind is cst.Arg:
            push((node.value, where))  # type: ignore[attr-defined]
        elif kind is cst.Call or kind is cst.Decorator:
            _reference_call(node, where, names, out, stack)  # type: ignore[arg-type]
        elif kind is cst.FunctionDef:
            stack.extend((d, where) for d in node.decorators)  # type: ignore[attr-defined]
            push((node.params, where))  # type: ignore[attr-defined]
            push((node.body, node))  # type: ignore[attr-defined]
        elif kind is cst.Lambda:
            push((node.params, where))  # type: ignore[attr-defined]
            push((node.body, node))  # type: ignore[attr-defined]
        elif kind is cst.ClassDef:
            stack.extend((x, where) for x in (*node.bases, *node.keywords, *node.decorators, node.body))  # type: ignore[attr-defined]
        elif kind is cst.Param:
            stack.extend((x, where) for x in (node.annotation, node.default) if x is not None)  # type: ignore[attr-defined]
        elif kind is cst.AssignTarget and type(node.target) is cst.Name:  # type: ignore[attr-defined]
            continue
        else:
            for kid in children(node):
                push((kid, where))
    return out


def _reference_call(
    node: cst.Decorator | cst.Call,
    where: cst.CSTNode | None,
    names: set[str],
    out: dict[str, list[tuple[cst.CSTNode | None, str]]],
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None]],
) -> None:
    expr = node.decorator if isinstance(node, cst.Decorator) else node
    head = expr.func if isinstance(expr, cst.Call) else expr
    if isinstance(head, cst.Name) and head.value in names:
        kind = "decorator" if isinstance(node, cst.Decorator) else "call"
        out.setdefault(head.value, []).append((where, kind))
        if isinstance(expr, cst.Call):
            stack.extend((arg, where) for arg in expr.args)
        return
    stack.extend((kid, where) for kid in children(node))


def _none_check(test: cst.BaseExpression, name: str, refresh: bool = False) -> bool | None:
    """True for a test that holds while ``name`` is unset, False for one that holds once set, else None.
    With ``refresh``, ``_x is None or stale(_x)`` (unset, or to be made again) counts as unset too."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _none_check(test.expression, name)
        return None if inner is None else not inner
    if isinstance(test, cst.Name) and test.value == name:
        return False
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        left, target = test.left, test.comparisons[0]
        named = isinstance(left, cst.Name) and left.value == name
        if named and isinstance(target.comparator, cst.Name) and target.comparator.value == "None":
            if isinstance(target.operator, (cst.Is, cst.Equal)):
                return True
            if isinstance(target.operator, (cst.IsNot, cst.NotEqual)):
                return False
    if refresh and isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return True if _none_check(test.left, name) else None
    return None


def log_once(body: cst.BaseSuite, name: str, log_calls: frozenset[str]) -> set[int]:
    """Ids of the statements setting ``name = True`` in an ``if not name:`` (``is False``, ``is None``)
    block that otherwise only logs: a flag that keeps a message from repeating, right per process."""
    out: set[int] = set()
    for statement in _ifs(body):
        if _unset_flag(statement.test, name):
            out |= _log_once_block(_statements(statement.body), name, log_calls)
    return out


def _ifs(body: cst.BaseSuite) -> Iterator[cst.If]:
    """Every ``if`` (and ``elif``) statement in ``body``, at any depth of blocks (not in nested functions)."""
    pending = _statements(body)
    while pending:
        statement = pending.pop()
        if isinstance(statement, cst.If):
            yield statement
            pending.extend(_statements(statement.body))
            other = statement.orelse
            if other is not None:
                pending.extend([other] if isinstance(other, cst.If) else _statements(other.body))
        elif isinstance(statement, (cst.With, cst.For, cst.While, cst.Try)):
            pending.extend(_statements(statement.body))
            for handler in getattr(statement, "handlers", ()):
                pending.extend(_statements(handler.body))


def _unset_flag(test: cst.BaseExpression, name: str) -> bool:
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return isinstance(test.expression, cst.Name) and test.expression.value == name
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        return (
            isinstance(test.left, cst.Name)
            and test.left.value == name
            and isinstance(target.operator, (cst.Is, cst.Equal))
            and isinstance(target.comparator, cst.Name)
            and target.comparator.value in ("False", "None")
        )
    return False


def _log_once_block(statements: list[Any], name: str, log_calls: frozenset[str]) -> set[int]:
    def sets_flag(small: cst.BaseSmallStatement) -> set[int] | None:
        if (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)
            and small.targets[0].target.value == name
            and isinstance(small.value, cst.Name)
            and small.value.value == "True"
        ):
            return {id(small)}
        return None

    return _only_logs_and(statements, log_calls, sets_flag)


def _only_logs_and(
    statements: list[Any], log_calls: frozenset[str], marks: Callable[[cst.BaseSmallStatement], set[int] | None]
) -> set[int]:
    """The ids ``marks`` gives (with their statements') in a block made only of log calls and of
    statements ``marks`` accepts (a flag set, a key recorded), when the block logs; else none."""
    marked: set[int] = set()
    logs = False
    for statement in statements:
        if not isinstance(statement, cst.SimpleStatementLine):
            return set()
        for small in statement.body:
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and terminal(small.value) in log_calls:
                logs = True
                continue
            ids = marks(small)
            if ids is None:
                return set()
            marked |= {id(statement), *ids}
    return marked if logs else set()


def guarded(body: cst.BaseSuite, name: str, refresh: bool = False) -> set[int]:
    """Ids of the statements that only run while ``name`` is unset (with ``refresh``: or is to be
    made again, ``if _x is None or not _x.is_alive():``)."""
    out: set[int] = set()
    _guard_block(_statements(body), name, False, out, refresh)
    return out


def initialised_with(body: cst.BaseSuite, name: str) -> set[int]:
    """Ids of the statements in a block that only runs while ``name`` is unset (``if _app is None:``,
    ``if not _app:``, the ``else:`` of ``if _app is not None:``) and that itself sets ``name`` to
    something other than None, not under a further condition: once the block ran, ``name`` is set
    and the block never runs again, so what else it assigns is set once per process with it."""
    out: set[int] = set()
    for statement in _ifs(body):
        check = _none_check(statement.test, name)
        if check is True:
            block = _statements(statement.body)
        elif check is False and isinstance(statement.orelse, cst.Else):
            block = _statements(statement.orelse.body)
        else:
            continue
        if _sets_unconditionally(block, name):
            _guard_block(block, name, True, out)
    return out


def _sets_unconditionally(statements: list[Any], name: str) -> bool:
    """Whether ``name = <not None>`` runs whenever ``statements`` run to their end (directly, or in
    the body of a ``with`` or ``try``)."""
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                    named = any(isinstance(t, cst.Name) and t.value == name for t in targets)
                    if named and not (isinstance(small.value, cst.Name) and small.value.value == "None"):
                        return True
        elif isinstance(statement, (cst.With, cst.Try)) and _sets_unconditionally(_statements(statement.body), name):
            return True
    return False


def _statements(suite: cst.BaseSuite | None) -> list[cst.BaseStatement | cst.BaseSmallStatement]:
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    if isinstance(suite, cst.SimpleStatementSuite):
        return list(suite.body)
    return []


def _guard_block(statements: list[Any], name: str, inside: bool, out: set[int], refresh: bool = False) -> None:
    for statement in statements:
        if inside:
            out.add(id(statement))
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if inside:
                    out.add(id(small))
        elif isinstance(statement, cst.If):
            check = _none_check(statement.test, name, refresh)
            _guard_block(_statements(statement.body), name, inside or check is True, out, refresh)
            if statement.orelse is not None:
                other = statement.orelse
                inner = [other] if isinstance(other, cst.If) else _statements(other.body)
                _guard_block(inner, name, inside or check is False, out, refresh)
            if check is False and statement.orelse is None and _ends_flow(statement.body):
                inside = True  # `if _x is not None: return _x` guards the rest of the block
        elif isinstance(statement, (cst.With, cst.For, cst.While)):
            _guard_block(_statements(statement.body), name, inside, out, refresh)
        elif isinstance(statement, cst.Try):
            _guard_block(_statements(statement.body), name, inside, out, refresh)
            for handler in statement.handlers:
                _guard_block(_statements(handler.body), name, inside, out, refresh)
            for clause in (statement.orelse, statement.finalbody):  # `else:` and `finally:` run in it too
                if clause is not None:
                    _guard_block(_statements(clause.body), name, inside, out, refresh)


def _ends_flow(suite: cst.BaseSuite) -> bool:
    statements = _statements(suite)
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return any(isinstance(s, (cst.Return, cst.Raise)) for s in last.body)
    return isinstance(last, (cst.Return, cst.Raise))
