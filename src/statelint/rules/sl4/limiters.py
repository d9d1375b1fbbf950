"""SL401-SL402: rate limiters and circuit breakers from libraries, kept in process memory.

One detector serves both rules: it finds the catalog's constructors
(``knowledge.limiters`` / ``knowledge.breakers``) and classifies where each keeps
its state: an explicit storage argument (a URI, a bucket, a storage object), a
value followed through module constants, environment defaults and settings
classes, or the library default. A Limiter left on its default storage may still
be configured elsewhere (``RATELIMIT_STORAGE_URI`` in a config module), so SL401
defers that verdict to the project-wide join of per-file facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import libcst as cst

from statelint.analyses.state import local_aliases, terminal
from statelint.analyses.state_code import calls_in
from statelint.analyses.syntax import ABSENT as _ABSENT
from statelint.analyses.syntax import UNKNOWN as _UNKNOWN
from statelint.analyses.syntax import argument, literal_string
from statelint.catalog import RuleDoc
from statelint.engine.names import Scope
from statelint.engine.requirements import Requires
from statelint.model import Finding, Span
from statelint.rules.base import Rule, compose_hint
from statelint.rules.sl4._django import DjangoLimiters, django_findings

_MAX_DEPTH = 6
MEMORY = "memory"
SHARED = "shared"


@dataclass(frozen=True)
class Verdict:
    kind: str  # MEMORY or SHARED
    origin: str = ""  # "the environment default of X", ...
    source: cst.CSTNode | None = None  # the literal that decided it


class _StorageDetector(Rule):
    """Finds the catalog's limiter or breaker constructors and judges where they keep state."""

    family_key: ClassVar[str]  # "limiters" or "breakers"
    extra_option: ClassVar[str]
    extra_lifetime: ClassVar[str]

    @classmethod
    def entries(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        extra = [
            {"name": q.rsplit(".", 1)[-1], "calls": [q], "always": True, "lifetime": cls.extra_lifetime}
            for q in options.get(cls.extra_option, ())
        ]
        return [*knowledge.get(cls.family_key, ()), *extra]

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        heads = {call.split(".")[0] for entry in cls.entries(knowledge, options) for call in entry["calls"]}
        return tuple(sorted(heads))

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.calls = {call: entry for entry in self.entries(self.knowledge, self.options) for call in entry["calls"]}
        self.tails = {call.rsplit(".", 1)[-1] for call in self.calls}
        self.long_lived: set[int] = set()  # calls stored on attributes or used as decorators
        self.subclasses: dict[str, cst.ClassDef] = {}  # this module's subclasses of the catalog's classes
        self.returned: set[int] = set()  # calls a function returns as they are made
        self.given: set[int] = set()  # in-memory storages given to a limiter already reported

    def bind(self, ctx: Any) -> None:
        super().bind(ctx)
        self.tails |= local_aliases(ctx, self.calls)  # `from slowapi import Limiter as SlowLimiter`
        module = ctx.resolver.module_scope
        for name, bindings in module.names.items():  # `class PaymentBreaker(CircuitBreaker)`
            for binding in bindings:
                node = binding.node
                if isinstance(node, cst.ClassDef) and any(ctx.match(b.value, self.calls, module) for b in node.bases):
                    self.tails.add(name)
                    self.subclasses[name] = node
                elif binding.kind == "import" and binding.target and not ctx.project.expand(binding.target).isdisjoint(self.calls):
                    self.tails.add(name)  # `from app.cooldowns import SpamCooldown`, a subclass of another module

    # -- collection ------------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call) and any(not isinstance(t.target, cst.Name) for t in node.targets):
            self.long_lived.add(id(node.value))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.value, cst.Call) and not isinstance(node.target, cst.Name):
            self.long_lived.add(id(node.value))

    def visit_Return(self, node: cst.Return) -> None:
        if isinstance(node.value, cst.Call):
            self.returned.add(id(node.value))

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self.long_lived.add(id(node.decorator))
        if not isinstance(node.decorator, cst.Call):
            entry = self._entry(node.decorator)
            if entry is not None and entry.get("always"):
                self.found(entry, node.decorator, Verdict(MEMORY))

    def visit_Call(self, node: cst.Call) -> None:
        entry = self._entry(node.func)
        if entry is None or id(node) in self.given or not self._lives_long(entry, node):
            return
        verdict = self.storage(entry, node)
        if verdict is not None:
            if verdict.kind == MEMORY and isinstance(verdict.source, cst.Call):
                self.given.add(id(verdict.source))  # `Limiter(InMemoryBucket(...))`: one finding, at the limiter
            self.found(entry, node, verdict)

    def _entry(self, func: cst.BaseExpression) -> Mapping[str, Any] | None:
        if terminal(func) not in self.tails:
            return None
        name = self.ctx.match(func, self.calls)
        return self.calls[name] if name is not None else None

    def _lives_long(self, entry: Mapping[str, Any], node: cst.Call) -> bool:
        if entry.get("lifetime") != "long":
            return True
        scope = self.ctx.scope
        if scope.kind in ("module", "class") or id(node) in self.long_lived:
            return True
        # `def make_limiter(): return Limiter(...)`, which only the process's startup calls: what it
        # returns is what the caller keeps (`limiter = make_limiter()` at module level)
        return id(node) in self.returned and scope.kind == "function" and self.ctx.project.is_lifecycle(scope.prefix)

    # -- classification -----------------------------------------------------------------
    def storage(self, entry: Mapping[str, Any], node: cst.Call) -> Verdict | None:
        """Where a constructor keeps its state: MEMORY, SHARED, or None when unknown."""
        if entry.get("always"):
            return Verdict(MEMORY)
        call = self._library_call(entry, node)
        if call is None:
            return None
        if entry.get("bucket"):
            return self._bucket(entry, call)
        spec = entry.get("storage") or {}
        limit = entry.get("positional_limit")
        if limit is not None and sum(1 for a in call.args if a.keyword is None) >= limit:
            return None
        value = argument(call, spec.get("keyword"), spec.get("position"))
        if value is _UNKNOWN:
            return None
        if value is _ABSENT:
            return self.absent(entry, call)
        return self.classify(value, entry, self.ctx.scope, 0)

    def _library_call(self, entry: Mapping[str, Any], node: cst.Call) -> cst.Call | None:
        """The call whose arguments are the library's: ``node``, or for a project subclass that defines
        ``__init__`` in this module, its ``super().__init__(...)``. None when that cannot be seen: a
        subclass of another module with its own ``__init__``, or one that keys discord.py buckets itself
        (``_bucket_key``)."""
        own = ("__init__", "_bucket_key") if entry.get("bucket") else ("__init__",)
        klass = self.subclasses.get(node.func.value) if isinstance(node.func, cst.Name) else None
        if klass is None:
            project = self.ctx.project
            names = self.ctx.qualnames(node.func)
            defined = next((name for name in names if project.project_class(name)), None)
            if defined is None:
                return node if any(name in self.calls for name in names) else None
            # a subclass of another module, through the project model
            return node if all(project.member_owner(defined, member) is None for member in own) else None
        if any(_method(klass, member) is not None for member in own[1:]):
            return None
        init = _method(klass, "__init__")
        if init is None:
            return node
        return next((c for c in calls_in(init) if _is_super_init(c)), None)

    def _bucket(self, entry: Mapping[str, Any], call: cst.Call) -> Verdict | None:
        """A discord.py cooldown: in memory, and reported only when its buckets span the guilds that
        each shard process holds (``knowledge.discord_buckets``)."""
        spec = entry["bucket"]
        value = argument(call, spec.get("keyword"), spec.get("position"))
        if value is _UNKNOWN:
            return None
        buckets = self.knowledge.get("discord_buckets", {})
        if value is _ABSENT:
            kind, shown = spec.get("default"), f"no {spec.get('keyword', 'type')}"
        else:
            types = tuple(f"{t}." for t in buckets.get("types", ()))
            kinds = {n.removeprefix(t) for n in self.ctx.qualnames(value) for t in types if n.startswith(t)}
            kind = min(kinds) if len(kinds) == 1 else None
            shown = f"BucketType.{kind}"
        if kind not in buckets.get("spanning", ()):
            return None  # keyed within one guild (one shard process sees it all), or unknown
        what = "one bucket for the bot" if kind == "default" else f"per {kind} across guilds"
        return Verdict(MEMORY, f"{shown}: {what}")

    def absent(self, entry: Mapping[str, Any], node: cst.Call) -> Verdict | None:
        default = entry.get("default")
        if isinstance(default, str) and (default == MEMORY or self._scheme_kind(default) == MEMORY):
            return Verdict(MEMORY, "the library default")
        return None

    def classify(self, node: cst.CSTNode, entry: Mapping[str, Any], scope: Scope, depth: int) -> Verdict | None:
        if depth > _MAX_DEPTH:
            return None
        text = literal_string(node)
        if text is not None:
            kind = self._scheme_kind(text)
            return Verdict(kind, "", node) if kind else None
        if isinstance(node, cst.FormattedString):
            return self._formatted(node)
        if isinstance(node, (cst.List, cst.Tuple)) and node.elements:
            verdicts = [self.classify(e.value, entry, scope, depth + 1) for e in node.elements]
            return _all_memory(verdicts)
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            fallback = self.classify(node.right, entry, scope, depth + 1)
            if fallback is not None and fallback.kind == MEMORY:
                return Verdict(MEMORY, fallback.origin or "the fallback after `or`", fallback.source)
            return fallback
        named = self._by_name(node, entry, scope)
        if named is not None:
            return named
        if isinstance(node, cst.Call):
            return self._env_default(node, entry, scope, depth)
        if isinstance(node, cst.Name):
            return self._follow(node, entry, scope, depth)
        if isinstance(node, cst.Attribute):
            return self._setting(node, entry, scope, depth)
        return None

    def _by_name(self, node: cst.CSTNode, entry: Mapping[str, Any], scope: Scope) -> Verdict | None:
        """Storage objects named by the catalog: CircuitRedisStorage(...), Rate(...), RedisBucket ..."""
        memory, shared = set(entry.get("memory", ())), set(entry.get("shared", ()))
        if not (memory or shared) or not isinstance(node, (cst.Name, cst.Attribute, cst.Call)):
            return None
        names = self.ctx.qualnames(node, scope)
        if names & shared:
            return Verdict(SHARED)
        if names & memory:
            short = min(names & memory).rsplit(".", 1)[-1].replace("()", "(...)")
            return Verdict(MEMORY, f"given `{short}`", node)
        return None

    def _formatted(self, node: cst.FormattedString) -> Verdict | None:
        head = node.parts[0] if node.parts else None
        if isinstance(head, cst.FormattedStringText) and "://" in head.value:
            kind = self._scheme_kind(head.value)
            return Verdict(kind, "", node) if kind else None
        return None

    def _env_default(self, node: cst.Call, entry: Mapping[str, Any], scope: Scope, depth: int) -> Verdict | None:
        if self.ctx.match(node.func, set(self.knowledge.get("field_defaults", ())), scope):
            default = argument(node, "default", 0)  # pydantic Field("memory://"), dataclasses.field(default=...)
            return self.classify(default, entry, scope, depth + 1) if isinstance(default, cst.CSTNode) else None
        if not self.ctx.match(node.func, set(self.knowledge.get("env_getters", ())), scope):
            return None
        default = argument(node, "default", 1)
        if default is _ABSENT or default is _UNKNOWN:
            return None  # read from the environment without a default: deployment configuration
        found = self.classify(default, entry, scope, depth + 1)
        if found is None or found.kind != MEMORY:
            return found
        variable = literal_string(node.args[0].value) if node.args else None
        origin = f"the environment default of {variable}" if variable else "an environment default"
        return Verdict(MEMORY, origin, found.source)

    def _follow(self, node: cst.Name, entry: Mapping[str, Any], scope: Scope, depth: int) -> Verdict | None:
        bindings = self.ctx.resolver.lookup(node.value, scope)
        verdicts = [self.classify(b.value, entry, b.scope, depth + 1) for b in bindings if b.kind == "assign" and b.value is not None]
        if not verdicts and any(b.kind == "import" for b in bindings):
            return self._project_setting(node, scope)  # a constant of another module
        return _all_memory(verdicts)

    def _project_setting(self, node: cst.BaseExpression, scope: Scope) -> Verdict | None:
        """A name or attribute the project model knows a literal URI of, in another module: a module
        constant, or a settings class field's default (``settings.RATELIMIT_STORAGE``)."""
        found = self.ctx.project.setting(self.ctx.qualnames(node, scope), lambda v: isinstance(v, str) and self._scheme_kind(v) is not None)
        if found is None:
            return None
        value, in_class, name = found
        kind = self._scheme_kind(value)
        if kind != MEMORY:
            return Verdict(kind)  # type: ignore[arg-type]
        return Verdict(MEMORY, f"the value of {'setting' if in_class else 'constant'} {name}")

    def _setting(self, node: cst.Attribute, entry: Mapping[str, Any], scope: Scope, depth: int) -> Verdict | None:
        """``settings.X`` where a class of this module gives X a default."""
        attr = node.attr.value
        module = self.ctx.resolver.module_scope
        for qualname in self.ctx.qualnames(node.value, scope):
            owner = qualname.removesuffix("()")
            for binding in module.bindings(owner.rsplit(".", 1)[-1]):
                if binding.kind == "class" and binding.target == owner and isinstance(binding.node, cst.ClassDef):
                    value = _class_attribute(binding.node, attr)
                    if value is not None:
                        found = self.classify(value, entry, module, depth + 1)
                        if found is not None and found.kind == MEMORY:
                            origin = found.origin or f"the default of setting {owner.rsplit('.', 1)[-1]}.{attr}"
                            return Verdict(MEMORY, origin, found.source)
                        return found
        return self._project_setting(node, scope)  # a class or module of another file

    def _scheme_kind(self, text: str) -> str | None:
        scheme, sep, _ = text.strip().partition("://")
        if not sep:
            return None
        return MEMORY if scheme.lower() in self.knowledge.get("memory_schemes", ()) else SHARED

    # -- reporting ---------------------------------------------------------------------
    def found(self, entry: Mapping[str, Any], node: cst.CSTNode, verdict: Verdict) -> None:
        raise NotImplementedError


