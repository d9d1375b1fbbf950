"""Shapes a rule may require of a file's summary, where one call or string is not evidence enough.

Each shape is a test of :class:`~statelint.engine.requirements.FileFacts` (the file's summary,
its string constants, what the project expands its names to), with the rule's catalog
knowledge and options. Like every declaration a shape must be *sound*: it says no only where
the rule reports nothing and records no fact; it may say yes too often. Each one names the
rule it serves and says where it over-approximates.

Nothing here imports libcst or a rule module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from statelint.project.summary import MAIN, MODULE, ONCE
from statelint.urlpaths import health_path, name_tokens

if TYPE_CHECKING:
    from statelint.engine.requirements import FileFacts

Shape = Callable[["FileFacts", Mapping[str, Any], Mapping[str, Any]], bool]


def callers_of(facts: FileFacts, qualnames: Iterable[str]) -> set[str]:
    """The callers (functions, :data:`MODULE`, :data:`MAIN`) with a call resolving to one of ``qualnames``,
    directly or through what the project expands the callee to (an alias defined in another module);
    every caller when such an alias is among the file's :attr:`~FileFacts.external` names."""
    wanted = set(qualnames)
    if facts.expanded_to(wanted):  # a name of another module stands for one: any call may be of it
        return set(facts.summary.calls)
    found = set()
    for caller, callees in facts.summary.calls.items():
        if any(callee in wanted or not facts.expand(callee).isdisjoint(wanted) for callee in callees):
            found.add(caller)
    return found


