"""SL104's caches whose backend is chosen in another module: Django's CACHES and Flask-Caching's CACHE_TYPE.

A ``cache_page`` in a view, a ``cache.memoize()`` in a service: the cache they fill lives in each
process only when the configuration says so, and the configuration is usually in a settings or
config module. :class:`ConfiguredCaches` records, per file, where the app caches and what the
configuration says; :func:`configured_cache_findings` joins a scan's records and reports once at
the place that chooses the cache: a Django BACKEND of LocMemCache, the settings module that sets
no CACHES (Django's default is a LocMemCache), or a Flask-Caching CACHE_TYPE of SimpleCache.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import libcst as cst

from statelint.analyses.django_cache import (
    LOCAL,
    CacheSettings,
    by_cache_site,
    describe,
    setting_value,
)
from statelint.analyses.syntax import ABSENT, UNKNOWN, argument, literal_string
from statelint.engine.names import Scope


class ConfiguredCaches:
    """One file's Django cache uses and settings (``knowledge.django_cache``), for SL104's join."""

    def __init__(self, rule: Any) -> None:
        self.rule = rule
        spec = rule.knowledge.get("django_cache", {})
        self.spec = spec
        self.calls = {c: use.get("alias") or {} for use in spec.get("uses", ()) for c in use.get("calls", ())}
        self.subscripts = frozenset(spec.get("subscripts", ()))
        self.middleware = frozenset(spec.get("middleware", ()))
        self.middleware_setting = spec.get("middleware_setting", "MIDDLEWARE")
        self.middleware_alias = spec.get("middleware_alias")
        watched = {self.middleware_alias} - {None}
        self.settings = CacheSettings(rule, spec, rule.knowledge.get("django_local_backends", ()), watched)

    def assign(self, target: cst.BaseExpression, value: cst.BaseExpression | None, scope: Scope) -> None:
        self.settings.assign(target, value, scope)
        if isinstance(target, cst.Name) and target.value == self.middleware_setting and isinstance(value, (cst.List, cst.Tuple)):
            for element in value.elements:
                text = literal_string(element.value)
                if text in self.middleware:
                    self.use(element.value, f"`{text.rsplit('.', 1)[-1]}`", None, self.middleware_alias)

    def call(self, node: cst.Call, scope: Scope) -> None:
        self.settings.call(node, scope)
        found = self.rule.ctx.match(node.func, self.calls)
        if found is None:
            return
        spec = self.calls[found]
        alias: Any = None
        if spec:
            value = argument(node, spec.get("keyword"), spec.get("position"))
            if value is UNKNOWN:
                return
            if value is not ABSENT:
                alias = literal_string(value)
                if alias is None:
                    return  # a cache chosen by an expression statelint cannot read
        name = found.rsplit(".", 1)[-1]
        self.use(node, f"`cache.{name}()`" if found.startswith("django.core.cache.cache.") else f"`{name}`", alias, None)

    def subscript(self, node: cst.Subscript) -> None:
        """``caches["sessions"]``: the cache of that alias."""
        if self.rule.ctx.match(node.value, self.subscripts) is None or len(node.slice) != 1:
            return
        index = node.slice[0].slice
        alias = literal_string(index.value) if isinstance(index, cst.Index) else None
        if alias is not None:
            self.use(node, f'`caches["{alias}"]`', alias, None)

    def use(self, node: cst.CSTNode, shown: str, alias: str | None, alias_setting: str | None) -> None:
        span = self.rule.span(node)
        self.rule.fact(
            {"cache_use": [span.line, span.column, span.end_line, span.end_column], "name": shown, "alias": alias, "alias_setting": alias_setting}
        )

    def finish(self) -> None:
        self.settings.finish()


def configured_cache_findings(facts: Mapping[str, list[Any]], knowledge: Mapping[str, Any]) -> Iterator[tuple[str, list[int], str, str]]:
    """``(path, span, message, what the hint adds)`` for each configuration that keeps a cache the app uses in each process."""
    yield from _django(facts, knowledge.get("django_cache", {}))
    yield from _flask(facts)


def _django(facts: Mapping[str, list[Any]], spec: Mapping[str, Any]) -> Iterator[tuple[str, list[int], str, str]]:
    default_alias = spec.get("default_alias", "default")
    uses = []
    for path in sorted(facts):
        for record in facts[path]:
            if "cache_use" not in record:
                continue
            alias = record["alias"] or setting_value(facts, record["alias_setting"], default_alias)
            if isinstance(alias, str):
                uses.append((path, alias, record["cache_use"][0], record["name"]))
    for (kind, path, span, alias), found in sorted(by_cache_site(facts, uses, spec).items()):
        named, placed = describe(sorted(found))
        cache = "cache" if len(found) > 1 else "caches"
        unset = "" if kind == LOCAL else " (CACHES unset)"
        yield path, list(span), f"{named} {cache} in per-process LocMemCache `{alias}`{unset}", placed


def _flask(facts: Mapping[str, list[Any]]) -> Iterator[tuple[str, list[int], str, str]]:
    types = [(path, r) for path in sorted(facts) for r in facts[path] if "cache_type" in r]
    memos = sorted((path, r["flask_memo"][0], r["name"], r["reason"]) for path in facts for r in facts[path] if "flask_memo" in r)
    if not types or not memos or any(r["cache_type"] != LOCAL for _, r in types):
        return  # a type that is not in-process somewhere: that may be the deployed one
    path, line, name, reason = memos[0]
    more = f", and {len(memos) - 1} more" if len(memos) > 1 else ""
    for site_path, record in types:
        yield (
            site_path,
            record["site"],
            f"{name} memoizes changing data in per-process CACHE_TYPE {record['value']!r}",
            f"{name} ({path}:{line}) reads {reason}{more}",
        )
