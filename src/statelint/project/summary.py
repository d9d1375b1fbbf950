"""One file's summary: what other modules need to know about it, from CPython's tree in one walk.

The summary is plain data (it is cached as JSON by content hash) and names everything by
*qualified name*, spelled as :mod:`statelint.engine.names` spells them, so the project
model can join summaries and the libcst rules can ask about what they resolve:

* ``pkg.web.make_app`` a function or class of module ``pkg.web``, ``pkg.web.App.run`` a
  method, ``pkg.web.make_app.<locals>.deco`` a function defined inside another;
* a call appends ``()``: ``flask.Flask()`` is an instance, ``pkg.web.make_app()`` what
  ``make_app`` returns;
* ``self`` and ``cls`` in a method stand for the class (``pkg.web.App()`` / ``pkg.web.App``).

Resolution here stays inside the file (imports give the names of other modules); the
model follows those names into the other files' summaries.
"""

from __future__ import annotations

import ast
import builtins
from typing import Any

from statelint.project.guards import declared_globals, lazily_set, run_once
from statelint.project.syntax import bound_names, walk
from statelint.project.vendored import header_library

MODULE = "<module>"  #: the caller of code that runs while the module is imported
MAIN = "<main>"  #: the caller of code under ``if __name__ == "__main__":``
#: appended to a function's name, the caller of the calls in its one-time initialisation (``if _app is
#: None: _app = make(); setup_plugins()``): they run once per process, whenever the function runs
ONCE = ".<once>"

_BUILTINS = frozenset(dir(builtins))
_REFERENCES = (ast.Name, ast.Attribute)  # arguments that may name a function passed as a callback
_CONTAINER_DISPLAYS = {
    ast.Dict: "dict", ast.DictComp: "dict", ast.List: "list", ast.ListComp: "list", ast.Set: "set", ast.SetComp: "set",
}
_MAX_DEPTH = 10  # assignment chains (a = b; b = a) end here
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


