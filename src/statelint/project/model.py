"""The project model: every file's :class:`~statelint.project.summary.Summary`, joined.

It answers the two questions a rule cannot answer from one file:

* **What does a name stand for?** :meth:`ProjectModel.expand` follows a qualified name
  through the project's definitions: ``pkg.make_app().run`` (a re-export in
  ``pkg/__init__.py``) -> ``pkg.web.make_app().run`` -> ``pkg.web.ApiFlask().run`` (what
  ``make_app`` returns) -> ``flask.Flask().run`` (the library class it derives from).
  Depth and cycles are bounded, so import cycles and self-referential classes terminate.
* **When does a function run?** :meth:`ProjectModel.context` is its *run context*, from
  the project's call graph: ``request`` (reachable from a framework handler),
  ``background`` (a thread, timer or scheduler target), ``startup`` (module import,
  ``__main__``, app factories, startup hooks, the one-time initialisation of a lazy global:
  ``if _app is None: _app = make(); setup_plugins()``), ``shutdown`` (signal and exit handlers),
  or none of them: *unknown* (no caller the model can see). The roots are catalog data
  (``rules/sl0.yaml``, ``knowledge.contexts``).

Code in files that are not deployed (tests, examples, docs, scripts; see the
``not-deployed`` setting) defines names like any other, but its calls make nothing
reachable: a test calling ``load()`` does not put ``load`` on the request path.
"""

from __future__ import annotations

import fnmatch
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from statelint.digests import blake2b
from statelint.model import Related
from statelint.project.summary import MAIN, MODULE, ONCE, Summary

REQUEST = "request"
BACKGROUND = "background"
STARTUP = "startup"
SHUTDOWN = "shutdown"
#: How a finding's hint names each context that makes a write matter.
PLACES = {REQUEST: "on the request path", BACKGROUND: "in the background"}
#: Contexts whose writes are configuration of the process, not state shared by its requests.
LIFECYCLE = frozenset({STARTUP, SHUTDOWN})
_MAX_DEPTH = 8