# -- SL104 -------------------------------------------------------------------------------------
def _memoized_reads(facts: FileFacts, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL104's memoized functions: the rule reports one (or records a Flask-Caching one for the join)
    only when it reads changing data. So a function here is decorated with a memoizer
    (``memoizers``, the option ``extra-cache-decorators``, a Flask-Caching ``decorators`` method of
    one of its ``classes``), also through what a project decorator applies, and then:

    * the module changes state at run time, which such a function may read: a function writes
      through one of its containers (as SL101's declaration sees it, with the SL1 catalog's
      ``container_calls``) or rebinds one of its globals (to None too; a one-time initialisation
      does not count, as the rule judges it); or
    * the function, or a function of the module it calls (at any depth), calls what may read
      changing data (``data_sources``: its functions, clients, methods on any receiver, and, for a
      call on a receiver nothing resolves, any of its ``attributes`` the file spells); or one of
      those functions is a library name the file's names of other modules expand to.
    """
    memoizers = {call for entry in knowledge.get("memoizers", ()) for call in entry["calls"]}
    memoizers.update(options.get("extra-cache-decorators", ()))
    flask = knowledge.get("flask_caching", {})
    memoizers.update(f"{c}().{d}" for c in flask.get("classes", ()) for d in flask.get("decorators", ()))
    summary = facts.summary
    memoized = [
        function
        for function, applied in summary.decorators.items()
        if summary.kinds.get(function) == "function" and any(_applies(facts, name, memoizers) for name, _ in applied)
    ]
    if not memoized:
        return False
    if _state_changes(facts, knowledge, options):
        return True
    sources = knowledge.get("data_sources", {})
    extra = tuple(options.get("extra-data-sources", ()))
    if any(_reads_data(word, sources, extra) for word in facts.external.split("\n") if word):
        return True
    for caller in _reached(facts, memoized):
        for callee in summary.calls.get(caller, ()):
            if any(_reads_data(name, sources, extra) for name in (callee, *facts.expand(callee))):
                return True
        if _dynamic_reads(facts, summary.dynamic.get(caller, ()), sources):
            return True
    return False


def _applies(facts: FileFacts, decorator: str, memoizers: set[str]) -> bool:
    """Whether applying ``decorator`` (as the summary names it: ``functools.lru_cache()`` for
    ``@lru_cache(maxsize=1)``) may apply one of ``memoizers``: the decorator itself, what it is
    called on, or what a project decorator returns (``@cached_for(10)`` returning ``lru_cache(...)(fn)``)."""
    names = {decorator, decorator.removesuffix("()")}
    names |= {expanded for name in list(names) for expanded in facts.expand(name)}
    names |= {result for name in list(names) for result in facts.expand(f"{name}()")}
    return any(bare_name(name) in memoizers for name in names)


def _state_changes(facts: FileFacts, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """Whether a function of the module may change its state, as SL104 asks ``ModuleState.mutable_names``."""
    from statelint.engine.requirements import _module_containers

    if _module_containers(facts, knowledge, {}) or facts.expanded_to(knowledge.get("container_calls", ())):
        return True
    return any(how in ("global", "augmented", "reset") for _, how, _, _ in facts.function_writes())


def _reached(facts: FileFacts, functions: list[str]) -> set[str]:
    """``functions`` and the functions of the module they call, directly or not."""
    summary = facts.summary
    prefix = f"{summary.module}."
    found: set[str] = set()
    pending = list(functions)
    while pending:
        caller = pending.pop()
        if caller in found:
            continue
        found.add(caller)
        pending.extend(
            callee for callee in summary.calls.get(caller, ()) if callee.startswith(prefix) and summary.kinds.get(callee) == "function"
        )
    return found


def _reads_data(name: str, sources: Mapping[str, Any], extra: tuple[str, ...]) -> bool:
    """Whether a call of ``name`` may read changing data, as SL1's ``DataSources.read_by`` judges a call's
    names (the shipped-file and statement-builder exceptions left out: they only spare calls)."""
    name = name.removesuffix("()")
    if any(_prefixed(name, prefix) for prefix in (*sources.get("functions", ()), *extra)):
        return True
    factories = set(sources.get("factory_methods", ()))
    for prefix in sources.get("clients", ()):
        if name.startswith(prefix) and "()." in name and name.rsplit(".", 1)[-1] not in factories:
            return True
    last = _last_name(name)
    if last in sources.get("methods", ()) or last in {entry["method"] for entry in sources.get("receiver_methods", ())}:
        return True
    attributes = set(sources.get("attributes", ()))
    return any(part.split("(", 1)[0] in attributes for part in name.split(".")[1:-1])


def _dynamic_reads(facts: FileFacts, methods: Iterable[str], sources: Mapping[str, Any]) -> bool:
    """Whether a call on a receiver nothing resolves may read data: a method the rule reads on any
    receiver, or, since the summary keeps only the method's name, any call once the file spells one of
    the ``attributes`` the rule finds on the way (``request.user.objects.get()``)."""
    names = set(methods)
    if not names:
        return False
    if not names.isdisjoint(sources.get("methods", ())):
        return True
    if not names.isdisjoint(entry["method"] for entry in sources.get("receiver_methods", ())):
        return True
    return any(facts.mentions(attribute) for attribute in sources.get("attributes", ()))


def _prefixed(name: str, prefix: str) -> bool:
    if prefix.endswith("."):
        return name.startswith(prefix)
    return name == prefix or name.startswith((f"{prefix}.", f"{prefix}("))


# -- SL105 -------------------------------------------------------------------------------------
def _per_process_key(facts: FileFacts, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL105: random data becomes a key only on evidence. So the file calls one of
    ``per_process_secrets.generators`` (or spells a ``deferred_defaults`` keyword: a settings field's
    ``default_factory`` names one without calling it, and spells its name), and it holds a key: a generator
    that makes nothing but a key (``key: true``), called or named; a call of one of ``key_sinks``; or one of
    ``key_names`` (or the option ``extra-key-names``) spelled in any case, where the rule reads it as an
    assignment target, a keyword, a dictionary key or the setting a call reads. Library names the
    file's names of other modules expand to count as calls."""
    spec = knowledge.get("per_process_secrets", {})
    generators = {call: bool(entry.get("key")) for entry in spec.get("generators", ()) for call in entry["calls"]}
    if not (facts.calls_any(set(generators)) or facts.expanded_to(generators) or _named_as_default(facts, spec, generators)):
        return False
    keys = {call for call, key in generators.items() if key}
    if facts.calls_any(keys) or facts.expanded_to(keys) or facts.names_any(_last_name(call) for call in keys):
        return True
    sinks = {call for entry in spec.get("key_sinks", ()) for call in entry["calls"]}
    if facts.calls_any(sinks) or facts.expanded_to(sinks):
        return True
    return facts.spells({name.upper() for name in (*spec.get("key_names", ()), *options.get("extra-key-names", ()))})


def _named_as_default(facts: FileFacts, spec: Mapping[str, Any], generators: Iterable[str]) -> bool:
    """A ``deferred_defaults`` keyword spelled (a keyword argument: code, never a string's escape), and a
    generator's name with it (``default_factory=secrets.token_hex``)."""
    if not any(word in facts.text for word in spec.get("deferred_defaults", ())):
        return False
    return facts.names_any(_last_name(call) for call in generators)


# -- SL205 -------------------------------------------------------------------------------------
def _print_to_log(facts: FileFacts, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL205's ``print(..., file=f)``: ``print`` called inside a function whose name has ``log`` in
    it (the rule asks it of every function around the call: a nested function counts, and so do
    the defaults and decorators of such a function, evaluated where its ``def`` is), or anywhere in
    a file spelling ``.log`` (the rule's other case: a file whose path, read from the file's
    literals, ends so). The rule follows ``file=`` to where the file was opened: the file calls one of
    ``open_calls`` or a ``path_open_methods`` method (on any receiver); what ``file=`` is given is not looked at."""
    callers = callers_of(facts, ("builtins.print",))
    if not callers:
        return False
    opens = {call for entry in knowledge["open_calls"] for call in entry["calls"]}
    if not facts.calls_any(opens) and not facts.calls_method(knowledge["path_open_methods"]):
        return False  # the rule follows file= to an open() of the file (on the stdlib, prints to sys.stderr kept 4 files)
    if facts.mentions(".log"):
        return True
    kinds = facts.summary.kinds
    helpers = [name for name, kind in kinds.items() if kind == "function" and "log" in name.rsplit(".", 1)[-1].lower()]
    return any(True for _ in _inside(callers, helpers))


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
    aliased = facts.expanded_to(opens)  # ``opener = open`` in another module: any call may open
    for caller in _inside(summary.calls.keys() | summary.dynamic.keys(), handlers):
        if aliased and summary.calls.get(caller):
            return True
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
    inside = set(functions) | {f"{function}{ONCE}" for function in functions}  # its one-time initialisation
    for caller in callers:
        if caller in inside or caller in around or caller.startswith(prefixes):
            yield caller


# -- SL601-SL605 -------------------------------------------------------------------------------
def _routes(facts: FileFacts, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL605 (every route): a file whose route finder (:class:`statelint.analyses.routes.RouteFinder`)
    may find a route, a mount or a framework's own routes (:func:`_declares`, mounts included)."""
    return _declares(facts, knowledge["routes"], mounts=True)


def _health_routes(facts: FileFacts, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL601-SL604 (health facts): gRPC health checking (a servicer, its registration, or the stock
    servicer's statuses set: a file spelling one of ``grpc.status_needles``, as the rules read it);
    a module-level function or class named like a health check (its name's words against
    ``health-paths``, as the rules read them), or a module-level class defining ``grpc.method``
    (``Check``: a servicer another module may register); or a route (:func:`_declares`) in a file
    where a route's path may be a health path: a string constant of it is one (read as a template
    or a regex), or the path may be joined from pieces no single constant holds (an f-string, a
    blueprint's ``url_prefix``), which a file spelling one counts as."""
    routes = knowledge["routes"]
    grpc = routes["grpc"]
    healthy = health_path(options["health-paths"])
    if any(facts.mentions(word) for word in (grpc["servicer_suffix"], *grpc.get("status_needles", ()))):
        return True
    summary = facts.summary
    prefix = f"{summary.module}."
    for name, kind in summary.kinds.items():
        local = name.removeprefix(prefix)
        if kind in ("function", "class") and name.startswith(prefix) and "." not in local:
            if any(healthy("/" + token) for token in name_tokens(local)):
                return True
            if kind == "class" and grpc["method"] in summary.methods.get(name, ()):
                return True
    if not _declares(facts, routes, mounts=False):
        return False
    if _FORMATTED.search(facts.text) or any(facts.mentions(word) for word in routes["prefix_keywords"]):
        return True
    return any(healthy(string) for string in facts.strings)


def _declares(facts: FileFacts, routes: Mapping[str, Any], *, mounts: bool) -> bool:
    """Whether the route finder may find a route in the file (with ``mounts``: or a mount, or the
    routes a framework adds itself):

    * a gRPC health servicer: its name, ending in ``grpc.servicer_suffix``, spelled in the file;
    * a call resolving to a function-style declaration (``calls``: ``path()``, ``web.get()``, ``Route()``)
      or to a Tornado application; with ``mounts``, to a mount (``Mount()``) or a server with routes of
      its own (``implicit``: ``FastAPI()``, ``start_http_server()``);
    * a decorator whose method is one of ``decorators`` (``@app.get``, on any receiver, resolved or not);
    * a call of a method of ``registrations`` (``add_url_rule``) or ``add_handlers``, on any receiver;
      with ``mounts``, of ``mount`` or one of ``attach_methods`` (``include_router``);
    * a Tornado handler base (``RequestHandler``) named in the file: its ``(pattern, Handler)`` tuples
      are routes wherever they are (a handler class of another module the project shows expands to
      the base, and the engine keeps the rule for such a file: see ``_expansions_matter``).

    Which string a path argument is, is not looked at here: ``session.mount("https://", a)`` counts.
    """
    grpc, tornado = routes["grpc"], routes["tornado"]
    if facts.mentions(grpc["servicer_suffix"]):
        return True
    declared = {name for entry in routes["calls"] for name in entry["names"]} | set(tornado["applications"])
    if mounts:
        declared |= {name for entry in routes["mounts"] for name in entry["names"]} | set(routes.get("implicit", {}))
    if facts.calls_any(declared):
        return True
    if not facts.decorator_methods.isdisjoint(routes["decorators"]):
        return True
    methods = {*routes["registrations"], "add_handlers"}
    if mounts:
        methods |= {*routes["attach_methods"], "mount"}
    if facts.calls_method(methods):
        return True
    return any(re.search(rf"\b{re.escape(_last_name(base))}\b", facts.text) for base in tornado["handler_bases"])


#: An f-string's opening quote (in code, a string or a comment: a cheap over-approximation).
_FORMATTED = re.compile(r"(?<![\w])(?:[rR]?[fF]|[fF][rR])['\"]")


def expanded_to(external: str, qualnames: Iterable[str]) -> bool:
    """Whether one of the library names in ``external`` (one per line) is, makes or is a member of one of
    ``qualnames`` (``functools.lru_cache()()``, what a project decorator applies, counts for ``functools.lru_cache``)."""
    wanted = set(qualnames)
    if not external or not wanted:
        return False
    prefixes = tuple(prefix for name in wanted for prefix in _member_prefixes(name))
    for word in external.split("\n"):
        if word.startswith(prefixes) or bare_name(word) in wanted:
            return True
    return False


def _member_prefixes(qualname: str) -> tuple[str, ...]:
    """How a name made by, or a member of, ``qualname`` starts (a prefix ending in a dot is one already)."""
    return (qualname,) if qualname.endswith(".") else (f"{qualname}(", f"{qualname}.")


def bare_name(name: str) -> str:
    """``a.b`` for ``a.b()()``: what a call (of a call) is made of."""
    while name.endswith("()"):
        name = name[:-2]
    return name


def _last_name(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1].split("(", 1)[0]


# -- which library names reached through other modules each shape reads ------------------------
def _memoized_reads_names(external: str, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    sources = knowledge.get("data_sources", {})
    extra = tuple(options.get("extra-data-sources", ()))
    if any(_reads_data(word, sources, extra) for word in external.split("\n") if word):
        return True
    return expanded_to(external, knowledge.get("container_calls", ()))


def _per_process_key_names(external: str, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    spec = knowledge.get("per_process_secrets", {})
    names = {call for entry in (*spec.get("generators", ()), *spec.get("key_sinks", ())) for call in entry["calls"]}
    return expanded_to(external, names)


def _print_to_log_names(external: str, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    opens = {call for entry in knowledge["open_calls"] for call in entry["calls"]}
    return expanded_to(external, {"builtins.print", *opens})


def _request_writes_names(external: str, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    return expanded_to(external, {call for entry in knowledge["open_calls"] for call in entry["calls"]})


def _routes_names(external: str, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    routes = knowledge["routes"]
    declared = {name for entry in (*routes["calls"], *routes["mounts"]) for name in entry["names"]}
    declared |= {*routes["tornado"]["applications"], *routes.get("implicit", {})}
    return expanded_to(external, declared)


#: For each shape: whether library names the file's names of other modules expand to (the view's
#: ``external``, one per line) are among those its test reads (:attr:`FileFacts.external`, through
#: ``expanded_to``, ``calls_any`` or ``callers_of``). When none is, the shape answers for the file
#: with them as it answered reading the file alone (see ``with_expansions`` in the engine).
EXTERNAL: dict[str, Callable[[str, Mapping[str, Any], Mapping[str, Any]], bool]] = {
    "memoized-reads": _memoized_reads_names,
    "per-process-key": _per_process_key_names,
    "print-to-log": _print_to_log_names,
    "request-writes": _request_writes_names,
    "routes": _routes_names,
    "health-routes": _routes_names,
}


#: The shapes a :class:`~statelint.engine.requirements.Requires` may ask for, each with its test.
SHAPES: dict[str, Shape] = {
    "memoized-reads": _memoized_reads,
    "per-process-key": _per_process_key,
    "print-to-log": _print_to_log,
    "request-writes": _request_writes,
    "routes": _routes,
    "health-routes": _health_routes,
}