class Summary:
    """What one module defines, calls and registers, by qualified name.

    A plain class, not a dataclass: every run loads summaries, and a pre-commit run
    should not pay for importing :mod:`dataclasses` (see ``tests/test_startup.py``).
    """

    FIELDS = (
        "module", "is_package", "kinds", "values", "literals", "calls", "callbacks", "decorators", "methods",
        "dynamic", "loops", "containers", "imports", "writes", "parameters", "dynamic_decorators", "vendored",
    )
    #: Fields only the rules' declarations read (:mod:`statelint.engine.requirements`): the project
    #: model is built from the others, and an edit that changes only these leaves it as it was.
    DECLARED = ("writes", "parameters", "dynamic_decorators")
    __slots__ = FIELDS

    def __init__(
        self,
        module: str,
        is_package: bool = False,
        kinds: dict[str, str] | None = None,
        values: dict[str, list[str]] | None = None,
        literals: dict[str, Any] | None = None,
        calls: dict[str, list[str]] | None = None,
        callbacks: dict[str, list[list[Any]]] | None = None,
        decorators: dict[str, list[list[Any]]] | None = None,
        methods: dict[str, list[str]] | None = None,
        dynamic: dict[str, list[str]] | None = None,
        loops: list[str] | None = None,
        containers: dict[str, str] | None = None,
        imports: list[str] | None = None,
        writes: dict[str, list[list[Any]]] | None = None,
        parameters: dict[str, list[str]] | None = None,
        dynamic_decorators: dict[str, list[str]] | None = None,
        vendored: str = "",
    ) -> None:
        self.module = module
        self.is_package = is_package
        #: qualified name -> "function" | "class" | "value" (module-level and class-level names)
        self.kinds = kinds if kinds is not None else {}
        #: qualified name -> what it stands for: a function's returned values, a class's bases,
        #: a name's assigned values or import target
        self.values = values if values is not None else {}
        #: qualified name -> a literal value (str, int, float, bool or None) it is assigned
        self.literals = literals if literals is not None else {}
        #: caller (a function, MODULE or MAIN) -> the qualified names it calls (a ``with`` block calls
        #: its object's ``__exit__``, an ``async with`` its ``__aexit__``)
        self.calls = calls if calls is not None else {}
        #: caller -> [api, callback, first literal argument or None]: a function passed to a call
        self.callbacks = callbacks if callbacks is not None else {}
        #: function or class -> [decorator, first literal argument or None] for each decorator applied
        self.decorators = decorators if decorators is not None else {}
        #: class -> its methods (names defined in the class body by ``def``)
        self.methods = methods if methods is not None else {}
        #: caller -> attribute names it calls on a receiver nothing resolves (``engine.setup()`` on a
        #: module object handed over by a plugin loader): the only calls a project function with no
        #: other caller may be reached by
        self.dynamic = dynamic if dynamic is not None else {}
        #: functions whose own body holds a ``while`` loop (a thread running one lives on). No line
        #: numbers anywhere: an edit that only moves code leaves the summary, and the model, as they were.
        self.loops = loops if loops is not None else []
        #: module-level names bound to a container display or comprehension -> ``dict``, ``list`` or
        #: ``set`` (a container made by a call shows in ``values``: ``collections.defaultdict()``)
        self.containers = containers if containers is not None else {}
        #: every name an import statement binds, at any depth (what the file may refer to elsewhere)
        self.imports = imports if imports is not None else []
        #: caller -> ``[how, target, stored]`` for each write that may outlive the call: ``target`` is
        #: the variable written (``pkg.state.CACHE``: a module variable, or an imported name, a local
        #: alias followed) or, through ``self`` and for attribute assignments, what is written
        #: (``pkg.Limiter().hits``, ``hypercorn.config.Config().bind``); ``how`` is ``item``
        #: (``X[k] = v``, ``del X[k]``), ``attr`` (``X.a = v``), ``.name`` (a method called on it),
        #: ``f()`` (it is a positional argument of a call of ``f``), ``global`` (rebound where it is
        #: declared global, not to None and not in a one-time initialisation, see :mod:`.guards`),
        #: ``lazy`` (so rebound in a one-time initialisation: SL403 judges it, SL102 does not),
        #: ``reset`` (rebound to None: SL104 counts the global as changing, SL102 does not) or
        #: ``augmented`` (``global X; X += ...``); ``stored``: the qualified names called to make
        #: what is stored (through the locals it is computed from). A write in a lambda has the
        #: caller ``<caller>.<lambda>``. Through a static method's first parameter an attribute is
        #: written as through ``self`` (``pkg.C().attr``): SL403 judges that parameter as the instance.
        self.writes = writes if writes is not None else {}
        #: function -> its first two positional parameters (``self`` or ``cls`` of a method, then what
        #: it is handed: ``request`` in a view), for functions that have any
        self.parameters = parameters if parameters is not None else {}
        #: function or class -> attribute names of its decorators nothing resolves (``get`` of
        #: ``@app.get("/x")`` where ``app`` is a parameter; a route registered on any receiver)
        self.dynamic_decorators = dynamic_decorators if dynamic_decorators is not None else {}
        #: the library this module is a single-file copy of, as its header names it ("" when it is not
        #: one: :func:`statelint.project.vendored.header_library`)
        self.vendored = vendored

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Summary) and self.to_json() == other.to_json()

    def joined_part(self) -> Summary:
        """This summary without ``writes``, which only the file's own declarations read (from the
        summary kept for its analysis): what the model joins, holds and caches. On the stdlib the
        writes are a third of a summary."""
        if not self.writes:
            return self
        return Summary(**{**self.to_json(), "writes": {}})

    def joins_as(self, other: Summary) -> bool:
        """Whether the project model joins ``other`` as it joins this summary: the same in every field
        but those only the rules' declarations read (:attr:`DECLARED`: an edit of what a function
        writes leaves the model as it was)."""
        return all(getattr(self, name) == getattr(other, name) for name in self.FIELDS if name not in self.DECLARED)

    def __repr__(self) -> str:
        return f"Summary({self.module!r}, {len(self.kinds)} names)"

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS}

    @classmethod
    def from_json(cls, data: Any) -> Summary | None:
        """The summary a :meth:`to_json` record holds; None for anything else (a foreign cache entry)."""
        if not isinstance(data, dict) or set(data) != set(cls.FIELDS) or not isinstance(data["module"], str):
            return None
        if not all(_well_formed(name, data[name]) for name in cls.FIELDS[2:]):
            return None  # a damaged or foreign cache entry: summarised again
        return cls(**data)


# -- scopes -----------------------------------------------------------------------------------
class _Scope:
    """A module, class or function scope: its bindings and how qualified names are built in it."""

    __slots__ = ("kind", "prefix", "parent", "names", "global_names", "bases", "lazy", "once", "static_first", "body")

    def __init__(self, kind: str, prefix: str, parent: _Scope | None) -> None:
        self.kind = kind
        self.prefix = prefix
        self.parent = parent
        #: name -> bindings: ("import"|"def"|"class", qualname), ("instance", class qualname) for a
        #: method's ``self``, ("assign", expr, scope) or ("unknown",)
        self.names: dict[str, list[tuple[Any, ...]]] = {}
        self.global_names: set[str] = set()
        self.bases: list[ast.expr] = []  # a class scope: its base expressions (what ``super()`` is)
        #: a function scope: id of a statement -> the globals it sets only while unset (:mod:`.guards`)
        self.lazy: dict[int, frozenset[str]] = {}
        #: a function scope: ids of the statements of its one-time initialisations (:func:`.guards.run_once`)
        self.once: set[int] = set()
        #: a static method's scope: its first parameter, which writes name as the class's instance
        self.static_first: str | None = None
        #: a function scope: its statements (read for :attr:`lazy` at its first ``global`` statement)
        self.body: list[ast.stmt] = []

    def child_prefix(self, name: str) -> str:
        return f"{self.prefix}.<locals>.{name}" if self.kind == "function" else f"{self.prefix}.{name}"

    def bind(self, name: str, binding: tuple[Any, ...]) -> None:
        self.names.setdefault(name, []).append(binding)


