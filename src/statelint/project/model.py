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
  ``__main__``, app factories, startup hooks), ``shutdown`` (signal and exit handlers),
  or none of them: *unknown* (no caller the model can see). The roots are catalog data
  (``rules/sl0.yaml``, ``knowledge.contexts``).

Code in files that are not deployed (tests, examples, docs, scripts; see the
``not-deployed`` setting) defines names like any other, but its calls make nothing
reachable: a test calling ``load()`` does not put ``load`` on the request path.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any

from statelint.digests import blake2b
from statelint.project.summary import MAIN, MODULE, Summary

REQUEST = "request"
BACKGROUND = "background"
STARTUP = "startup"
SHUTDOWN = "shutdown"
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
        self.modules: set[str] = set()
        self._heads: set[str] = set()  # first parts of the module names
        self.contexts: dict[str, frozenset[str]] = {}
        #: function -> (caller, context) that first made it reachable: the path a message shows
        self.reached_from: dict[str, tuple[str, str]] = {}
        #: functions called from code whose context is unknown (or handed to an unknown API)
        self._unknown_callers: set[str] = set()
        self._expanded: dict[str, frozenset[str]] = {}

    @classmethod
    def build(cls, summaries: Iterable[tuple[Summary, bool]], knowledge: Mapping[str, Any]) -> ProjectModel:
        """Join ``(summary, deployed)`` pairs; ``knowledge`` is ``rules/sl0.yaml``'s ``contexts``."""
        model = cls(knowledge)
        for summary, deployed in summaries:
            name = summary.module
            if name in model.summaries:  # two roots with one module name: the first wins, as on sys.path
                continue
            model.summaries[name] = summary
            model.deployed[name] = deployed
            model.modules.add(name)
            model._heads.add(name.split(".", 1)[0])
            for qualname, kind in summary.kinds.items():
                model.kinds.setdefault(qualname, kind)
            for qualname, values in summary.values.items():
                model.values.setdefault(qualname, values)
            for qualname, methods in summary.methods.items():
                model.methods.setdefault(qualname, methods)
        model._compute_contexts()
        return model

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
            return []
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
            out = [f"{base}{calls}{tail}" for base in self.values.get(qualname, ())]
            if calls == "()" and rest:  # an instance's method: X().m -> X.m, in X or a project base
                method = rest.split(".", 1)[0].split("(", 1)[0]
                owner = self.method_owner(qualname, method)
                if owner is not None:
                    out.append(f"{owner}.{rest}")
            return out
        return [f"{value}{calls}{tail}" for value in self.values.get(qualname, ())]

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

    def external(self, qualname: str) -> bool:
        """Whether ``qualname`` names something outside the project (a library)."""
        head = qualname.split("(", 1)[0]
        parts = head.split(".")
        return not any(".".join(parts[:i]) in self.modules for i in range(1, len(parts) + 1))

    # -- functions a call reaches ---------------------------------------------------------
    def functions_called(self, qualname: str) -> list[str]:
        """The project functions a call of ``qualname`` runs: the function itself, a class's
        ``__init__`` (or its project base's), a method through an instance, through expansion."""
        out: list[str] = []
        for name in (qualname, *sorted(self.expand(qualname))):
            kind = self.kinds.get(name)
            if kind == "function":
                out.append(name)
            elif kind == "class":
                owner = self.method_owner(name, "__init__")
                if owner is not None:
                    out.append(f"{owner}.__init__")
            elif name.endswith("()"):
                continue
        return out

    # -- run contexts ------------------------------------------------------------------------
    def context(self, function: str) -> frozenset[str]:
        """The contexts ``function`` runs in; empty when unknown."""
        return self.contexts.get(function, frozenset())

    def is_lifecycle(self, function: str) -> bool:
        """Whether every known caller of ``function`` runs at startup or shutdown (and some does)."""
        found = self.contexts.get(function)
        return bool(found) and found <= LIFECYCLE and function not in self._unknown_callers

    def _compute_contexts(self) -> None:
        roots: dict[str, set[str]] = {}
        edges: dict[str, set[str]] = {}  # caller -> callees (project functions)
        self._unknown_callers = set()
        knowledge = self.knowledge
        for module, summary in self.summaries.items():
            if not self.deployed.get(module, True):
                continue
            for caller, callees in summary.calls.items():
                source = self._caller(module, caller)
                for callee in callees:
                    for function in self.functions_called(callee):
                        edges.setdefault(source, set()).add(function)
            for caller, records in summary.callbacks.items():
                source = self._caller(module, caller)
                for api, callback, literal in records:
                    targets = self.functions_called(callback) or self._bound_methods(callback)
                    context = self._callback_context(api, literal, knowledge)
                    for function in targets:
                        if context is None:
                            # Handed to an API the catalog does not know: it may run at any time.
                            self._unknown_callers.add(function)
                        else:
                            roots.setdefault(function, set()).add(context)
                            self.reached_from.setdefault(function, (api, context))
            for function, decorators in summary.decorators.items():
                for decorator, literal in decorators:
                    context = self._decorator_context(decorator, literal, knowledge)
                    if context is not None and self.kinds.get(function) == "function":
                        roots.setdefault(function, set()).add(context)
                        self.reached_from.setdefault(function, (decorator, context))
            for klass, methods in summary.methods.items():
                found = self._class_context(klass, knowledge)
                if found is not None:
                    context, only = found
                    for method in methods:
                        if (method in only) if only else not (method.startswith("__") and method.endswith("__")):
                            roots.setdefault(f"{klass}.{method}", set()).add(context)
                            self.reached_from.setdefault(f"{klass}.{method}", (klass, context))
            for function, kind in summary.kinds.items():
                if kind == "function" and self._is_app_factory(function, knowledge):
                    roots.setdefault(function, set()).add(STARTUP)
                    self.reached_from.setdefault(function, ("app factory", STARTUP))
        contexts: dict[str, set[str]] = {name: set(found) for name, found in roots.items()}
        for source in edges:
            if source.endswith((f".{MODULE}", f".{MAIN}")):
                contexts.setdefault(source, set()).add(STARTUP)
        # Propagate callers' contexts to callees, to a fixed point (contexts only grow).
        pending = list(contexts)
        while pending:
            caller = pending.pop()
            mine = contexts.get(caller, set())
            for callee in edges.get(caller, ()):
                theirs = contexts.setdefault(callee, set())
                if not mine <= theirs:
                    for context in mine - theirs:
                        self.reached_from.setdefault(callee, (caller, context))
                    theirs |= mine
                    pending.append(callee)
        # A function called from one whose context is unknown may run anywhere.
        unknown_sources = [s for s in edges if not contexts.get(s)] + sorted(self._unknown_callers)
        seen: set[str] = set()
        while unknown_sources:
            source = unknown_sources.pop()
            for callee in edges.get(source, ()):
                if callee not in seen:
                    seen.add(callee)
                    self._unknown_callers.add(callee)
                    unknown_sources.append(callee)
        self.contexts = {name: frozenset(found) for name, found in contexts.items() if found}

    def _caller(self, module: str, caller: str) -> str:
        return f"{module}.{caller}" if caller in (MODULE, MAIN) else caller

    def _bound_methods(self, callback: str) -> list[str]:
        """``self._status`` resolved as ``pkg.App()._status``: the method of the project class."""
        return [name for name in self.expand(callback) if self.kinds.get(name) == "function"]

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
        for context, key in ((REQUEST, "request_decorators"), (BACKGROUND, "background_decorators")):
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
        for context, key in ((REQUEST, "request_classes"), (BACKGROUND, "background_classes")):
            entry = knowledge.get(key, {})
            suffixes = tuple(entry.get("suffixes", ()))
            if bases & set(entry.get("names", ())) or (
                suffixes and any(b.endswith(suffixes) and self.external(b) for b in bases)
            ):
                return context, tuple(entry.get("methods", ()))
        return None

    def _is_app_factory(self, function: str, knowledge: Mapping[str, Any]) -> bool:
        apps = set(knowledge.get("apps", ()))
        if not apps or not self.values.get(function):
            return False
        return bool(self.expand(f"{function}()") & apps)

    # -- what one file's analysis may see --------------------------------------------------------
    def view(self, module: str) -> ModuleView:
        """The part of the model the rules see while checking ``module`` (see :class:`ModuleView`)."""
        summary = self.summaries.get(module)
        if summary is None:
            return ModuleView(self, module, True, "")
        deployed = self.deployed.get(module, True)
        contexts = {
            name: sorted(found) + (["unknown"] if name in self._unknown_callers else [])
            for name, found in self.contexts.items()
            if name.startswith(f"{module}.") and self.kinds.get(name) == "function"
        }
        reached = self._reachable(summary)
        digest = blake2b(digest_size=16)
        digest.update(repr((deployed, sorted(contexts.items()))).encode("utf-8", "surrogatepass"))
        for name in sorted(reached):
            digest.update(repr((name, self.kinds.get(name), self.values.get(name), self.methods.get(name))).encode("utf-8", "surrogatepass"))
        return ModuleView(self, module, deployed, digest.hexdigest(), external=self._external_words(summary))

    def _reachable(self, summary: Summary) -> set[str]:
        """The definitions of other modules this module's names may expand through."""
        pending = sorted(_mentioned(summary))
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            parts = name.split("(", 1)[0].split(".")
            for index in range(1, len(parts) + 1):
                prefix = ".".join(parts[:index])
                if prefix in self.kinds and prefix not in seen:
                    seen.add(prefix)
                    pending.extend(self.values.get(prefix, ()))
                    for method in self.methods.get(prefix, ()):
                        method_name = f"{prefix}.{method}"
                        if method_name not in seen:
                            seen.add(method_name)
                            pending.extend(self.values.get(method_name, ()))
        return seen

    def _external_words(self, summary: Summary) -> str:
        """Library names this module's project names expand to: the prefilter's extra text."""
        names = _mentioned(summary)
        words: set[str] = set()
        for name in names:
            if self.external(name):
                continue
            for expanded in self.expand(name):
                if self.external(expanded) and not expanded.startswith("builtins."):
                    words.add(expanded)
        return "".join(f"\n{word}" for word in sorted(words))


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

    def context(self, function: str) -> frozenset[str]:
        return self.model.context(function) if self.model is not None else frozenset()

    def is_lifecycle(self, function: str) -> bool:
        """Whether the model knows ``function`` runs only at startup or shutdown (its writes are configuration)."""
        return self.model is not None and self.model.is_lifecycle(function)


EMPTY_VIEW = ModuleView(None, "")


def _mentioned(summary: Summary) -> set[str]:
    """The qualified names a module's code mentions (values, calls, callbacks, decorators as applied)."""
    names = {v for values in summary.values.values() for v in values}
    names |= {c for calls in summary.calls.values() for c in calls}
    names |= {record[0] for records in summary.callbacks.values() for record in records}
    names |= {record[1] for records in summary.callbacks.values() for record in records}
    names |= {f"{record[0]}()" for records in summary.decorators.values() for record in records}
    return names


def _terminal(qualname: str) -> str:
    return qualname.removesuffix("()").rsplit(".", 1)[-1].split("(", 1)[0]


def not_deployed(path: str, patterns: Iterable[str]) -> bool:
    """Whether ``path`` (relative to the project root, forward slashes) matches a not-deployed pattern.

    A pattern with no slash matches any one path component (``tests`` matches ``a/tests/b.py``)
    or the file name (``test_*.py``); one with a slash matches the path from the root.
    """
    parts = path.split("/")
    for pattern in patterns:
        pattern = pattern.strip("/")
        if "/" in pattern:
            if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern + "/*"):
                return True
        elif any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return True
    return False