def _all_memory(verdicts: list[Verdict | None]) -> Verdict | None:
    known = [v for v in verdicts if v is not None]
    if not known or len(known) != len(verdicts):
        return None
    if all(v.kind == MEMORY for v in known):
        return known[0]
    return Verdict(SHARED)


def _class_attribute(node: cst.ClassDef, name: str) -> cst.BaseExpression | None:
    if not isinstance(node.body, cst.IndentedBlock):
        return None
    for statement in node.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.target.value == name:
                return small.value
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    if isinstance(target.target, cst.Name) and target.target.value == name:
                        return small.value
    return None


def _method(node: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    if not isinstance(node.body, cst.IndentedBlock):
        return None
    return next((s for s in node.body.body if isinstance(s, cst.FunctionDef) and s.name.value == name), None)


def _is_super_init(call: cst.Call) -> bool:
    """``super().__init__(...)``."""
    func = call.func
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value == "__init__"
        and isinstance(func.value, cst.Call)
        and isinstance(func.value.func, cst.Name)
        and func.value.func.value == "super"
    )


def _headline(entry: Mapping[str, Any], verdict: Verdict, keeps: str) -> str:
    """``keeps``: how the message says what is in memory (``counts``, ``keeps its state``)."""
    if verdict.origin == "the library default":
        return f"{entry['name']} is created without a storage, and its default is in process memory"
    if verdict.origin:
        return f"{entry['name']} {keeps} in process memory ({verdict.origin})"
    return f"{entry['name']} {keeps} in process memory"