class _Summarizer:
    def __init__(self, module: str, is_package: bool) -> None:
        self.summary = Summary(module, is_package)
        self.package = module if is_package else module.rpartition(".")[0]
        self.module_scope = _Scope("module", module, None)
        self.scopes = [self.module_scope]  # every scope made: their bindings are cleared when done
        #: expressions to resolve once every binding is known: (where, kind, expr, scope, extra)
        self.pending: list[tuple[str, str, ast.expr, _Scope, Any]] = []
        self.memo: dict[int, set[str]] = {}  # id of an assigned value -> what it resolves to
        #: (id of an expression, id of its scope) -> what it resolves to: a call's function is resolved for
        #: the call, and again for each write through its arguments and each callback passed to it
        self.resolved_memo: dict[tuple[int, int], set[str]] = {}
        #: (id of a stored value, id of its scope) -> the calls computing it (each call's arguments
        #: are stored for every variable among them, and for its receiver)
        self.stored_memo: dict[tuple[int, int], frozenset[str]] = {}

    # -- collection: one walk over the statements, scopes tracked -------------------------
    def run(self, tree: ast.Module) -> Summary:
        self.summary.vendored = header_library(tree, self.summary.module, self.summary.is_package)
        try:
            self.block(tree.body, self.module_scope, MODULE)
            self.resolve_pending()
        finally:
            # A binding names the scope it was made in: cleared, the scopes and the tree they hold
            # go by reference counting, not at the next collection (which walks every node).
            for scope in self.scopes:
                scope.names.clear()
            self.pending.clear()
            self.memo.clear()
            self.resolved_memo.clear()
            self.stored_memo.clear()
        return self.summary

    def block(self, body: list[ast.stmt], scope: _Scope, caller: str) -> None:
        for statement in body:
            self.statement(statement, scope, caller)

    def statement(self, node: ast.stmt, scope: _Scope, caller: str) -> None:
        if isinstance(node, _DEFS):
            self.function(node, scope, caller)
        elif isinstance(node, ast.ClassDef):
            self.klass(node, scope, caller)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.bind(alias.asname, ("import", alias.name))
                else:
                    head = alias.name.split(".")[0]
                    scope.bind(head, ("import", head))
            self.record_import_names(node, scope)
        elif isinstance(node, ast.ImportFrom):
            base = self.import_base(node)
            if base is not None:
                for alias in node.names:
                    if alias.name != "*":
                        target = f"{base}.{alias.name}" if base else alias.name
                        scope.bind(alias.asname or alias.name, ("import", target))
            self.record_import_names(node, scope)
        elif isinstance(node, ast.If) and scope is self.module_scope and _is_main_guard(node.test):
            self.expressions(node.test, scope, caller)
            self.block(node.body, scope, MAIN)
            self.block(node.orelse, scope, caller)
        else:
            # the calls of a one-time initialisation run once per process: a caller of their own
            calls = f"{caller}{ONCE}" if id(node) in scope.once else caller
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Delete)):
                self.record_writes(node, scope, caller)
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                self.assign(node, scope)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                scope.bind(node.target.id, ("augmented", node.value, scope))
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                for name in bound_names(node.target):
                    scope.bind(name, ("unknown",))
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                exit_method = "__aexit__" if isinstance(node, ast.AsyncWith) else "__exit__"
                for item in node.items:
                    # the block ends in the object's __exit__: a call of it, from here (a hook of the
                    # object's own that only a with runs is called by what runs the with)
                    leaving = ast.Attribute(value=item.context_expr, attr=exit_method, ctx=ast.Load())
                    self.pending.append((calls, "exit", leaving, scope, None))
                    if item.optional_vars is not None:
                        # as the rules' resolver binds them: every name of ``as (a, b)`` to the context expression
                        for name in bound_names(item.optional_vars):
                            scope.bind(name, ("assign", item.context_expr, scope))
            elif isinstance(node, ast.Global):
                if not scope.global_names and scope.kind == "function":
                    # Python wants ``global x`` before any use of x: a function without one (most of them)
                    # is never read twice for its guards (on the stdlib, 4% of the summary's time).
                    declared = declared_globals(scope.body)
                    scope.lazy = lazily_set(scope.body, declared)
                    scope.once = run_once(scope.body, declared)
                scope.global_names.update(node.names)
            elif isinstance(node, ast.Return) and node.value is not None and scope.kind == "function":
                self.pending.append((scope.prefix, "return", node.value, scope, None))
            elif isinstance(node, ast.While) and scope.kind == "function":
                if scope.prefix not in self.summary.loops:
                    self.summary.loops.append(scope.prefix)
            if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
                for handler in node.handlers:  # type: ignore[attr-defined]
                    if handler.name:
                        scope.bind(handler.name, ("unknown",))
            for name in _EXPRESSION_FIELDS.get(type(node), ()):
                value = getattr(node, name, None)
                if isinstance(value, ast.expr):
                    self.expressions(value, scope, caller, calls=calls)
                elif isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.expr):
                            self.expressions(item, scope, caller, calls=calls)
                        elif isinstance(item, ast.withitem):
                            self.expressions(item.context_expr, scope, caller, calls=calls)
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(node, name, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    self.block(inner, scope, caller)
            for handler in getattr(node, "handlers", ()) or ():
                if handler.type is not None:
                    self.expressions(handler.type, scope, caller)
                self.block(handler.body, scope, caller)
            for case in getattr(node, "cases", ()) or ():
                self.block(case.body, scope, caller)

    def record_import_names(self, node: ast.Import | ast.ImportFrom, scope: _Scope) -> None:
        """Every import is a name the file refers to; a module-level one is also a name other modules
        may import from here (a re-export)."""
        imports = self.summary.imports
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            binding = scope.names.get(local, [()])[-1]  # the binding this statement just made
            if binding and binding[0] == "import" and binding[1] not in imports:
                imports.append(binding[1])
        if scope is not self.module_scope:
            return
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            if alias.name == "*":
                continue
            qualname = f"{self.summary.module}.{local}"
            for binding in scope.names.get(local, ()):
                if binding[0] == "import":
                    self.summary.kinds.setdefault(qualname, "value")
                    _add(self.summary.values, qualname, binding[1])

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope, caller: str) -> None:
        qualname = scope.child_prefix(node.name)
        scope.bind(node.name, ("def", qualname))
        summary = self.summary
        if scope.kind != "function":
            summary.kinds[qualname] = "function"
        summary.kinds.setdefault(qualname, "function")
        summary.values.setdefault(qualname, [])
        if scope.kind == "class":
            summary.methods.setdefault(scope.prefix, []).append(node.name)
        elif scope.kind == "function":  # defined at each call of its definer: it runs in the same context
            _add(summary.calls, scope.prefix, qualname)
        for decorator in node.decorator_list:
            self.pending.append((qualname, "decorator", decorator, scope, _first_literal(decorator)))
            self.expressions(decorator, scope, caller, skip_top=True)
        args = node.args
        for default in (*args.defaults, *[d for d in args.kw_defaults if d is not None]):
            self.expressions(default, scope, caller)
        inner = _Scope("function", qualname, scope)
        self.scopes.append(inner)
        params = [*args.posonlyargs, *args.args]
        if params:
            summary.parameters[qualname] = [param.arg for param in params[:2]]
        if scope.kind == "class" and params and _is_staticmethod(node):
            inner.static_first = params[0].arg
        elif scope.kind == "class" and params:
            first = params[0].arg
            if _is_classmethod(node):
                inner.bind(first, ("class", scope.prefix))
            else:
                inner.bind(first, ("instance", scope.prefix))
            params = params[1:]
        for param in (*params, *args.kwonlyargs, args.vararg, args.kwarg):
            if param is not None:
                inner.bind(param.arg, ("unknown",))
        inner.body = node.body
        self.block(node.body, inner, qualname)

    def klass(self, node: ast.ClassDef, scope: _Scope, caller: str) -> None:
        qualname = scope.child_prefix(node.name)
        scope.bind(node.name, ("class", qualname))
        summary = self.summary
        summary.kinds[qualname] = "class"
        summary.values.setdefault(qualname, [])
        for base in node.bases:
            self.pending.append((qualname, "base", base, scope, None))
            self.expressions(base, scope, caller)
        for decorator in node.decorator_list:
            self.pending.append((qualname, "decorator", decorator, scope, _first_literal(decorator)))
            self.expressions(decorator, scope, caller, skip_top=True)
        for keyword in node.keywords:
            self.expressions(keyword.value, scope, caller)
        inner = _Scope("class", qualname, scope)
        self.scopes.append(inner)
        inner.bases = list(node.bases)
        self.block(node.body, inner, caller)  # a class body runs where the class statement does

    def assign(self, node: ast.Assign | ast.AnnAssign, scope: _Scope) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        for target in targets:
            if isinstance(target, ast.Name):
                if value is None:
                    scope.bind(target.id, ("unknown",))
                    continue
                scope.bind(target.id, ("assign", value, scope))
                if scope.kind in ("module", "class"):
                    qualname = f"{scope.prefix}.{target.id}"
                    self.summary.kinds.setdefault(qualname, "value")
                    self.pending.append((qualname, "value", value, scope, None))
                    if isinstance(value, ast.Constant) and _plain_literal(value.value):
                        self.summary.literals[qualname] = value.value
                    kind = _container_display(value)
                    if kind is not None and scope.kind == "module" and not _is_dunder(target.id):
                        self.summary.containers.setdefault(qualname, kind)
            elif isinstance(target, ast.Attribute) and value is not None and self.is_self(target.value, scope):
                # ``self.client = Client()`` in a method: what instances of the class hold
                owner = scope.parent
                while owner is not None and owner.kind != "class":
                    owner = owner.parent
                if owner is not None:
                    qualname = f"{owner.prefix}.{target.attr}"
                    self.summary.kinds.setdefault(qualname, "value")
                    self.pending.append((qualname, "value", value, scope, None))
            else:
                for name in bound_names(target):
                    scope.bind(name, ("unknown",))

    def is_self(self, node: ast.expr, scope: _Scope) -> bool:
        """Whether ``node`` is the ``self`` of the method ``scope`` is in."""
        if not isinstance(node, ast.Name):
            return False
        return any(binding[0] == "instance" for binding in self.lookup(node.id, scope))

    def expressions(self, node: ast.expr, scope: _Scope, caller: str, skip_top: bool = False, calls: str = "") -> None:
        """Record the calls in an expression (lambdas and comprehensions run where it does); ``calls``:
        the caller they are recorded for, when not ``caller`` (a one-time initialisation's, :data:`ONCE`)."""
        pending = self.pending
        calls = calls or caller
        nodes = walk(node)
        in_lambda = _lambda_bodies(nodes)
        for current in nodes:
            kind = current.__class__
            if kind is ast.Call:
                if skip_top and current is node:
                    continue
                func = current.func  # type: ignore[attr-defined]
                pending.append((calls, "call", func, scope, None))
                for argument in (*current.args, *(k.value for k in current.keywords)):  # type: ignore[attr-defined]
                    if argument.__class__ in _REFERENCES:
                        pending.append((calls, "callback", argument, scope, (func, _first_literal(current))))
                params = in_lambda.get(id(current))
                if params is None:
                    self.record_call_writes(current, scope, caller, frozenset())  # type: ignore[arg-type]
                else:
                    self.record_call_writes(current, scope, f"{caller}.<lambda>", params)  # type: ignore[arg-type]
            elif kind is ast.NamedExpr and isinstance(current.target, ast.Name):  # type: ignore[attr-defined]
                target = current.target  # type: ignore[attr-defined]
                scope.bind(target.id, ("assign", current.value, scope))  # type: ignore[attr-defined]
                if scope.kind == "function" and target.id in scope.global_names and id(current) not in in_lambda:
                    pending.append((caller, "write", target, scope, ("global", [current.value])))  # type: ignore[attr-defined]

    # -- writes that may outlive the call -----------------------------------------------------
    def record_writes(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign | ast.Delete, scope: _Scope, caller: str) -> None:
        """Record what an assignment or ``del`` statement writes (resolved with the other pending names)."""
        if isinstance(node, ast.Delete):
            for target in node.targets:
                self.write_target(target, None, node, scope, caller)
            return
        if node.value is None:
            return
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            self.write_target(target, node.value, node, scope, caller, augmented=isinstance(node, ast.AugAssign))

    def write_target(
        self, target: ast.expr, value: ast.expr | None, statement: ast.stmt, scope: _Scope, caller: str, augmented: bool = False
    ) -> None:
        stored = [value] if value is not None else []
        if isinstance(target, ast.Name):
            if scope.kind != "function" or target.id not in scope.global_names:
                return  # a local, or a module or class name while it is defined
            if augmented:
                how = "augmented"
            elif isinstance(value, ast.Constant) and value.value is None:
                how = "reset"  # no state of its own
            elif target.id in scope.lazy.get(id(statement), ()):
                how = "lazy"  # a one-time initialisation
            else:
                how = "global"
            self.pending.append((caller, "write", target, scope, (how, stored)))
        elif isinstance(target, ast.Subscript):
            root = _strip_subscripts(target.value)
            if isinstance(root, _REFERENCES):
                self.pending.append((caller, "write", root, scope, ("item", stored)))
        elif isinstance(target, ast.Attribute):
            self.pending.append((caller, "write", target, scope, ("attr", stored)))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.write_target(element, value, statement, scope, caller, augmented)
        elif isinstance(target, ast.Starred):
            self.write_target(target.value, value, statement, scope, caller, augmented)

    def record_call_writes(self, call: ast.Call, scope: _Scope, caller: str, params: frozenset[str]) -> None:
        """A method called on a variable (``CACHE.append(x)``), and the variables passed to a call
        (``heapq.heappush(QUEUE, x)``): the rules' catalogs say which of them write. ``params``:
        the parameters of the lambdas the call is in, which hide outer names."""
        stored = [*call.args, *(k.value for k in call.keywords)]
        func = call.func
        if isinstance(func, ast.Attribute):
            receiver = _strip_subscripts(func.value)
            if isinstance(receiver, _REFERENCES) and _head_name(receiver) not in params:
                self.pending.append((caller, "write", receiver, scope, (f".{func.attr}", stored)))
        for argument in call.args:
            root = _strip_subscripts(argument)
            if isinstance(root, _REFERENCES) and _head_name(root) not in params:
                self.pending.append((caller, "write", root, scope, (func, stored)))

    def import_base(self, node: ast.ImportFrom) -> str | None:
        module = node.module or ""
        if not node.level:
            return module
        parts = self.package.split(".") if self.package else []
        if node.level - 1 > len(parts):
            return None
        base = parts[: len(parts) - (node.level - 1)]
        if module:
            base.append(module)
        return ".".join(base)

    # -- resolution, once every binding of the file is known --------------------------------
    def resolve_pending(self) -> None:
        summary = self.summary
        for where, kind, expr, scope, extra in self.pending:
            names = sorted(self.resolved(expr, scope)) if kind not in ("callback", "write") else []
            if kind == "call":
                for name in names:
                    _add(summary.calls, where, name)
                if not names and isinstance(expr, ast.Attribute):
                    _add(summary.dynamic, where, expr.attr)
            elif kind == "exit":
                for name in names:
                    if not name.startswith("builtins."):
                        _add(summary.calls, where, name)
            elif kind == "callback":
                callbacks = sorted(n for n in self.resolve(expr, scope, 0, shallow=True) if not n.startswith("builtins."))
                if callbacks:
                    func, literal = extra
                    apis = sorted(self.resolved(func, scope)) or [""]
                    for api in apis:
                        for callback in callbacks:
                            _add(summary.callbacks, where, [api, callback, literal])
            elif kind == "decorator":
                for name in names:
                    _add(summary.decorators, where, [name, extra])
                target = expr.func if isinstance(expr, ast.Call) else expr
                if not names and isinstance(target, ast.Attribute):
                    _add(summary.dynamic_decorators, where, target.attr)
            elif kind == "write":
                self.resolve_write(where, expr, scope, extra)
            else:  # return, base, value
                for name in names:
                    _add(summary.values, where, name)

    def resolve_write(self, caller: str, target: ast.expr, scope: _Scope, how_stored: tuple[Any, list[ast.expr]]) -> None:
        how, stored = how_stored
        if how in ("global", "augmented", "lazy", "reset") and isinstance(target, ast.Name):
            targets = {f"{self.summary.module}.{target.id}"}  # declared global: the module's, bound or not
        else:
            targets = self.written(target, scope, attribute=how == "attr")
        if not targets:
            return
        if isinstance(how, ast.expr):  # passed to a call: one record per function it may call
            hows = [f"{name}()" for name in sorted(self.resolved(how, scope))]
        else:
            hows = [how]
        if not hows:
            return
        calls = sorted(self.stored(stored, scope))
        for written in sorted(targets):
            for each in hows:
                _add(self.summary.writes, caller, [each, written, calls])

    def written(self, node: ast.expr, scope: _Scope, attribute: bool) -> set[str]:
        """What a write through ``node`` changes: the variable it names (module-level or imported, a
        local alias followed), or, through ``self`` or ``cls`` and for an attribute assignment, what
        ``node`` resolves to. Nothing for a local of the function."""
        found: set[str] = set()
        variable = self.variable(node, scope, 0)
        if variable is not None and "." in variable:  # ``json``, an imported module, holds no state of ours
            found.add(variable)
        head = node
        while isinstance(head, ast.Attribute):
            head = head.value
        if attribute or (isinstance(head, ast.Name) and any(b[0] in ("instance", "class") for b in self.lookup(head.id, scope))):
            if isinstance(node, ast.Attribute):
                found |= {f"{q}.{node.attr}" for q in self.resolve(node.value, scope, 0)}
            else:
                found |= self.resolve(node, scope, 0)
        if isinstance(head, ast.Name) and head is not node and head.id == scope.static_first and scope.parent is not None:
            found.add(f"{scope.parent.prefix}(){_attribute_path(node)}")
        return found

    def variable(self, node: ast.expr, scope: _Scope, depth: int) -> str | None:
        """The qualified name of the variable ``node`` names (not of its value): ``pkg.mod.X`` for a
        module variable, an import's target, the variable a local alias copies; None for a local."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Attribute):
            base = self.variable(node.value, scope, depth + 1)
            return None if base is None else f"{base}.{node.attr}"
        if not isinstance(node, ast.Name):
            return None
        owner = self.owner(node.id, scope)
        if owner is None:
            return None
        bindings = owner.names.get(node.id, [])
        imports = [b[1] for b in bindings if b[0] == "import"]
        if imports and len(imports) == len(bindings):
            return imports[0]
        if owner is self.module_scope:
            return f"{self.summary.module}.{node.id}"
        if owner.kind == "function" and all(b[0] == "assign" and isinstance(b[1], ast.Name) for b in bindings):
            return self.variable(bindings[0][1], bindings[0][2], depth + 1)  # ``table = TABLE``
        return None

    def owner(self, name: str, scope: _Scope) -> _Scope | None:
        """The scope whose bindings of ``name`` a reference from ``scope`` finds: a class body's names
        are not seen from its methods, and a ``global`` declaration sends the lookup to the module."""
        current: _Scope | None = scope
        first = True
        while current is not None:
            if current.kind == "class" and not first:
                current = current.parent
                continue
            if name in current.global_names:
                return self.module_scope if name in self.module_scope.names else None
            if current.names.get(name):
                return current
            first = False
            current = current.parent
        return None

    def resolved(self, node: ast.expr, scope: _Scope) -> set[str]:
        """:meth:`resolve` from the top, once per expression: once every binding is known, the same
        expression always resolves alike (the memos of assigned values are settled by the first time)."""
        key = (id(node), id(scope))
        found = self.resolved_memo.get(key)
        if found is None:
            found = self.resolved_memo[key] = self.resolve(node, scope, 0)
        return found

    def stored(self, values: list[ast.expr], scope: _Scope) -> set[str]:
        """:meth:`stored_calls` of ``values``, each value's computed once: what reaches a value through the
        locals it reads is the same whichever value is followed first."""
        found: set[str] = set()
        for value in values:
            key = (id(value), id(scope))
            calls = self.stored_memo.get(key)
            if calls is None:
                calls = self.stored_memo[key] = frozenset(self.stored_calls([value], scope, set()))
            found |= calls
        return found

    def stored_calls(self, values: list[ast.expr], scope: _Scope, seen: set[int]) -> set[str]:
        """The qualified names called to compute ``values``, through the locals they read."""
        found: set[str] = set()
        for value in values:
            for node in walk(value):
                if node.__class__ is ast.Call:
                    found |= self.resolve(node.func, scope, 0)  # type: ignore[attr-defined]
                elif node.__class__ is ast.Name:
                    for binding in self.lookup(node.id, scope):  # type: ignore[attr-defined]
                        if binding[0] in ("assign", "augmented") and binding[2].kind == "function" and id(binding[1]) not in seen:
                            seen.add(id(binding[1]))
                            found |= self.stored_calls([binding[1]], binding[2], seen)
        return found

    def lookup(self, name: str, scope: _Scope) -> list[tuple[Any, ...]]:
        """The bindings a reference to ``name`` from ``scope`` may find (Python's LEGB rule)."""
        owner = self.owner(name, scope)
        return owner.names.get(name, []) if owner is not None else []

    def resolve(self, node: ast.expr, scope: _Scope, depth: int, shallow: bool = False) -> set[str]:
        """Qualified names ``node`` may refer to. ``shallow``: through imports, defs and classes only,
        not assigned values (what names a function passed as a callback)."""
        if depth > _MAX_DEPTH:
            return set()
        kind = node.__class__
        if kind is ast.Name:
            bindings = self.lookup(node.id, scope)  # type: ignore[attr-defined]
            if not bindings:
                return {f"builtins.{node.id}"} if node.id in _BUILTINS else set()  # type: ignore[attr-defined]
            out: set[str] = set()
            for binding in bindings:
                how = binding[0]
                if how in ("import", "def", "class"):
                    out.add(binding[1])
                elif how == "instance":
                    out.add(f"{binding[1]}()")
                elif how == "assign" and not shallow:
                    out |= self.assigned(binding[1], binding[2], depth)
            return out
        if kind is ast.Attribute:
            return {f"{q}.{node.attr}" for q in self.resolve(node.value, scope, depth + 1, shallow)}  # type: ignore[attr-defined]
        if kind is ast.Call:
            func = node.func  # type: ignore[attr-defined]
            if func.__class__ is ast.Name and func.id == "super" and not node.args:  # type: ignore[attr-defined]
                bases = self.super_bases(scope, depth)
                if bases is not None:
                    return bases
            return {f"{q}()" for q in self.resolve(func, scope, depth + 1, shallow)}
        if kind is ast.Await or kind is ast.Starred:  # ``await f()``; a starred base, ``class S(*bases)``
            return self.resolve(node.value, scope, depth + 1, shallow)  # type: ignore[attr-defined]
        return set()

    def super_bases(self, scope: _Scope, depth: int) -> set[str] | None:
        """``super()`` in a method: instances of the class's bases (None outside a method, or when
        ``super`` is not the builtin)."""
        if self.lookup("super", scope):
            return None
        current: _Scope | None = scope
        while current is not None and current.kind == "function":
            if current.parent is not None and current.parent.kind == "class":
                klass = current.parent
                out: set[str] = set()
                for base in klass.bases:
                    out |= {f"{q}()" for q in self.resolve(base, klass.parent or self.module_scope, depth + 1)}
                return out
            current = current.parent
        return None

    def assigned(self, value: ast.expr, scope: _Scope, depth: int) -> set[str]:
        """What an assigned value resolves to, once per value (chains of names share the answers)."""
        key = id(value)
        found = self.memo.get(key)
        if found is None:
            self.memo[key] = set()  # a cycle (a = b; b = a) resolves to nothing
            found = self.memo[key] = self.resolve(value, scope, depth + 1)
        return found


# Fields of simple statements that hold expressions (compound statements' bodies are walked as blocks).
_EXPRESSION_FIELDS: dict[type, tuple[str, ...]] = {
    ast.Expr: ("value",),
    ast.Assign: ("value", "targets"),
    ast.AnnAssign: ("value", "target"),
    ast.AugAssign: ("value", "target"),
    ast.Return: ("value",),
    ast.Delete: ("targets",),
    ast.Raise: ("exc", "cause"),
    ast.Assert: ("test", "msg"),
    ast.If: ("test",),
    ast.While: ("test",),
    ast.For: ("iter",),
    ast.AsyncFor: ("iter",),
    ast.With: ("items",),
    ast.AsyncWith: ("items",),
}
if hasattr(ast, "Match"):
    _EXPRESSION_FIELDS[ast.Match] = ("subject",)


def summarize(tree: ast.Module, module: str, is_package: bool = False) -> Summary:
    """The :class:`Summary` of one parsed module named ``module``."""
    return _Summarizer(module, is_package).run(tree)


def _head_name(node: ast.expr) -> str | None:
    """``a`` for ``a.b.c``."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _container_display(value: ast.expr) -> str | None:
    """``dict``, ``list`` or ``set`` for a display or comprehension, and ``list`` for ``[None] * n``."""
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
        if isinstance(value.left, (ast.List, ast.ListComp)) or isinstance(value.right, (ast.List, ast.ListComp)):
            return "list"
    return _CONTAINER_DISPLAYS.get(value.__class__)


def _is_dunder(name: str) -> bool:
    """``__all__``, ``__slots__``: the module's own machinery, never state (``__cache``, a private
    name, is a name like any other)."""
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _attribute_path(node: ast.expr) -> str:
    """``.a.b`` for ``x.a.b``: the attributes after the head name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return "".join(f".{part}" for part in reversed(parts))


