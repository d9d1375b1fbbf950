"""Which URL paths a Python module serves, and which code answers each one.

Recognises the route declarations of Flask/Quart (``@app.route``, ``@bp.get``,
``add_url_rule``), FastAPI/Starlette (``@router.get``, ``add_api_route``,
``Route(...)``/``Mount(...)`` lists, ``app.mount``), Django URL confs (``path``,
``re_path``, ``url``, ``include``), aiohttp (``app.router.add_get``, ``web.get(...)``
route tables, ``RouteTableDef``), Tornado (``(pattern, Handler)`` tuples, ``url()``)
and gRPC health servicers (a ``HealthServicer`` subclass with a ``Check`` method, or any
class whose instance ``add_HealthServicer_to_server`` registers).
Which names belong to which framework comes from the catalog (``knowledge.routes``);
this module only knows the shapes of those APIs.

Route decorators and registration methods (``.route``, ``.get``, ``.add_url_rule`` ...)
are recognised on any receiver when the path is a literal starting with ``/``: apps and
blueprints are routinely imported from another module of the project, where names
cannot be resolved. Function-style declarations (``path()``, ``web.get()``,
``Route()``) must resolve to the framework, since ``requests.get("/x")`` looks alike.

Paths are kept as written with a ``style`` (``template``: Flask ``<int:id>``,
Starlette/aiohttp ``{id}``; ``regex``: Django ``re_path``, Tornado) so :func:`serves`
can match them against URLs after the walk, from plain strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import libcst as cst

from statelint.engine.context import FileContext
from statelint.engine.names import Scope
from statelint.urlpaths import name_tokens, normalize

#: What answers a route: a function, class or response object here, or names defined elsewhere.
HandlerNode = cst.FunctionDef | cst.Lambda | cst.ClassDef | cst.BaseExpression


@dataclass
class Handler:
    node: HandlerNode | None  # defined in this module
    scope: Scope | None  # the scope ``node`` is defined in
    refs: tuple[str, ...] = ()  # qualified names, when defined in another module


@dataclass
class Route:
    path: str | None  # as written; None when computed at run time
    style: str  # template | regex | grpc
    framework: str
    get: bool  # answers GET, which is what HTTP probes send
    anchor: cst.CSTNode  # what findings about the route point at
    handler: Handler | None = None
    prefix: str = ""  # declared on its blueprint/router (url_prefix=, prefix=); registration may change it


@dataclass(frozen=True)
class Mount:
    """A sub-application served under a prefix; ``opaque`` when its routes cannot be seen."""

    prefix: str
    style: str
    target: str | None  # module of an included URL conf (Django), to see whether it was scanned
    opaque: bool


# -- small expression helpers -------------------------------------------------------------
def literal_string(node: cst.CSTNode | None) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def positional(call: cst.Call) -> list[cst.BaseExpression]:
    """Positional arguments up to the first ``*args`` (later positions are unknowable)."""
    out: list[cst.BaseExpression] = []
    for arg in call.args:
        if arg.star or arg.keyword is not None:
            if arg.star:
                break
            continue
        out.append(arg.value)
    return out


def keyword(call: cst.Call, names: Iterable[str]) -> cst.BaseExpression | None:
    wanted = set(names)
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in wanted:
            return arg.value
    return None


def _string_methods(node: cst.CSTNode | None) -> list[str] | None:
    """``methods=["GET", "POST"]`` as upper-case names, None when not a literal list."""
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        values = [literal_string(e.value) for e in node.elements]
        if all(v is not None for v in values):
            return [v.upper() for v in values if v is not None]
    text = literal_string(node)
    return [text.upper()] if text is not None else None


def answers_get(methods: Sequence[str] | None) -> bool:
    return methods is None or any(m in ("GET", "*") for m in methods)


# -- recognition ------------------------------------------------------------------------
class RouteFinder:
    """Collects the routes of one module; fed node by node from a rule's visitors."""

    def __init__(self, ctx: FileContext, knowledge: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.receivers: dict[str, str] = {r: a["framework"] for a in knowledge["apps"] for r in a["receivers"]}
        self.prefix_keywords: tuple[str, ...] = tuple(knowledge["prefix_keywords"])
        self.decorators: Mapping[str, Any] = knowledge["decorators"]
        self.registrations: Mapping[str, Any] = knowledge["registrations"]
        self.calls = {name: entry for entry in knowledge["calls"] for name in entry["names"]}
        self.mount_calls = {name: entry for entry in knowledge["mounts"] for name in entry["names"]}
        self.includes = frozenset(knowledge["includes"])
        self.include_attributes = frozenset(knowledge["include_attributes"])
        self.attach_methods: Mapping[str, list[str]] = knowledge["attach_methods"]
        self.implicit: Mapping[str, Mapping[str, Any]] = knowledge.get("implicit", {})
        tornado = knowledge["tornado"]
        self.tornado_apps = frozenset(tornado["applications"])
        self.tornado_bases = frozenset(tornado["handler_bases"])
        grpc = knowledge["grpc"]
        self.grpc_suffix: str = grpc["servicer_suffix"]
        self.grpc_method: str = grpc["method"]
        self.grpc_path: str = grpc["path"]
        self.grpc_stock = frozenset(grpc["stock_servicers"])
        self.grpc_registration: str = grpc.get("registration", "")
        self._grpc_routed: set[object] = set()  # class nodes (by id) and imported names already routed
        self.routes: list[Route] = []
        self.mounts: list[Mount] = []
        #: Routes frameworks add themselves: (paths, the port they are served on when only one).
        self.implicit_routes: list[tuple[tuple[str, ...], str | None]] = []
        self._tornado_tuples: set[int] = set()
        # Last name of every function-style declaration: most calls are rejected on this alone.
        every = (*self.calls, *self.mount_calls, *self.tornado_apps, *self.grpc_stock, *self.implicit)
        self._call_tails = frozenset(n.removesuffix("()").rsplit(".", 1)[-1] for n in every) | {self.grpc_registration}

    # -- entry points, one per visited node type ------------------------------------------
    def on_function(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        """Route decorators on a function (or an aiohttp/Starlette class view)."""
        for decorator in node.decorators:
            call = decorator.decorator
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
                self._decorator(call, node)

    def on_class(self, node: cst.ClassDef) -> None:
        self.on_function(node)
        method = _method(node, self.grpc_method)
        if method is None or not self._is_grpc_servicer(node):
            return
        self._grpc_class(node, method, self.ctx.scope)

    def _grpc_class(self, node: cst.ClassDef, method: cst.FunctionDef, scope: Scope) -> None:
        if id(node) not in self._grpc_routed:
            self._grpc_routed.add(id(node))
            self.routes.append(Route(self.grpc_path, "grpc", "grpc", False, method.name, Handler(node, scope)))

    def on_call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute):
            attr = func.attr.value
            spec = self.registrations.get(attr)
            if spec is not None:
                self._registration(node, spec, self.ctx.qualnames(func.value))
                return
            if attr == "mount":
                self._attribute_mount(node)
                return
            if attr in self.attach_methods:
                self._attach(node, self.attach_methods[attr])
                return
            if attr == "add_handlers":
                self._mark_tornado(node, 1, "host_handlers")
        tail = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
        if tail not in self._call_tails:
            return
        names = self.ctx.qualnames(func)
        if tail == self.grpc_registration and any(n.rsplit(".", 1)[-1] == tail for n in names):
            self._registered_servicer(node)
            return
        for name in names:
            if name in self.calls:
                self._function_call(node, self.calls[name])
                return
            if name in self.mount_calls:
                self._mount_call(node, self.mount_calls[name])
                return
            if name in self.tornado_apps:
                self._mark_tornado(node, 0, "handlers")
                return
            if name in self.grpc_stock:
                handler = Handler(None, None, (name,))
                self.routes.append(Route(self.grpc_path, "grpc", "grpc", False, func, handler))
                return
            if name in self.implicit:
                self._implicit(node, self.implicit[name])

    def on_tuple(self, node: cst.Tuple) -> None:
        """Tornado's ``(r"/healthz", HealthHandler)`` entries."""
        if len(node.elements) < 2:
            return
        pattern = literal_string(node.elements[0].value)
        if pattern is None:
            return
        target = node.elements[1].value
        listed = id(node) in self._tornado_tuples
        if not listed and not (pattern.startswith(("/", "^/")) and self._is_tornado_handler(target)):
            return
        handler = self.handler(target, self.ctx.scope)
        self.routes.append(Route(pattern, "regex", "tornado", True, node.elements[0].value, handler))

    def _registered_servicer(self, call: cst.Call) -> None:
        """``add_HealthServicer_to_server(Health(), server)``: the registered object's class answers the
        health check, whatever its bases (the stock servicer is routed where it is made)."""
        args = positional(call)
        target = args[0] if args else keyword(call, ("servicer",))
        for made, scope in self._made(target, self.ctx.scope):
            if self.ctx.match(made.func, self.grpc_stock, scope):
                continue
            local = self._local(made.func, scope)
            if local is not None and isinstance(local.node, cst.ClassDef) and local.scope is not None:
                found = self._inherited(local.node, local.scope, 0)
                if found is not None:
                    self._grpc_class(*found)
                continue
            refs = local.refs if local is not None else tuple(sorted(n for n in self.ctx.qualnames(made.func, scope) if "." in n))
            if refs and refs not in self._grpc_routed:
                self._grpc_routed.add(refs)
                self.routes.append(Route(self.grpc_path, "grpc", "grpc", False, made, Handler(None, None, refs)))

    def _made(self, target: cst.BaseExpression | None, scope: Scope) -> list[tuple[cst.Call, Scope]]:
        """The calls that make ``target``: itself, or what a variable is assigned (``None`` aside)."""
        if isinstance(target, cst.Call):
            return [(target, scope)]
        if not isinstance(target, cst.Name):
            return []
        made = []
        for binding in self.ctx.resolver.lookup(target.value, scope):
            value = binding.value
            if binding.kind == "assign" and isinstance(value, cst.Name) and value.value == "None":
                continue
            if binding.kind != "assign" or not isinstance(value, cst.Call):
                return []  # assigned something else somewhere: cannot tell
            made.append((value, binding.scope))
        return made

    def _inherited(self, node: cst.ClassDef, scope: Scope, depth: int) -> tuple[cst.ClassDef, cst.FunctionDef, Scope] | None:
        """The class (``node`` or a base class defined in this module) whose ``Check`` instances of ``node`` run."""
        method = _method(node, self.grpc_method)
        if method is not None:
            return node, method, scope
        if depth > 4:
            return None
        for base in node.bases:
            local = self._local(base.value, scope)
            if local is not None and isinstance(local.node, cst.ClassDef) and local.scope is not None:
                found = self._inherited(local.node, local.scope, depth + 1)
                if found is not None:
                    return found
        return None

    # -- shapes ---------------------------------------------------------------------------
    def _decorator(self, call: cst.Call, decorated: cst.FunctionDef | cst.ClassDef) -> None:
        assert isinstance(call.func, cst.Attribute)
        attr = call.func.attr.value
        if attr not in self.decorators:
            return
        framework = self._framework(self.ctx.qualnames(call.func.value))
        found = self._path_argument(call, (0, 1), ("rule", "path"), framework is not None)
        if found is None:
            return
        path, index, anchor = found
        methods = self.decorators[attr]
        if methods is None:
            methods = _string_methods(keyword(call, ("methods",)))
            if methods is None and index == 1:
                methods = _string_methods(positional(call)[0])
        handler = Handler(decorated, self.ctx.scope)
        prefix = self._prefix(call.func.value)
        self.routes.append(Route(path, "template", framework or "unknown", answers_get(methods), anchor, handler, prefix))

    def _registration(self, call: cst.Call, spec: Mapping[str, Any], receiver: frozenset[str]) -> None:
        framework = self._framework(receiver)
        found = self._path_argument(call, spec["path"], spec.get("keywords", ()), framework is not None)
        if found is None:
            return
        path, index, anchor = found
        self._add(call, spec, path, index, anchor, framework or spec.get("framework", "unknown"), "template")
        if framework is not None and isinstance(call.func, cst.Attribute):
            self.routes[-1].prefix = self._prefix(call.func.value)

    def _function_call(self, call: cst.Call, spec: Mapping[str, Any]) -> None:
        style = spec.get("style", "template")
        found = self._path_argument(call, spec["path"], spec.get("keywords", ()), True, slash=spec.get("slash", True))
        if found is None:
            return
        path, index, anchor = found
        handler_expr = self._handler_argument(call, spec, index)
        if isinstance(handler_expr, cst.Attribute) and handler_expr.attr.value in self.include_attributes:
            self.mounts.append(Mount(path or "", style, None, True))  # path("admin/", admin.site.urls)
            return
        if isinstance(handler_expr, cst.Call) and self.ctx.match(handler_expr.func, self.includes):
            target = positional(handler_expr)[0] if positional(handler_expr) else None
            if isinstance(target, cst.Tuple) and target.elements:
                target = target.elements[0].value
            module = literal_string(target)
            self.mounts.append(Mount(path or "", style, module, module is None))
            return
        self._add(call, spec, path, index, anchor, spec["framework"], style)

    def _add(
        self, call: cst.Call, spec: Mapping[str, Any], path: str | None, index: int, anchor: cst.CSTNode,
        framework: str, style: str,
    ) -> None:
        methods = spec.get("methods")
        if methods is None:
            methods = _string_methods(keyword(call, ("methods",)))
        if methods is None and spec.get("method_first") and index > 0:
            methods = _string_methods(positional(call)[index - 1])
        expr = self._handler_argument(call, spec, index)
        handler = self.handler(expr, self.ctx.scope) if expr is not None else None
        self.routes.append(Route(path, style, framework, answers_get(methods), anchor, handler))

    def _handler_argument(self, call: cst.Call, spec: Mapping[str, Any], index: int) -> cst.BaseExpression | None:
        args = positional(call)
        offset = spec.get("handler_offset", 1)
        if index >= 0 and index + offset < len(args):
            return args[index + offset]
        return keyword(call, spec.get("handler_keywords", ()))

    def _path_argument(
        self, call: cst.Call, positions: Sequence[int], keywords: Sequence[str], known: bool, *, slash: bool = True,
    ) -> tuple[str | None, int, cst.CSTNode] | None:
        """(path, positional index or -1, node) of the route path, or None when this is no route.

        A path computed at run time is returned as None only when the receiver is a known
        framework object: a route we cannot read still serves *some* path.
        """
        args = positional(call)
        candidates = [(i, args[i]) for i in positions if i < len(args)]
        by_keyword = keyword(call, keywords)
        if by_keyword is not None:
            candidates.append((-1, by_keyword))
        for index, node in candidates:
            text = self.path_text(node)
            if text is not None and (text.startswith("/") or not slash):
                return text, index, node
        if known and candidates and not any(literal_string(n) is not None for _, n in candidates):
            index, node = candidates[0]
            return None, index, node
        return None

    def path_text(self, node: cst.CSTNode) -> str | None:
        """A path literal, a constant holding one, or an f-string of those (else its literal tail)."""
        text = literal_string(node)
        if text is not None:
            return text
        if isinstance(node, cst.FormattedString):
            return self._formatted_path(node)
        if isinstance(node, cst.Name):
            bindings = self.ctx.resolver.lookup(node.value, self.ctx.scope)
            if len(bindings) == 1 and bindings[0].kind == "assign":
                return literal_string(bindings[0].value)
        return None

    def _formatted_path(self, node: cst.FormattedString) -> str | None:
        """f"{PREFIX}/healthz": whole when its names are constants, else the literal tail."""
        parts: list[str | None] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
            elif isinstance(part, cst.FormattedStringExpression) and isinstance(part.expression, cst.Name):
                parts.append(self.path_text(part.expression) if part.format_spec is None else None)
            else:
                parts.append(None)
        if parts and all(p is not None for p in parts):
            return "".join(p for p in parts if p is not None)
        tail = parts[-1] if parts and isinstance(node.parts[-1], cst.FormattedStringText) else None
        return tail if tail and tail.startswith("/") else None  # routes match on path suffixes anyway

    def _implicit(self, call: cst.Call, spec: Mapping[str, Any]) -> None:
        port: str | None = None
        where = spec.get("port")
        if where is not None:
            args = positional(call)
            value = keyword(call, (where["keyword"],))
            if value is None and where["position"] < len(args):
                value = args[where["position"]]
            port = value.value if isinstance(value, cst.Integer) else None
        self.implicit_routes.append((tuple(spec["paths"]), port))

    def _attach(self, call: cst.Call, keywords: Sequence[str]) -> None:
        """``register_blueprint``/``include_router`` of a router imported from another module.

        Its routes are seen when that module is scanned; otherwise (a library such as
        flask-healthz) they are hidden under the prefix, and SL605 must not guess.
        """
        args = positional(call)
        if not args or not isinstance(args[0], (cst.Name, cst.Attribute)):
            return
        head = args[0]
        while isinstance(head, cst.Attribute):
            head = head.value
        bindings = self.ctx.resolver.lookup(head.value, self.ctx.scope) if isinstance(head, cst.Name) else []
        if len(bindings) != 1 or bindings[0].kind != "import":
            return  # defined here: its routes are recognised where they are declared
        names = [n for n in self.ctx.qualnames(args[0]) if "." in n]  # the file's own names first
        if names:
            prefix = literal_string(keyword(call, keywords)) or ""
            self.mounts.append(Mount(prefix, "template", names[0].rsplit(".", 1)[0], False))

    def _attribute_mount(self, call: cst.Call) -> None:
        args = positional(call)
        prefix = self.path_text(args[0]) if args else None
        if prefix is not None and prefix.startswith("/"):
            self.mounts.append(Mount(prefix, "template", None, True))

    def _mount_call(self, call: cst.Call, spec: Mapping[str, Any]) -> None:
        args = positional(call)
        prefix = self.path_text(args[0]) if args else None
        if prefix is None:
            return
        inline = keyword(call, spec.get("inline_keywords", ())) is not None
        self.mounts.append(Mount(prefix, "template", None, not inline))

    def _mark_tornado(self, call: cst.Call, position: int, name: str) -> None:
        args = positional(call)
        listed = args[position] if position < len(args) else keyword(call, (name,))
        if isinstance(listed, (cst.List, cst.Tuple)):
            self._tornado_tuples.update(id(e.value) for e in listed.elements if isinstance(e.value, cst.Tuple))

    # -- resolution -----------------------------------------------------------------------
    def _framework(self, receiver: frozenset[str]) -> str | None:
        for name in receiver:
            if name in self.receivers:
                return self.receivers[name]
        return None

    def _prefix(self, receiver: cst.BaseExpression) -> str:
        """The literal ``url_prefix=``/``prefix=`` a blueprint or router was created with."""
        if not isinstance(receiver, cst.Name):
            return ""
        bindings = self.ctx.resolver.lookup(receiver.value, self.ctx.scope)
        if len(bindings) != 1 or not isinstance(bindings[0].value, cst.Call):
            return ""
        return literal_string(keyword(bindings[0].value, self.prefix_keywords)) or ""

    def _is_tornado_handler(self, node: cst.CSTNode) -> bool:
        return any(n in self.tornado_bases for n in self.ctx.qualnames(node))

    def _is_grpc_servicer(self, node: cst.ClassDef) -> bool:
        for base in node.bases:
            for name in self.ctx.qualnames(base.value):
                if name.rsplit(".", 1)[-1].endswith(self.grpc_suffix):
                    return True
        return False

    def handler(self, expr: cst.BaseExpression | cst.FunctionDef | cst.ClassDef | None, scope: Scope) -> Handler | None:
        """Follow a handler expression to the code that answers requests."""
        if expr is None:
            return None
        if isinstance(expr, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return Handler(expr, scope)
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value == "as_view":
                return self.handler(func.value, scope)  # Django / Flask class-based views
            local = self._local(func, scope)
            if local is not None and isinstance(local.node, cst.ClassDef):
                return local  # a resource instance (Falcon) answers through its methods
            return Handler(expr, scope)  # e.g. Starlette's Route("/x", PlainTextResponse("ok"))
        if isinstance(expr, cst.Name):
            local = self._local(expr, scope)
            if local is not None:
                return local
        bound = self._bound_method(expr, scope)
        if bound is not None:
            return bound
        refs = tuple(sorted(n.removesuffix("()") for n in self.ctx.qualnames(expr, scope)))
        return Handler(None, None, refs) if refs else None

    def _bound_method(self, expr: cst.BaseExpression, scope: Scope) -> Handler | None:
        """``self._status`` registered in a method (``add_api_route("/status", self._status)``): the
        class's own method of that name."""
        if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)):
            return None
        method = scope.node
        owner = scope.parent
        if not isinstance(method, cst.FunctionDef) or owner is None or not isinstance(owner.node, cst.ClassDef):
            return None
        params = method.params.params
        if not params or params[0].name.value != expr.value.value:
            return None
        found = _method(owner.node, expr.attr.value)
        return Handler(found, owner) if found is not None else None

    def _local(self, expr: cst.BaseExpression, scope: Scope) -> Handler | None:
        if not isinstance(expr, cst.Name):
            return None
        bindings = self.ctx.resolver.lookup(expr.value, scope)
        if len(bindings) != 1:
            return None
        binding = bindings[0]
        if binding.kind in ("def", "class") and isinstance(binding.node, (cst.FunctionDef, cst.ClassDef)):
            return Handler(binding.node, binding.scope)
        if binding.kind == "import" and binding.target:
            return Handler(None, None, (binding.target,))
        return None


