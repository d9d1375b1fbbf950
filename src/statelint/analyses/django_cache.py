"""Django's cache framework as SL104 and SL401 see it: per-file facts, joined over the project.

Whether a cache lives in each process is a project-wide question: the settings module says
which backend each alias has (``CACHES``), or says nothing, and then Django's default is a
``LocMemCache``; the code that caches (``cache_page``, ``cache.get``) or limits with it (DRF
throttles, django-ratelimit) is elsewhere. Each file records what it shows
(:class:`CacheSettings`), and :func:`alias_verdict` joins the records of a scan. Evidence is
required both ways: no finding says "CACHES is not set" without a settings module that sets
``INSTALLED_APPS`` and nothing else that may define names at run time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import libcst as cst

from statelint.analyses.syntax import literal_string
from statelint.engine.names import Scope

LOCAL = "local"
OTHER = "other"

#: Facts: ``{"django_settings": span, "dynamic": bool}``, ``{"caches": {alias: [kind, span]} | None}``
#: (None: CACHES is set in a way statelint cannot read), ``{"setting": key, "value": str | bool | None, "site": span}``.
Facts = Mapping[str, list[Any]]


class CacheSettings:
    """Collects one file's facts about Django's cache configuration for ``rule`` (``rule.fact``)."""

    def __init__(self, rule: Any, spec: Mapping[str, Any], local_backends: Iterable[str], watched: Iterable[str] = ()) -> None:
        self.rule = rule
        self.marker = spec.get("settings_marker", "INSTALLED_APPS")
        self.setting = spec.get("setting", "CACHES")
        self.dynamic_calls = frozenset(spec.get("dynamic_calls", ()))
        self.local = frozenset(local_backends)
        self.watched = frozenset(watched)  # other settings the rule needs: RATELIMIT_USE_CACHE ...
        self.settings_site: list[int] | None = None
        self.dynamic = False

    # -- collection (forwarded from the rule's visits) ------------------------------------------
    def assign(self, target: cst.BaseExpression, value: cst.BaseExpression | None, scope: Scope) -> None:
        if isinstance(target, cst.Name):
            name = target.value
            if scope.kind not in ("module", "class") or value is None:
                return
            if name == self.marker and scope.kind == "module" and self.settings_site is None:
                self.settings_site = self._span(target)
            elif name == self.setting:
                self.rule.fact({"caches": self.caches(value, scope)})
            elif name in self.watched:
                self.rule.fact({"setting": name, "value": _literal(value), "site": self._span(value)})
        elif _root(target) == self.setting:  # CACHES["default"] = ..., CACHES["default"]["BACKEND"] = ...
            self.rule.fact({"caches": None})

    def augmented(self, target: cst.BaseExpression) -> None:
        """``CACHES |= {...}``: set in a way the join cannot read."""
        if _root(target) == self.setting:
            self.rule.fact({"caches": None})

    def keyword(self, node: cst.Arg, scope: Scope) -> None:
        """``settings.configure(CACHES={...}, RATELIMIT_USE_CACHE="x")``."""
        if node.keyword is None:
            return
        if node.keyword.value == self.setting:
            self.rule.fact({"caches": self.caches(node.value, scope)})
        elif node.keyword.value in self.watched:
            self.rule.fact({"setting": node.keyword.value, "value": _literal(node.value), "site": self._span(node.value)})

    def call(self, node: cst.Call, scope: Scope) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and _root(func.value) == self.setting:
            self.rule.fact({"caches": None})  # CACHES.update(...), CACHES["x"].update(...)
        elif scope.kind == "module" and self.rule.ctx.match(func, self.dynamic_calls):
            self.dynamic = True  # globals().update(...): names this file cannot show

    def star_import(self, node: cst.ImportFrom) -> None:
        """``from x import *`` at module level: names of a module outside the project are unknown."""
        if not isinstance(node.names, cst.ImportStar) or node.relative:
            return
        module = _dotted(node.module)
        if module is None or not self.rule.ctx.project.project_module(module):
            self.dynamic = True

    def finish(self) -> None:
        if self.settings_site is not None:
            self.rule.fact({"django_settings": self.settings_site, "dynamic": self.dynamic})

    # -- reading CACHES ----------------------------------------------------------------------------
    def caches(self, value: cst.BaseExpression, scope: Scope) -> dict[str, list[Any]] | None:
        """Each alias with ``local`` or ``other`` and the span of its BACKEND (None when unreadable)."""
        if not isinstance(value, cst.Dict):
            return None
        out: dict[str, list[Any]] = {}
        for element in value.elements:
            if not isinstance(element, cst.DictElement):
                return None  # **spread
            alias = literal_string(element.key)
            if alias is None:
                return None
            out[alias] = self._backend(element.value, scope)
        return out

    def _backend(self, value: cst.BaseExpression, scope: Scope) -> list[Any]:
        if not isinstance(value, cst.Dict):
            return [None, None]
        for element in value.elements:
            if not isinstance(element, cst.DictElement):
                return [None, None]
            if literal_string(element.key) == "BACKEND":
                text = self._string(element.value, scope)
                if text is None:
                    return [None, None]
                return [LOCAL if text in self.local else OTHER, self._span(element.value)]
        return [None, None]  # no BACKEND: Django refuses it

    def _string(self, node: cst.BaseExpression, scope: Scope) -> str | None:
        """A string literal, or a name bound once to one (``BACKEND = "..."`` above CACHES)."""
        text = literal_string(node)
        if text is not None or not isinstance(node, cst.Name):
            return text
        bindings = self.rule.ctx.resolver.lookup(node.value, scope)
        if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].value is not None:
            return literal_string(bindings[0].value)
        return None

    def _span(self, node: cst.CSTNode) -> list[int]:
        span = self.rule.span(node)
        return [span.line, span.column, span.end_line, span.end_column]


# -- the join ------------------------------------------------------------------------------------
def alias_verdict(facts: Facts, alias: str, spec: Mapping[str, Any]) -> tuple[str, list[tuple[str, list[int]]]] | None:
    """Whether Django's cache ``alias`` lives in each process, from a scan's facts:

    * ``("local", sites)``: every CACHES the project sets gives ``alias`` a local backend; the
      sites are those BACKEND values;
    * ``("unset", sites)``: no file sets CACHES, a settings module is seen (its ``INSTALLED_APPS``
      are the sites) and none may define names at run time, and ``alias`` is the default one;
    * None otherwise (a shared backend somewhere, CACHES set in a way not read, no settings seen).
    """
    caches = [(path, r["caches"]) for path, records in facts.items() for r in records if "caches" in r]
    if caches:
        if any(c is None for _, c in caches):
            return None
        entries = [(path, c.get(alias)) for path, c in caches]
        if all(e is not None and e[0] == LOCAL for _, e in entries):
            sites = {(path, tuple(e[1])) for path, e in entries if e is not None}
            return LOCAL, [(path, list(span)) for path, span in sorted(sites)]
        return None
    settings = [(path, r) for path, records in facts.items() for r in records if "django_settings" in r]
    if not settings or any(r["dynamic"] for _, r in settings) or alias != spec.get("default_alias", "default"):
        return None
    return "unset", sorted((path, r["django_settings"]) for path, r in settings)


#: (verdict kind, settings path, span of the cache's site, alias) -> the uses it counts: (path, line, name)
Sites = dict[tuple[str, str, tuple[int, ...], str], list[tuple[str, int, str]]]


def by_cache_site(facts: Facts, uses: Iterable[tuple[str, str, int, str]], spec: Mapping[str, Any]) -> Sites:
    """The uses ``(path, alias, line, name)`` of a cache alias that is kept per process, grouped by the
    settings site that makes it so (one finding each)."""
    groups: Sites = {}
    for path, alias, line, name in uses:
        verdict = alias_verdict(facts, alias, spec)
        if verdict is None:
            continue
        kind, sites = verdict
        for site_path, span in sites:
            groups.setdefault((kind, site_path, tuple(span), alias), []).append((path, line, name))
    return groups


def setting_value(facts: Facts, key: str | None, default: Any) -> Any:
    """The one literal value the scan gives setting ``key``; ``default`` when no file sets it;
    ``UNKNOWN`` when a value is not a literal or two files disagree."""
    if key is None:
        return default
    values = [r["value"] for records in facts.values() for r in records if r.get("setting") == key]
    if not values:
        return default
    if any(v is None for v in values) or len(set(map(repr, values))) != 1:
        return UNKNOWN
    return values[0]


UNKNOWN: Any = object()


def describe(uses: list[tuple[str, int, str]]) -> tuple[str, str]:
    """``("`cache_page` and 2 more", "`cache_page` is at views.py:12")``: the first use of a sorted list
    and how many others, for a headline; and where the first one is, for its hint."""
    path, line, what = uses[0]
    more = f" and {len(uses) - 1} more" if len(uses) > 1 else ""
    return f"{what}{more}", f"{what} is at {path}:{line}"


def _literal(node: cst.BaseExpression) -> Any:
    text = literal_string(node)
    if text is not None:
        return text
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def _root(node: cst.BaseExpression) -> str | None:
    while isinstance(node, (cst.Subscript, cst.Attribute)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def _dotted(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None