def _strip_subscripts(node: ast.expr) -> ast.expr:
    """``X`` for ``X[a][b]``: what a subscript chain starts from."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node


def _lambda_bodies(nodes: list[ast.AST]) -> dict[int, frozenset[str]]:
    """Id of each node inside a lambda among ``nodes`` (whose calls run when the lambda is called)
    -> the parameters of the lambdas around it (locals there, which the summary does not bind)."""
    inside: dict[int, frozenset[str]] = {}
    for node in nodes:  # outer lambdas come first: an inner one adds its parameters to theirs
        if node.__class__ is ast.Lambda:
            arguments = node.args  # type: ignore[attr-defined]
            params = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
            params.update(a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None)
            names = inside.get(id(node), frozenset()) | params
            for inner in walk(node.body):  # type: ignore[attr-defined]
                inside[id(inner)] = names
    return inside


def _add(table: dict[str, list[Any]], key: str, value: Any) -> None:
    found = table.setdefault(key, [])
    if value not in found:
        found.append(value)


def _well_formed(field: str, value: Any) -> bool:
    """Whether a cached summary's field has the shape :class:`Summary` gives it."""
    if field == "vendored":
        return isinstance(value, str)
    if field in ("loops", "imports"):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        return False
    if field in ("kinds", "containers"):
        return all(isinstance(v, str) for v in value.values())
    if field == "literals":
        return all(_plain_literal(v) for v in value.values())
    if field == "writes":
        return all(
            isinstance(v, list) and all(
                isinstance(r, list) and len(r) == 3 and isinstance(r[0], str) and isinstance(r[1], str)
                and isinstance(r[2], list) and all(isinstance(x, str) for x in r[2])
                for r in v
            )
            for v in value.values()
        )
    if field in ("callbacks", "decorators"):
        size = 3 if field == "callbacks" else 2
        return all(
            isinstance(v, list) and all(isinstance(r, list) and len(r) == size and all(isinstance(x, str) for x in r[:-1]) for r in v)
            for v in value.values()
        )
    return all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in value.values())


def _plain_literal(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _first_literal(node: ast.expr) -> Any:
    """The first positional argument of a call when it is a plain literal (a route's path), else None."""
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        value = node.args[0].value
        return value if _plain_literal(value) else None
    return None


def _is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    strings = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and strings)


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    out = set()
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Name):
            out.add(decorator.id)
        elif isinstance(decorator, ast.Attribute):
            out.add(decorator.attr)
    return out


def _is_staticmethod(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return "staticmethod" in _decorator_names(node)


def _is_classmethod(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return "classmethod" in _decorator_names(node)