def _method(node: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    if not isinstance(node.body, cst.IndentedBlock):
        return None
    for statement in node.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            return statement
    return None


def handler_functions(
    handler: Handler, ctx: FileContext, methods: Sequence[str]
) -> Iterator[tuple[cst.FunctionDef | cst.Lambda, Scope, cst.ClassDef | None]]:
    """The functions that answer a GET (or a gRPC Check) for a local handler, with their scopes."""
    node, scope = handler.node, handler.scope
    if scope is None:
        return
    if isinstance(node, (cst.FunctionDef, cst.Lambda)):
        yield node, ctx.resolver.child_scope(node, scope), None
    elif isinstance(node, cst.ClassDef):
        class_scope = ctx.resolver.child_scope(node, scope)
        for name in methods:
            method = _method(node, name)
            if method is not None:
                yield method, ctx.resolver.child_scope(method, class_scope), node
                return


# -- matching paths, on plain strings -------------------------------------------------------
_TEMPLATE_TOKEN = re.compile(r"<(?:(?P<conv>[^:>]+):)?[^>]+>|\{")
_BRACE_CONVERTERS = {"str": "[^/]+", "int": "[0-9]+", "float": "[0-9.]+", "uuid": "[0-9a-fA-F-]+", "path": ".*"}


def _braces(text: str, start: int) -> tuple[str, int] | None:
    """The ``{...}`` placeholder at ``start`` (nested braces allowed), and the index after it."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : index], index + 1
    return None


def _template_regex(path: str) -> str | None:
    out: list[str] = []
    index = 0
    for match in _TEMPLATE_TOKEN.finditer(path):
        if match.start() < index:
            continue
        out.append(re.escape(path[index : match.start()]))
        if match.group(0) == "{":
            found = _braces(path, match.start())
            if found is None:
                return None
            inner, index = found
            _, _, converter = inner.partition(":")
            out.append(_BRACE_CONVERTERS.get(converter or "str", f"(?:{converter})"))
        else:
            out.append(".+" if match.group("conv") == "path" else "[^/]+")
            index = match.end()
    out.append(re.escape(path[index:]))
    return "".join(out)


@lru_cache(maxsize=1024)
def compile_route(path: str, style: str) -> re.Pattern[str] | None:
    """A regex over normalized paths; None when the route cannot be read (treat it as serving anything)."""
    if style == "regex":
        text = path.removeprefix("^").removesuffix("$")
        if text.startswith("/") and text[1:2] not in ("?", "*", "+", "{"):
            text = text[1:]
        text = text.rstrip("/") if not text.endswith("\\/") else text
    else:
        regex = _template_regex(normalize(path))
        if regex is None:
            return None
        text = regex
    try:
        return re.compile(text)
    except (re.error, OverflowError, RecursionError):
        return None


def _suffixes(path: str) -> list[str]:
    segments = normalize(path).split("/")
    if segments == [""]:
        return [""]
    return ["/".join(segments[i:]) for i in range(len(segments))]


def serves(route: str | None, style: str, url_path: str) -> bool:
    """Whether a route answers ``url_path``, allowing for a prefix it is mounted under.

    Blueprints, routers and included URL confs add prefixes this module cannot always
    see, so a route matches the URL or any trailing run of its segments; the root route
    only matches the root. Trailing slashes are ignored (frameworks redirect them).
    """
    if route is None:
        return True
    pattern = compile_route(route, style)
    if pattern is None:
        return True
    return any(pattern.fullmatch(s) or pattern.fullmatch(s + "/") for s in _suffixes(url_path))


def under(prefix: str, url_path: str) -> bool:
    """Whether ``url_path`` lies under a mount ``prefix`` (anywhere along its segments)."""
    head = normalize(prefix)
    if not head:
        return True
    return any(s == head or s.startswith(head + "/") for s in _suffixes(url_path))


__all__ = [
    "Handler",
    "Mount",
    "Route",
    "RouteFinder",
    "answers_get",
    "compile_route",
    "handler_functions",
    "literal_string",
    "name_tokens",
    "normalize",
    "serves",
    "under",
]