class ProjectModel:
    """Summaries joined across files (see the module docstring)."""

    def __init__(self, knowledge: Mapping[str, Any] | None = None) -> None:
        self.knowledge: Mapping[str, Any] = knowledge or {}
        self.summaries: dict[str, Summary] = {}  # module name -> summary
        self.deployed: dict[str, bool] = {}  # module name -> deployed
        self.kinds: dict[str, str] = {}
        self.values: dict[str, list[str]] = {}
        self.methods: dict[str, list[str]] = {}
        #: literal values of module constants and class attributes (settings defaults)
        self.literals: dict[str, Any] = {}
        #: module-level containers made by a display or comprehension -> their kind
        self.containers: dict[str, str] = {}
        #: module -> the path of its file, as reports show it
        self.paths: dict[str, str] = {}
        self.modules: set[str] = set()
        self._heads: set[str] = set()  # first parts of the module names
        self.contexts: dict[str, frozenset[str]] = {}
        #: function -> context -> the caller (or root label) that first brought that context to it,
        #: breadth first from the roots: the shortest path a message shows
        self.reached_from: dict[str, dict[str, str]] = {}
        #: functions called from code whose context is unknown (or handed to an unknown API)
        self._unknown_callers: set[str] = set()
        #: other dotted names of modules outside any regular package (``app.core.config`` for the
        #: ``core.config`` of ``app/core/config.py`` when ``app/`` has no ``__init__.py``): what imports
        #: spell them as when the service runs from a folder above (namespace packages)
        self.aliases: dict[str, str] = {}
        #: what code on a shutdown path calls on project objects (``svc.state.STOP.set``): the stop
        #: signals a SIGTERM handler in one module gives a worker loop in another
        self.shutdown_calls: frozenset[str] = frozenset()
        self._shutdown_hash: str | None = None
        #: background initialisation started at startup: the target of a thread, timer or executor job
        #: started only while the process starts that initialises something (see :meth:`_warms_up`) ->
        #: (the function starting it, the API): the pod answers requests before that work is done
        #: (SL601's per-pod readiness condition)
        self.warmups: dict[str, tuple[str, str]] = {}
        self._warmup_hash: str | None = None
        #: first parts of the library names some rule matches (``flask``, ``threading``): only
        #: expansions to those can change what a rule reports
        self.watched: frozenset[str] = frozenset()
        self._expanded: dict[str, frozenset[str]] = {}
        self._called: dict[str, tuple[str, ...]] = {}
        self._by_module: dict[str, list[str]] = {}  # module -> its functions with a known context or an unknown caller
        self._digests: dict[str, str] = {}  # definition -> digest of it and all it expands through
        self._deps: dict[str, frozenset[str]] = {}  # definition -> the definitions it expands through
        self._memo: dict[tuple[str, str, Any], str | None] = {}  # contexts of (kind, api or decorator, literal)
        self._apps: set[str] | None = None  # the catalog's app classes of libraries the project mentions
        #: the catalog's calls that return a module chosen at run time (``importlib.import_module``)
        self._plugin_loaders: frozenset[str] = frozenset(self.knowledge.get("plugin_loaders", ()))
        self._exports_by_module: dict[str, list[str]] | None = None  # module -> its module-level names
        #: a name without its calls -> (the definitions it goes through, the modules it starts with): the
        #: views of a 600-module project ask 150,000 times, mostly for names many modules mention
        self._prefixes: dict[str, tuple[list[str], list[str]]] = {}

    @classmethod
    def build(
        cls,
        summaries: Iterable[tuple[Summary, bool] | tuple[Summary, bool, str]],
        knowledge: Mapping[str, Any],
        watched: Iterable[str] = (),
    ) -> ProjectModel:
        """Join ``(summary, deployed[, path])`` records; ``knowledge`` is ``rules/sl0.yaml``'s ``contexts``,
        ``watched`` the first parts of the library names the enabled rules match (see :func:`watched_heads`),
        ``path`` the file's path as reports show it."""
        model = cls(knowledge)
        model.watched = frozenset(watched)
        for summary, deployed, *path in summaries:
            model._add(summary, deployed, path[0] if path else None)
        model.aliases = _aliases(model.paths, model.modules)
        model._compute_contexts()
        model.shutdown_calls = frozenset(
            call
            for summary in model.summaries.values()
            for caller, calls in summary.calls.items()
            if SHUTDOWN in model.contexts.get(caller, ())
            for call in calls
            if model.module_of(call.split("(", 1)[0]) is not None
        )
        for function in sorted(set(model.contexts) | model._unknown_callers):
            module = model.module_of(function)
            if module is not None and model.kinds.get(function) == "function":
                model._by_module.setdefault(module, []).append(function)
        return model

    @classmethod
    def alone(cls, summary: Summary) -> ProjectModel:
        """The definitions of one module, for :meth:`expand` only (no contexts): what a file's own
        subclasses and factories stand for before the project's model is built."""
        model = cls()
        model._add(summary, True, None)
        return model

    def _add(self, summary: Summary, deployed: bool, path: str | None) -> None:
        name = summary.module
        if name in self.summaries:  # two roots with one module name: the first wins, as on sys.path
            return
        self.summaries[name] = summary
        self.deployed[name] = deployed
        if path is not None:
            self.paths[name] = path
        self.modules.add(name)
        self._heads.add(name.split(".", 1)[0])
        for qualname, kind in summary.kinds.items():
            self.kinds.setdefault(qualname, kind)
        for qualname, values in summary.values.items():
            self.values.setdefault(qualname, values)
        for qualname, methods in summary.methods.items():
            self.methods.setdefault(qualname, methods)
        for qualname, literal in summary.literals.items():
            self.literals.setdefault(qualname, literal)
        for qualname, kind in summary.containers.items():
            self.containers.setdefault(qualname, kind)

    # -- what a name stands for ----------------------------------------------------------------
    def expand(self, qualname: str) -> frozenset[str]:
        """Other qualified names ``qualname`` stands for through the project's definitions (itself not included)."""
        found = self._expanded.get(qualname)
        if found is None:
            out: set[str] = set()
            self._expand(qualname, out, 0, set())
            out.discard(qualname)
            found = self._expanded[qualname] = frozenset(out)
        return found

    def _expand(self, qualname: str, out: set[str], depth: int, seen: set[str]) -> None:
        if depth > _MAX_DEPTH or qualname in seen:
            return
        seen.add(qualname)
        for step in self._step(qualname):
            if step not in out:
                out.add(step)
                self._expand(step, out, depth + 1, seen)

    def _step(self, qualname: str) -> list[str]:
        """What ``qualname`` stands for one definition further, or [] when no project definition starts it."""
        parts = qualname.split(".")
        if parts[0] not in self._heads:
            canonical = self.canonical(qualname)
            return [canonical] if canonical != qualname else []
        prefix = ""
        for index, part in enumerate(parts):
            name = part.split("(", 1)[0]
            calls = part[len(name) :]
            prefix = f"{prefix}.{name}" if prefix else name
            kind = self.kinds.get(prefix)
            if kind is None or (kind == "function" and not calls):
                if calls:
                    return []  # a call of something the project does not define
                continue  # a package, a module, or a function whose nested def follows
            if kind in ("class", "value") and not calls and index + 1 < len(parts):
                member = f"{prefix}.{parts[index + 1].split('(', 1)[0]}"
                if member in self.kinds:
                    # a method, a class attribute or a nested class; or a definition of a submodule whose
                    # name the package also binds (``from .main import main`` in ``pkg/__init__.py``
                    # makes ``pkg.main`` a function, while ``pkg.main.main`` is that module's def):
                    # the longer name says more
                    continue
            rest = ".".join(parts[index + 1 :])
            return self._through(prefix, kind, calls, rest)
        return []

    def _through(self, qualname: str, kind: str, calls: str, rest: str) -> list[str]:
        tail = f".{rest}" if rest else ""
        if kind == "function":
            if not calls:
                return []
            return [f"{value}{calls[2:]}{tail}" for value in self.values.get(qualname, ())]
        if kind == "class":
            if calls == "()" and rest:  # an instance's method or attribute: X().m -> X.m, in X or a project base
                member = rest.split(".", 1)[0].split("(", 1)[0]
                owner = self.member_owner(qualname, member)
                if owner is not None:
                    return [f"{owner}.{rest}"]  # it overrides whatever a library base has of that name
            return [f"{base}{calls}{tail}" for base in self.values.get(qualname, ())]
        return [f"{value}{calls}{tail}" for value in self.values.get(qualname, ())]

    def member_owner(self, klass: str, member: str) -> str | None:
        """The project class defining ``member`` for instances of ``klass``: a method, or an attribute
        assigned in the class body or on ``self``."""
        owner = self.method_owner(klass, member)
        if owner is None:
            for candidate in (klass, *self._project_bases(klass)):
                if self.kinds.get(f"{candidate}.{member}") == "value":
                    return candidate
        return owner

    def _project_bases(self, klass: str, depth: int = 0) -> list[str]:
        if depth > _MAX_DEPTH:
            return []
        out = []
        for base in self.values.get(klass, ()):
            if self.kinds.get(base) == "class":
                out.append(base)
                out.extend(self._project_bases(base, depth + 1))
        return out

    def method_owner(self, klass: str, method: str, depth: int = 0) -> str | None:
        """The project class (``klass`` or a project base of it) that defines ``method``."""
        if depth > _MAX_DEPTH:
            return None
        if method in self.methods.get(klass, ()):
            return klass
        for base in self.values.get(klass, ()):
            if self.kinds.get(base) == "class":
                owner = self.method_owner(base, method, depth + 1)
                if owner is not None:
                    return owner
        return None

    def canonical(self, qualname: str) -> str:
        """``qualname`` with a module alias (see :attr:`aliases`) replaced by the module's name."""
        if not self.aliases:
            return qualname
        parts = qualname.split(".")
        for index in range(len(parts), 0, -1):
            target = self.aliases.get(".".join(parts[:index]))
            if target is not None:
                return ".".join([target, *parts[index:]])
        return qualname

    def external(self, qualname: str) -> bool:
        """Whether ``qualname`` names something outside the project (a library)."""
        head = self.canonical(qualname).split("(", 1)[0]
        parts = head.split(".")
        return not any(".".join(parts[:i]) in self.modules for i in range(1, len(parts) + 1))

    # -- functions a call reaches ---------------------------------------------------------
    def functions_called(self, qualname: str) -> list[str]:
        """The project functions a call of ``qualname`` runs: the function itself, a class's
        ``__init__`` (or its project base's), a method through an instance, through expansion."""
        found = self._called.get(qualname)
        if found is None:
            out: list[str] = []
            for name in (qualname, *sorted(self.expand(qualname))):
                kind = self.kinds.get(name)
                if kind == "function":
                    out.append(name)
                elif kind == "class":
                    owner = self.method_owner(name, "__init__")
                    if owner is not None:
                        out.append(f"{owner}.__init__")
            found = self._called[qualname] = tuple(out)
        return list(found)

    # -- run contexts ------------------------------------------------------------------------
    def context(self, function: str) -> frozenset[str]:
        """The contexts ``function`` runs in; empty when unknown."""
        return self.contexts.get(function, frozenset())

    def stops_the_process(self, function: str) -> bool:
        """Whether ``function``, named like a lifecycle hook (``stop``, ``close_session``), may run when
        the process stops, from what calls it: something registered to run at shutdown (a signal or exit
        handler), a caller the model cannot place (a lifespan handed to a framework, an API the catalog
        does not know), or startup code (a ``main`` may stop what it started once its server returns).
        Not when only request handlers or background work call it, nor when nothing calls it: such a
        method is an operation of an API, not a shutdown path (issue 21)."""
        found = self.contexts.get(function, frozenset())
        if SHUTDOWN in found or STARTUP in found or function in self._unknown_callers:
            return True
        return False

    def is_called(self, function: str) -> bool:
        """Whether anything the model sees calls ``function`` (a ``with`` block its ``__exit__``)."""
        return bool(self.contexts.get(function)) or function in self._unknown_callers

    def is_lifecycle(self, function: str) -> bool:
        """Whether every known caller of ``function`` runs at startup or shutdown (and some does)."""
        found = self.contexts.get(function)
        return bool(found) and found <= LIFECYCLE and function not in self._unknown_callers

    def _compute_contexts(self) -> None:
        """Roots from the catalog's knowledge, then every caller's contexts flow to its callees."""
        roots: dict[str, set[str]] = {}
        edges: dict[str, set[str]] = {}  # caller -> callees (project functions)
        threads: list[tuple[str, str, str]] = []  # (starter, target, api) of threads and timers
        dynamic: dict[str, set[str]] = {}  # attribute name -> callers that call it on an unknown receiver
        self._unknown_callers = set()
        self._guessed: set[tuple[str, str]] = set()  # (caller, callee) edges matched by name only
        knowledge = self.knowledge

        def root(function: str, context: str, label: str) -> None:
            roots.setdefault(function, set()).add(context)
            self.reached_from.setdefault(function, {}).setdefault(context, label)

        for module, summary in self.summaries.items():
            if not self.deployed.get(module, True):
                continue  # tests and scripts call what they like: it says nothing of the service
            for caller, callees in summary.calls.items():
                source = self._caller(module, caller)
                if caller.endswith(ONCE):  # a one-time initialisation: once per process, whoever runs it
                    root(source, STARTUP, f"one-time init in {_short(caller.removesuffix(ONCE))}()")
                for callee in callees:
                    reached = self.functions_called(callee)
                    for function in reached:
                        edges.setdefault(source, set()).add(function)
                    if not reached and self._untyped_method(callee):
                        # a method of a module or object chosen at run time: it may be a plugin's hook
                        dynamic.setdefault(_terminal(callee), set()).add(source)
            for caller, names in summary.dynamic.items():
                for name in names:
                    dynamic.setdefault(name, set()).add(self._caller(module, caller))
            for caller, records in summary.callbacks.items():
                source = self._caller(module, caller)
                for api, callback, literal in records:
                    context = self._context(self._callback_context, api, literal)
                    for function in self.functions_called(callback) or self._bound_methods(callback):
                        if context is None:
                            self._unknown_callers.add(function)  # an API the catalog does not know: any time
                        elif context == BACKGROUND:
                            threads.append((source, function, _terminal(api)))
                        else:
                            root(function, context, f"{_terminal(api)}()")
            for function, decorators in summary.decorators.items():
                for decorator, literal in decorators:
                    context = self._context(self._decorator_context, decorator, literal)
                    if context is not None and self.kinds.get(function) == "function":
                        label = f"@{_terminal(decorator)}" + (f"({literal!r})" if literal is not None else "")
                        root(function, context, label)
            for klass, methods in summary.methods.items():
                found = self._class_context(klass, knowledge)
                if found is not None:
                    context, only = found
                    for method in methods:
                        if (method in only) if only else not (method.startswith("__") and method.endswith("__")):
                            root(f"{klass}.{method}", context, f"{_short(klass)} handler")
            for function, kind in summary.kinds.items():
                if kind == "function" and self._is_app_factory(function, knowledge):
                    root(function, STARTUP, "app factory")
            for caller in (MODULE, MAIN):
                if caller in summary.calls or caller in summary.callbacks or caller in summary.dynamic:
                    root(self._caller(module, caller), STARTUP, "module import" if caller == MODULE else "__main__")
        self._link_dynamic_calls(edges, roots, dynamic)
        contexts = self._propagate(roots, edges)
        # A thread or timer started only while the process starts, whose target runs no loop, does
        # one-shot startup work (loading, warming up); any other runs beside the requests.
        for starter, target, api in threads:
            starter_contexts = contexts.get(starter, set())
            one_shot = starter_contexts and starter_contexts <= LIFECYCLE and starter not in self._unknown_callers
            if one_shot and not self._loops(target):
                root(target, STARTUP, f"{api}() at startup")
                if STARTUP in starter_contexts and self._warms_up(target, api):
                    self.warmups.setdefault(target, (starter, api))
            else:
                root(target, BACKGROUND, f"{api}()")
        contexts = self._propagate(roots, edges)
        self._mark_unknown(edges, contexts)
        self.contexts = {name: frozenset(found) for name, found in contexts.items() if found}

    def _propagate(self, roots: dict[str, set[str]], edges: dict[str, set[str]]) -> dict[str, set[str]]:
        """Each function's contexts: its roots' and its callers', to a fixed point (contexts only grow)."""
        contexts: dict[str, set[str]] = {name: set(found) for name, found in roots.items()}
        pending = deque(sorted(contexts))  # breadth first, in a fixed order: paths are short and stable
        while pending:
            caller = pending.popleft()
            mine = contexts[caller]
            for callee in sorted(edges.get(caller, ())):
                theirs = contexts.setdefault(callee, set())
                if not mine <= theirs:
                    for context in mine - theirs:
                        self.reached_from.setdefault(callee, {}).setdefault(context, caller)
                    theirs |= mine
                    pending.append(callee)
        return contexts

    def _mark_unknown(self, edges: dict[str, set[str]], contexts: dict[str, set[str]]) -> None:
        """A function called from one whose context is unknown (or handed to an unknown API) may run anywhere."""
        pending = [source for source in edges if not contexts.get(source)] + sorted(self._unknown_callers)
        seen: set[str] = set()
        while pending:
            source = pending.pop()
            for callee in edges.get(source, ()):
                if (source, callee) in self._guessed:
                    continue  # a call matched by name only adds contexts, it does not spread doubt
                if callee not in seen:
                    seen.add(callee)
                    self._unknown_callers.add(callee)
                    pending.append(callee)

    def _link_dynamic_calls(self, edges: dict[str, set[str]], roots: dict[str, set[str]], dynamic: dict[str, set[str]]) -> None:
        """A function or method nothing calls by name, whose name is called on objects nothing types
        (a loader calling ``engine.setup(data)`` on the plugin modules it imported, or
        ``processor.initialize()`` on the objects it made), is called from there: a plugin's hook.
        Every such caller counts, so one on the request path is enough to put the hook there."""
        called = {callee for callees in edges.values() for callee in callees} | set(roots)
        for module, summary in self.summaries.items():
            if not self.deployed.get(module, True):
                continue
            prefix = f"{module}."
            for function, kind in summary.kinds.items():
                if kind != "function" or function in called or ".<locals>." in function:
                    continue
                name = function.rsplit(".", 1)[-1]
                if function[len(prefix) :].count(".") > 1 or name.startswith("__"):
                    continue  # a method of a nested class; dunder methods are Python's, never a plugin's hook
                for caller in dynamic.get(name, ()):
                    edges.setdefault(caller, set()).add(function)
                    self._guessed.add((caller, function))

    def _untyped_method(self, callee: str) -> bool:
        """Whether ``callee`` is a method called on an object nothing here types, which may be any
        project module or class: what a plugin loader returned (``importlib.import_module().setup``,
        the catalog's ``plugin_loaders``), or a value project code hands over without a definition
        to resolve to (``self.kinds.get(name)(engine).initialize``). A method of a library's object
        (``requests.Session().post``, also through a project subclass) is that library's."""
        receiver, dot, _ = callee.rpartition(".")
        if not dot or "()" not in receiver or callee.startswith("builtins."):
            return False
        if receiver.endswith("()") and receiver[:-2] in self._plugin_loaders:
            return True
        if self.module_of(callee) is None:
            return False  # made by a library
        return all(self.module_of(name) is not None for name in self.expand(callee))

    def _loops(self, function: str) -> bool:
        """Whether ``function`` runs a ``while`` loop (it, or a project function it calls directly)."""
        module = self.module_of(function)
        summary = self.summaries.get(module) if module else None
        if summary is None:
            return True  # not known: assume it lives on
        if function in summary.loops:
            return True
        for callee in summary.calls.get(function, ()):
            for reached in self.functions_called(callee):
                other = self.summaries.get(self.module_of(reached) or "")
                if other is not None and reached in other.loops:
                    return True
        return False

    def _warms_up(self, target: str, api: str) -> bool:
        """Whether a one-shot job started at startup through ``api`` initialises something (the catalog's
        ``warmup``): started by a thread, timer or executor, its target calls something beyond the
        ``idle_calls`` (printing, logging, sleeping) and nothing of the ``forever_terminals`` (an event
        loop or a server serves beside the requests)."""
        warmup = self.knowledge.get("warmup", {})
        module = self.module_of(target)
        summary = self.summaries.get(module) if module else None
        if summary is None or api not in warmup.get("starters", ()):
            return False
        calls = summary.calls.get(target, ())
        forever = set(warmup.get("forever_terminals", ()))
        if forever & {_terminal(call) for call in calls} or forever & set(summary.dynamic.get(target, ())):
            return False
        idle = tuple(warmup.get("idle_calls", ()))
        return any(not any(call == name or call.startswith((f"{name}.", f"{name}(")) for name in idle) for call in calls)

    def steps(self, function: str, context: str, limit: int = 6) -> list[str]:
        """How ``function`` comes to run in ``context``, from its root: ``["@get('/rates/<ccy>')",
        "shop.views.rate", "shop.plugins.remember"]`` (roots as labels, functions by qualified name)."""
        steps = [function]
        seen = {function}
        current = function
        while len(steps) <= limit:
            label = self.reached_from.get(current, {}).get(context)
            if label is None:
                break
            steps.append(label)
            if label in seen or label not in self.reached_from:
                break  # a root: a decorator, an API, "app factory", "module import"
            seen.add(label)
            current = label
        return steps[::-1]

    def module_of(self, qualname: str) -> str | None:
        """The project module defining ``qualname`` (the longest module name it starts with)."""
        parts = qualname.split(".")
        for index in range(len(parts) - 1, 0, -1):
            candidate = ".".join(parts[:index])
            if candidate in self.modules:
                return candidate
        return None

    def _caller(self, module: str, caller: str) -> str:
        return f"{module}.{caller}" if caller in (MODULE, MAIN) else caller

    def _bound_methods(self, callback: str) -> list[str]:
        """``self._status`` resolved as ``pkg.App()._status``: the method of the project class."""
        return [name for name in self.expand(callback) if self.kinds.get(name) == "function"]

    def _context(self, compute: Callable[[str, Any, Mapping[str, Any]], str | None], name: str, literal: Any) -> str | None:
        """``compute(name, literal, knowledge)``, once per distinct question: the same API or decorator recurs."""
        key = (compute.__name__, name, literal)
        if key not in self._memo:
            self._memo[key] = compute(name, literal, self.knowledge)
        return self._memo[key]

    def _callback_context(self, api: str, literal: Any, knowledge: Mapping[str, Any]) -> str | None:
        names = {api, *self.expand(api)}
        terminals = {_terminal(n) for n in names}
        for context, key in ((REQUEST, "request_callbacks"), (BACKGROUND, "background_callbacks"), (SHUTDOWN, "shutdown_callbacks")):
            entry = knowledge.get(key, {})
            if names & set(entry.get("calls", ())) or terminals & set(entry.get("terminals", ())):
                return context
        startup = knowledge.get("startup_callbacks", {})
        if names & set(startup.get("calls", ())) or terminals & set(startup.get("terminals", ())):
            arguments = startup.get("arguments", {})
            wanted = next((arguments[t] for t in terminals if t in arguments), None)
            if wanted is None or literal in wanted:
                return STARTUP
            if literal in startup.get("shutdown_arguments", ()):
                return SHUTDOWN
        return None

    def _decorator_context(self, decorator: str, literal: Any, knowledge: Mapping[str, Any]) -> str | None:
        names = {decorator, *self.expand(decorator)}
        bare = {n.removesuffix("()") for n in names}
        terminals = {_terminal(n) for n in names}
        routes = knowledge.get("route_decorators", {})
        if terminals & set(routes.get("terminals", ())) and isinstance(literal, str) and literal.startswith("/"):
            return REQUEST
        for context, key in ((REQUEST, "request_decorators"), (BACKGROUND, "background_decorators"), (STARTUP, "cli_decorators")):
            if bare & set(knowledge.get(key, ())):
                return context
        startup = knowledge.get("startup_decorators", {})
        for terminal in terminals:
            if terminal in startup:
                wanted = startup[terminal]
                if not wanted or literal in wanted:
                    return STARTUP
                if literal in knowledge.get("shutdown_events", ()):
                    return SHUTDOWN
        return None

    def _class_context(self, klass: str, knowledge: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
        """The context of a handler class's methods, and which methods (() = every public one)."""
        bases = self.expand(klass)
        for context, key in ((REQUEST, "request_classes"), (BACKGROUND, "background_classes"), (STARTUP, "cli_classes")):
            entry = knowledge.get(key, {})
            suffixes = tuple(entry.get("suffixes", ()))
            if bases & set(entry.get("names", ())) or (
                suffixes and any(b.endswith(suffixes) and self.external(b) for b in bases)
            ):
                return context, tuple(entry.get("methods", ()))
        return None

    def _is_app_factory(self, function: str, knowledge: Mapping[str, Any]) -> bool:
        apps = self._apps
        if apps is None:  # the app classes of libraries the project mentions at all
            mentioned = {v.split(".", 1)[0] for values in self.values.values() for v in values}
            apps = self._apps = {a for a in knowledge.get("apps", ()) if a.split(".", 1)[0] in mentioned}
        if not apps or not self.values.get(function):
            return False
        return bool(self.expand(f"{function}()") & apps)

    # -- what one file's analysis may see --------------------------------------------------------
    def view(self, module: str) -> ModuleView:
        """The part of the model the rules see while checking ``module`` (see :class:`ModuleView`)."""
        summary = self.summaries.get(module)
        if summary is None:  # not a file the model was built from (or asked after compact())
            return ModuleView(None, module, True, "")
        deployed = self.deployed.get(module, True)
        contexts = sorted(
            (name, sorted(self.contexts.get(name, ())), name in self._unknown_callers)
            for name in self._by_module.get(module, ())
        )
        mentioned = sorted(_mentioned(summary))
        digest = blake2b(digest_size=16)
        digest.update(repr((deployed, contexts, self._shutdown_digest(), self._warmup_digest())).encode("utf-8", "surrogatepass"))
        definitions = {d for name in mentioned for d in self._definitions_in(name)}
        # A module the file holds (``import app.state as s``) may be reached through any of its
        # names, written or read (``s.CACHE[k] = v`` calls nothing): all of them count.
        for held in {m for name in mentioned for m in self._modules_in(name)}:
            definitions.update(self._exports(held))
        for definition in sorted(definitions):
            digest.update(self._digest(definition).encode())
        return ModuleView(self, module, deployed, digest.hexdigest(), external=self._external_words(module, mentioned))

    def _shutdown_digest(self) -> str:
        """A digest of :attr:`shutdown_calls`, part of every view's (any file's workers may read a stop signal)."""
        if self._shutdown_hash is None:
            text = "\n".join(sorted(self.shutdown_calls)).encode("utf-8", "surrogatepass")
            self._shutdown_hash = blake2b(text, digest_size=16).hexdigest()
        return self._shutdown_hash

    def _warmup_digest(self) -> str:
        """A digest of :attr:`warmups`, part of every view's (a health route's file reports them, wherever they start)."""
        if self._warmup_hash is None:
            text = repr(sorted(self.warmups.items())).encode("utf-8", "surrogatepass")
            self._warmup_hash = blake2b(text, digest_size=16).hexdigest()
        return self._warmup_hash

    def _definitions_in(self, name: str) -> list[str]:
        """The project definitions a qualified name goes through: the prefixes of it that are defined."""
        return self._prefixes_of(name)[0]

    def _modules_in(self, name: str) -> list[str]:
        """The project modules a qualified name starts with (``app.state`` for ``app.state.CACHE``)."""
        return self._prefixes_of(name)[1]

    def _prefixes_of(self, name: str) -> tuple[list[str], list[str]]:
        """The prefixes of ``name`` (its calls left out, a module alias resolved) that are project
        definitions, and those that are project modules (asked once the model is built)."""
        bare = name.split("(", 1)[0]
        found = self._prefixes.get(bare)
        if found is None:
            parts = self.canonical(bare).split(".")
            definitions: list[str] = []
            modules: list[str] = []
            if parts[0] in self._heads:
                prefix = ""
                for part in parts:
                    prefix = f"{prefix}.{part}" if prefix else part
                    if prefix in self.kinds:
                        definitions.append(prefix)
                    if prefix in self.modules:
                        modules.append(prefix)
            found = self._prefixes[bare] = (definitions, modules)
        return found

    def _exports(self, module: str) -> list[str]:
        """The module-level definitions of ``module`` (computed once for all modules)."""
        exports = self._exports_by_module
        if exports is None:
            exports = self._exports_by_module = {}
            for name in self.kinds:
                owner = name.rpartition(".")[0]
                if owner in self.modules:
                    exports.setdefault(owner, []).append(name)
        return exports.get(module, [])

    def _dependencies(self, definition: str) -> frozenset[str]:
        """The definitions ``definition`` expands through directly (each asked twice by :meth:`_digest`)."""
        found = self._deps.get(definition)
        if found is None:
            values = list(self.values.get(definition, ()))
            for method in self.methods.get(definition, ()):
                values.extend(self.values.get(f"{definition}.{method}", ()))
                values.append(f"{definition}.{method}")
            found = self._deps[definition] = frozenset(d for value in values for d in self._definitions_in(value)) - {definition}
        return found

    def _digest(self, definition: str) -> str:
        """A digest of ``definition`` and of every definition it expands through (a Merkle digest over
        the strongly connected components of that graph, each computed once)."""
        found = self._digests.get(definition)
        if found is not None:
            return found
        # Tarjan's algorithm, iterative: cycles (a = b; b = a; class A(A)) share one digest.
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        work: list[tuple[str, list[str]]] = []

        def enter(node: str) -> None:
            index[node] = low[node] = len(index)
            stack.append(node)
            on_stack.add(node)
            work.append((node, sorted(self._dependencies(node))))

        enter(definition)
        while work:
            node, pending = work[-1]
            if pending:
                child = pending.pop()
                if child in self._digests:
                    continue
                if child not in index:
                    enter(child)
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                digest = blake2b(digest_size=16)
                outside: set[str] = set()
                for member in sorted(members):
                    entry = (
                        member, self.kinds.get(member), self.values.get(member), self.methods.get(member),
                        self.literals.get(member), self.containers.get(member),
                    )
                    digest.update(repr(entry).encode("utf-8", "surrogatepass"))
                    outside |= self._dependencies(member)
                for other in sorted(outside.difference(members)):
                    digest.update(self._digests[other].encode())
                value = digest.hexdigest()
                for member in members:
                    self._digests[member] = value
        return self._digests[definition]

    def _external_words(self, module: str, mentioned: Iterable[str]) -> str:
        """Library names (of libraries some rule watches) this module's names of other project modules
        expand to: the prefilter's extra text. (What the module's own definitions stand for is in its
        text, as far as the declarations need: a chain through another module starts at a name of that module.)"""
        words: set[str] = set()
        for name in mentioned:
            found = self._definitions_in(name)
            if not found or self.module_of(found[0]) == module:
                continue
            for expanded in self.expand(name):
                head = expanded.split(".", 1)[0].split("(", 1)[0]
                if head == "builtins":
                    # Builtins are everywhere; another module's alias of one the rules name is not
                    # (``echo = print``, ``opener = open``): a declaration reading the file alone misses it.
                    if expanded in self.watched:
                        words.add(expanded)
                elif head in self.watched and self.external(expanded):
                    words.add(expanded)
        return "".join(f"\n{word}" for word in sorted(words))

    def compact(self) -> None:
        """Drop what only building the model and its views needed (the summaries, the digests, the
        memos of the join): forked workers then inherit only what the rules ask."""
        self.summaries = {}
        self._exports_by_module = None
        self._prefixes = {}
        self._digests = {}
        self._deps = {}
        self._memo = {}
        self._called = {}
        self._expanded = {}
        self._by_module = {}

    #: What a compacted model is made of: all a rule can ask, as JSON data (see :meth:`to_json`).
    STORED = (
        "kinds", "values", "methods", "literals", "containers", "paths", "modules", "watched", "contexts",
        "reached_from", "_unknown_callers", "shutdown_calls", "aliases", "warmups",
    )

    def to_json(self) -> dict[str, Any]:
        """The compacted model as JSON data, for the cache: a run whose summaries are all as they
        were loads it instead of joining them again."""
        by_kind: dict[str, list[str]] = {}
        for name, kind in self.kinds.items():
            by_kind.setdefault(kind, []).append(name)
        by_contexts: dict[str, list[str]] = {}
        for name, found in self.contexts.items():
            by_contexts.setdefault(",".join(sorted(found)), []).append(name)
        return {  # grouped, and without empty entries: this is read on every run that needs the model
            "kinds": by_kind,
            "values": {name: values for name, values in self.values.items() if values},
            "methods": self.methods,
            "literals": self.literals,
            "containers": self.containers,
            "paths": self.paths,
            "modules": sorted(self.modules),
            "watched": sorted(self.watched),
            "contexts": by_contexts,
            "reached_from": self.reached_from,
            "_unknown_callers": sorted(self._unknown_callers),
            "shutdown_calls": sorted(self.shutdown_calls),
            "aliases": self.aliases,
            "warmups": self.warmups,
        }

    @classmethod
    def from_json(cls, data: Any) -> ProjectModel | None:
        if not isinstance(data, dict) or set(data) != set(cls.STORED):
            return None
        try:
            model = cls()
            model.kinds = {name: kind for kind, names in data["kinds"].items() for name in names}
            model.values = dict(data["values"])
            model.methods = dict(data["methods"])
            model.literals = dict(data["literals"])
            model.containers = dict(data["containers"])
            model.paths = dict(data["paths"])
            model.modules = set(data["modules"])
            model._heads = {m.split(".", 1)[0] for m in model.modules}
            model.watched = frozenset(data["watched"])
            model.contexts = {
                name: frozenset(found.split(",")) for found, names in data["contexts"].items() for name in names
            }
            model.reached_from = {name: dict(found) for name, found in data["reached_from"].items()}
            model._unknown_callers = set(data["_unknown_callers"])
            model.shutdown_calls = frozenset(data["shutdown_calls"])
            model.aliases = {str(alias): str(module) for alias, module in data["aliases"].items()}
            model.warmups = {str(target): (str(starter), str(api)) for target, (starter, api) in data["warmups"].items()}
        except (TypeError, ValueError, AttributeError):
            return None
        return model


class ModuleView:
    """What the rules checking one module may ask the model; ``digest`` covers all of it (the cache key)."""

    __slots__ = ("model", "module", "deployed", "digest", "external")

    def __init__(
        self, model: ProjectModel | None, module: str, deployed: bool = True, digest: str = "", external: str = ""
    ) -> None:
        self.model = model
        self.module = module
        self.deployed = deployed
        self.digest = digest
        #: library names the module's project names expand to, each after a newline ("" when
        #: none): rules over them must not be skipped by a prefilter that reads only the file
        self.external = external

    def __repr__(self) -> str:
        return f"ModuleView({self.module!r}, deployed={self.deployed}, digest={self.digest!r})"

    def expand(self, qualname: str) -> frozenset[str]:
        return self.model.expand(qualname) if self.model is not None else frozenset()

    def is_lifecycle(self, function: str) -> bool:
        """Whether the model knows ``function`` runs only at startup or shutdown (its writes are configuration)."""
        return self.model is not None and self.model.is_lifecycle(function)

    def stops_the_process(self, function: str) -> bool:
        """Whether a function named like a lifecycle hook may run as the process stops (see
        :meth:`ProjectModel.stops_the_process`); True without a model, where the name is all there is."""
        return self.model is None or self.model.stops_the_process(function)

    def is_called(self, function: str) -> bool:
        """Whether anything the model sees calls ``function``; True without a model."""
        return self.model is None or self.model.is_called(function)

    def shutdown_calls(self) -> frozenset[str]:
        """What code on a shutdown path anywhere in the project calls on project objects (``svc.state.STOP.set``)."""
        return self.model.shutdown_calls if self.model is not None else frozenset()

    def container(self, qualname: str, calls: Iterable[str]) -> tuple[str, str] | None:
        """``(kind, path)`` when ``qualname`` is a module-level container of the project (a display, a
        comprehension or a call of one of ``calls``, such as ``collections.defaultdict``) defined in
        the file at ``path``; None otherwise."""
        model = self.model
        if model is None or model.kinds.get(qualname) != "value":
            return None
        module = qualname.rpartition(".")[0]
        if module not in model.modules:
            return None  # a class attribute or a deeper name: not a module-level container
        kind = model.containers.get(qualname)
        if kind is None:
            made = {v[:-2] for v in model.values.get(qualname, ()) if v.endswith("()")}
            found = sorted(made & set(calls))
            kind = found[0].rsplit(".", 1)[-1] if found else None
        return (kind, model.paths.get(module, module)) if kind is not None else None

    def project_module(self, name: str) -> bool:
        """Whether ``name`` is a module of the project (under its own name or an alias)."""
        model = self.model
        return model is not None and model.canonical(name) in model.modules

    def project_class(self, qualname: str) -> bool:
        """Whether ``qualname`` is a class the project defines."""
        return self.model is not None and self.model.kinds.get(qualname) == "class"

    def member_owner(self, klass: str, member: str) -> str | None:
        """The project class (``klass`` or a project base of it) defining ``member``: a method or a class
        or instance attribute (see :meth:`ProjectModel.member_owner`); None when none does."""
        return self.model.member_owner(klass, member) if self.model is not None else None

    def setting(self, qualnames: Iterable[str], accept: Callable[[Any], bool]) -> tuple[Any, bool, str] | None:
        """The first literal value the project gives one of ``qualnames`` (an expression's names:
        ``pkg.config.Settings().host`` stands for the class field ``Settings.host``) that ``accept``
        takes: ``(value, whether it is a settings class field's default rather than a module constant,
        the short name: Settings.host, config.HOST)``; None when there is none."""
        model = self.model
        if model is None:
            return None
        for qualname in qualnames:
            name = qualname.replace("()", "")
            if name in model.literals and accept(model.literals[name]):
                owner, _, attr = name.rpartition(".")
                return model.literals[name], model.kinds.get(owner) == "class", f"{owner.rsplit('.', 1)[-1]}.{attr}"
        return None

    def warmup(self) -> tuple[str, str, str, str] | None:
        """The first background initialisation the project starts at startup (see
        :attr:`ProjectModel.warmups`): ``(target, starter, API, path of the starter's file)``; None when none."""
        model = self.model
        if model is None or not model.warmups:
            return None
        target, (starter, api) = min(model.warmups.items())
        module = model.module_of(starter) or starter.rsplit(".", 1)[0]
        return target, starter, api, model.paths.get(module, module)

    def run_context(self, function: str) -> str | None:
        """The context a finding in ``function`` is shown in: the request path when the model knows one
        that reaches it, else the background; None when it knows neither."""
        if self.model is None:
            return None
        contexts = self.model.context(function)
        return next((c for c in (REQUEST, BACKGROUND) if c in contexts), None)

    def explain(self, function: str, what: str = "written") -> tuple[str, tuple[Related, ...]] | None:
        """``written on the request path: @get('/cart') -> views.cart() -> store.add()``: the path that makes
        a write in ``function`` matter, for a finding's hint (None when the model knows none); and each
        step with the file and name defining it (SARIF's related locations, whose lines the formats
        that link them look up: :meth:`statelint.reporters.base.Report.located_findings`)."""
        model = self.model
        context = self.run_context(function)
        if model is None or context is None:
            return None
        related = []
        for step in model.steps(function, context):
            label = _label(step)
            if not (label.startswith("@") or " " in label or label.endswith(("()", ">"))):
                label = f"{label}()"
            module = model.module_of(step) if model.kinds.get(step) == "function" else None
            path = model.paths.get(module, "") if module is not None else ""
            related.append(Related(label, path, step[len(module) + 1 :]) if module is not None and path else Related(label))
        text = f"{what} {PLACES[context]}: {' -> '.join(step.label for step in related)}"
        return text, tuple(related)


EMPTY_VIEW = ModuleView(None, "")


def watched_heads(knowledge: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The first parts of every qualified name in the rule families' knowledge (``flask`` for
    ``flask.Flask().run``): the libraries an expansion must reach to matter to some rule; and the
    builtins it names, in full (``builtins.open``), which only an alias of one reaches."""
    heads: set[str] = set()
    pending: list[Any] = list(knowledge)
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "." in value and " " not in value and not value.startswith((".", "/", "http")):
                head = value.split(".", 1)[0].split("(", 1)[0]
                heads.add(head)
                if head == "builtins" and value.count(".") == 1 and "(" not in value:
                    heads.add(value)
        elif isinstance(value, Mapping):
            pending.extend(value.values())
        elif isinstance(value, (list, tuple)):
            pending.extend(value)
    return frozenset(heads)


def _mentioned(summary: Summary) -> set[str]:
    """The qualified names a module's code mentions (values, calls, callbacks, decorators as applied)."""
    names = {v for values in summary.values.values() for v in values}
    names |= {c for calls in summary.calls.values() for c in calls}
    names |= {record[0] for records in summary.callbacks.values() for record in records}
    names |= {record[1] for records in summary.callbacks.values() for record in records}
    names |= {f"{record[0]}()" for records in summary.decorators.values() for record in records}
    names.update(summary.imports)
    return names


def _aliases(paths: Mapping[str, str], modules: set[str]) -> dict[str, str]:
    """The longer dotted names each module may be imported as: the folders above its package chain
    (``app.core.config`` for module ``core.config`` at ``app/core/config.py``), when only one module
    can be meant and no module has that name."""
    found: dict[str, set[str]] = {}
    for module, path in paths.items():
        parts = path.replace("\\", "/").removesuffix(".py").split("/")
        if parts[-1] == "__init__":
            parts.pop()
        size = module.count(".") + 1
        if ".".join(parts[-size:]) != module:
            continue  # a path that does not end in the module's own name (should not happen)
        for length in range(size + 1, len(parts) + 1):
            if not all(part.isidentifier() for part in parts[-length:]):
                break
            found.setdefault(".".join(parts[-length:]), set()).add(module)
    return {alias: next(iter(owners)) for alias, owners in sorted(found.items()) if len(owners) == 1 and alias not in modules}


def _label(step: str) -> str:
    """A path step as a message shows it: roots as they are, functions by their short name."""
    return step if step.startswith("@") or " " in step or step.endswith("()") else _short(step)


def _short(qualname: str) -> str:
    """``views.rate`` for ``shop.views.rate``: the last two parts, as a message names a function."""
    return ".".join(qualname.replace(".<locals>", "").split(".")[-2:])


def _terminal(qualname: str) -> str:
    return qualname.removesuffix("()").rsplit(".", 1)[-1].split("(", 1)[0]


def not_deployed(path: str, patterns: Iterable[str]) -> bool:
    """Whether ``path`` (relative to the project root, forward slashes) matches a not-deployed pattern.

    A pattern with no slash matches any one path component (``tests`` matches ``a/tests/b.py``)
    or the file name (``test_*.py``); one with a slash matches the path from the root.
    """
    return _not_deployed_pattern(tuple(patterns)).search(path) is not None


@lru_cache(maxsize=8)
def _not_deployed_pattern(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regular expression for all the patterns (checked for every file of every run)."""
    parts = []
    for pattern in patterns:
        pattern = pattern.strip("/")
        if not pattern:
            continue
        body = fnmatch.translate(pattern).removeprefix("(?s:").removesuffix(")\\Z")
        if "/" in pattern:
            parts.append(f"^(?:{body})(?:/|$)")
        else:  # one component: no slash inside it
            parts.append(f"(?:^|/)(?:{body.replace('.*', '[^/]*')})(?:/|$)")
    return re.compile("|".join(parts) or "(?!)", re.DOTALL)