class InMemoryRateLimiter(_StorageDetector):
    code = "SL401"
    # a limiter made or applied here, or a storage setting the project-wide join needs
    # a limiter made or applied here, a storage setting the project-wide join needs, or what the
    # Django cache join needs: a limiter counting in Django's cache, its settings, CACHES, a settings module
    requires = Requires(
        calls=["limiters.calls", "django_cache_limiters.calls", "django_cache_limiters.decorators"],
        options=["extra-limiter-classes"],
        mentions=[
            "limiters.config_keys", "django_settings_words", "django_cache_limiters.settings_key",
            "django_cache_limiters.attribute", "django_cache_limiters.alias_setting",
            "django_cache_limiters.enable_setting", "django_cache_limiters.setting",
        ],
    )
    family_key = "limiters"
    extra_option = "extra-limiter-classes"
    extra_lifetime = "long"

    @classmethod
    def prefilter(cls, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, ...]:
        words = {"RATELIMIT_STORAGE", *knowledge.get("django_settings_words", ())}
        for entry in knowledge.get("django_cache_limiters", ()):
            words.update(name.split(".")[0] for key in ("calls", "decorators", "classes") for name in entry.get(key, ()))
            words.update(entry[key] for key in ("settings_key", "attribute", "alias_setting", "enable_setting", "setting") if entry.get(key))
        return tuple(sorted({*super().prefilter(knowledge, options), *words}))

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.keys = {key for entry in self.knowledge.get("limiters", ()) for key in entry.get("config_keys", ())}
        self.settings: list[tuple[str, cst.BaseExpression, Scope]] = []
        self.reported: set[int] = set()  # literals already reported through a limiter
        self.django: DjangoLimiters | None = None

    def bind(self, ctx: Any) -> None:
        super().bind(ctx)
        self.django = DjangoLimiters(self)

    def found(self, entry: Mapping[str, Any], node: cst.CSTNode, verdict: Verdict) -> None:
        if verdict.kind != MEMORY:
            return
        message = _headline(entry, verdict, "counts")
        keys = entry.get("config_keys")
        if verdict.origin == "the library default" and keys:
            span = self.span(node)
            self.fact({"site": [span.line, span.column, span.end_line, span.end_column], "keys": list(keys), "message": message})
            return
        if verdict.source is not None:
            self.reported.add(id(verdict.source))
        self.report(node, message)

    # -- configuration keys ------------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        for target in node.targets:
            key = self._key_of_target(target.target)
            if key is not None:
                self.settings.append((key, node.value, self.ctx.scope))
            self._django.assign(target.target, node.value, self.ctx.scope)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        super().visit_AnnAssign(node)
        key = self._key_of_target(node.target)
        if key is not None and node.value is not None:
            self.settings.append((key, node.value, self.ctx.scope))
        self._django.assign(node.target, node.value, self.ctx.scope)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._django.settings.augmented(node.target)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None and node.keyword.value in self.keys:
            self.settings.append((node.keyword.value, node.value, self.ctx.scope))
        self._django.settings.keyword(node, self.ctx.scope)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = literal_string(node.key)
        if key in self.keys:
            self.settings.append((key, node.value, self.ctx.scope))
        self._django.dict_element(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if self.ctx.scope.kind == "module":
            self._django.settings.star_import(node)

    @property
    def _django(self) -> DjangoLimiters:
        assert self.django is not None, "bind() first"
        return self.django

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        self._django.call(node, self.ctx.scope)
        if terminal(node.func) == "setdefault" and len(node.args) >= 2:
            key = literal_string(node.args[0].value)
            if key in self.keys:
                self.settings.append((key, node.args[1].value, self.ctx.scope))

    def _key_of_target(self, target: cst.BaseExpression) -> str | None:
        if isinstance(target, cst.Subscript) and len(target.slice) == 1:
            index = target.slice[0].slice
            key = literal_string(index.value) if isinstance(index, cst.Index) else None
        else:
            key = terminal(target) if isinstance(target, (cst.Name, cst.Attribute)) else None
        return key if key in self.keys else None

    def leave_Module(self, node: cst.Module) -> None:
        self._django.finish()
        self.django = None  # it points back at the rule: break the cycle, so the trees are freed without the collector
        entry = {"name": "the rate-limit storage setting"}
        for key, value, scope in self.settings:
            # Configured, whatever it selects: a limiter left on the library default then uses it, and an
            # in-memory choice is reported here, once, where it is fixed (not again at every limiter).
            self.fact({"config": key})
            verdict = self.classify(value, entry, scope, 0)
            if verdict is None or verdict.kind != MEMORY:
                continue
            if verdict.source is None or id(verdict.source) not in self.reported:
                origin = f" ({verdict.origin})" if verdict.origin else ""
                self.report(value, f"{key} selects in-memory storage{origin}")

    @classmethod
    def check_project(
        cls, facts: Mapping[str, list[Any]], doc: RuleDoc, options: Mapping[str, Any], knowledge: Mapping[str, Any]
    ) -> Iterable[Finding]:
        configured = {r["config"] for records in facts.values() for r in records if "config" in r}
        for path in sorted(facts):
            for record in facts[path]:
                if "keys" in record and not configured & set(record["keys"]):
                    yield cls.make_finding(doc, path, Span(*record["site"]), record["message"])
        for path, span, message, lead in django_findings(facts, knowledge):
            yield cls.make_finding(doc, path, Span(*span), message, compose_hint(doc, lead))


class InMemoryCircuitBreaker(_StorageDetector):
    code = "SL402"
    requires = Requires(calls=["breakers.calls"], options=["extra-breaker-classes"])  # a breaker made or applied here
    family_key = "breakers"
    extra_option = "extra-breaker-classes"
    extra_lifetime = "any"

    def found(self, entry: Mapping[str, Any], node: cst.CSTNode, verdict: Verdict) -> None:
        if verdict.kind == MEMORY:
            self.report(node, _headline(entry, verdict, "keeps its state"))
