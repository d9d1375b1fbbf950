"""SL401's limiters that count in Django's cache: DRF throttles, django-ratelimit, django-axes.

They keep no storage of their own: they use a cache of ``CACHES``, which is per process when
it is a ``LocMemCache``, or when the project sets no ``CACHES`` at all (Django's default).
:class:`DjangoLimiters` records, per file, where a limiter is used and the settings the join
needs (through :class:`~statelint.analyses.django_cache.CacheSettings`); :func:`django_findings`
joins the records of a scan, once per place where the cache is chosen: the BACKEND of a
local alias, or the settings module that sets no CACHES.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import libcst as cst

from statelint.analyses.django_cache import (
    LOCAL,
    CacheSettings,
    by_cache_site,
    describe,
    setting_value,
)
from statelint.analyses.syntax import literal_string
from statelint.catalog import load_catalog
from statelint.engine.names import Scope


def django_cache_spec() -> Mapping[str, Any]:
    """``rules/sl1.yaml``'s ``django_cache`` (the cache framework's data lives with SL104's)."""
    families = load_catalog().families
    return families["SL1"].knowledge.get("django_cache", {}) if "SL1" in families else {}


class DjangoLimiters:
    """One file's uses of the catalog's ``django_cache_limiters`` and the settings they depend on."""

    def __init__(self, rule: Any) -> None:
        self.rule = rule
        self.entries = list(rule.knowledge.get("django_cache_limiters", ()))
        self.classes = {c: e for e in self.entries for c in e.get("classes", ())}
        self.calls = {c: e for e in self.entries for c in e.get("calls", ())}
        self.decorators = {c: e for e in self.entries for c in e.get("decorators", ())}
        self.settings_keys = {e["settings_key"]: e for e in self.entries if e.get("settings_key")}
        self.attributes = {e["attribute"]: e for e in self.entries if e.get("attribute")}
        watched = {e.get(k) for e in self.entries for k in ("alias_setting", "enable_setting", "setting")} - {None}
        sl1 = load_catalog().families.get("SL1")
        local = sl1.knowledge.get("django_local_backends", ()) if sl1 is not None else ()
        self.settings = CacheSettings(rule, django_cache_spec(), local, watched)

    # -- collection ---------------------------------------------------------------------------
    def assign(self, target: cst.BaseExpression, value: cst.BaseExpression | None, scope: Scope) -> None:
        self.settings.assign(target, value, scope)
        if scope.kind == "class" and isinstance(target, cst.Name) and target.value in self.attributes and value is not None:
            self.throttles(self.attributes[target.value], value)  # a view's `throttle_classes = [...]`

    def dict_element(self, node: cst.DictElement) -> None:
        key = literal_string(node.key)
        if key in self.settings_keys:  # REST_FRAMEWORK = {"DEFAULT_THROTTLE_CLASSES": [...]}
            self.throttles(self.settings_keys[key], node.value)

    def call(self, node: cst.Call, scope: Scope) -> None:
        self.settings.call(node, scope)
        ctx = self.rule.ctx
        called = ctx.match(node.func, self.calls)
        if called is not None:
            entry = self.calls[called]
            self.use(node, entry, f"{entry['name']}'s `{called.rsplit('.', 1)[-1]}`")
            return
        decorator = ctx.match(node.func, self.decorators)
        if decorator is not None and node.args:  # @throttle_classes([UserRateThrottle])
            self.throttles(self.decorators[decorator], node.args[0].value)

    # -- DRF throttle classes --------------------------------------------------------------------
    def throttles(self, entry: Mapping[str, Any], value: cst.BaseExpression) -> None:
        if not isinstance(value, (cst.List, cst.Tuple)):
            return
        for element in value.elements:
            shown = self._throttle(entry, element.value)
            if shown is not None:
                self.use(element.value, entry, f"{entry['name']} `{shown}`")

    def _throttle(self, entry: Mapping[str, Any], node: cst.BaseExpression) -> str | None:
        """The short name of a throttle class that counts in the default cache: one of the catalog's
        (by dotted path or by name), or a project subclass defining none of ``own_store``."""
        classes = set(entry.get("classes", ()))
        text = literal_string(node)
        if text is not None:
            return text.rsplit(".", 1)[-1] if text in classes else None  # a project class by path: not judged
        ctx = self.rule.ctx
        names = ctx.qualnames(node)
        if names.isdisjoint(classes):
            return None
        project = ctx.project
        defined = next((n for n in names if project.project_class(n)), None)
        if defined is not None and any(project.member_owner(defined, m) is not None for m in entry.get("own_store", ())):
            return None  # `cache = caches["redis"]`, or its own allow_request()
        return (defined or min(names & classes)).rsplit(".", 1)[-1]

    def use(self, node: cst.CSTNode, entry: Mapping[str, Any], shown: str) -> None:
        span = self.rule.span(node)
        self.rule.fact(
            {
                "cache_limiter": [span.line, span.column, span.end_line, span.end_column],
                "name": shown,
                "alias_setting": entry.get("alias_setting"),
                "enable_setting": entry.get("enable_setting"),
            }
        )

    def finish(self) -> None:
        self.settings.finish()


def django_findings(facts: Mapping[str, list[Any]], knowledge: Mapping[str, Any]) -> Iterator[tuple[str, list[int], str, str]]:
    """``(path, span, message, what the hint adds)``: one per place that puts limiters' counts in a per-process cache."""
    spec = django_cache_spec()
    default_alias = spec.get("default_alias", "default")
    uses = []
    for path, record in _uses(facts, knowledge.get("django_cache_limiters", ())):
        if setting_value(facts, record.get("enable_setting"), True) is False:
            continue  # RATELIMIT_ENABLE = False: nothing is counted
        alias = setting_value(facts, record.get("alias_setting"), default_alias)
        if isinstance(alias, str):  # else set to something statelint cannot read
            uses.append((path, alias, record["cache_limiter"][0], record["name"]))
    for (kind, path, span, alias), found in sorted(by_cache_site(facts, uses, spec).items()):
        named, placed = describe(sorted(found))
        count = "count" if len(found) > 1 else "counts"
        unset = "" if kind == LOCAL else " (CACHES unset)"
        message = f"{named} {count} in per-process LocMemCache `{alias}`{unset}"
        yield path, list(span), message, placed


def _uses(facts: Mapping[str, list[Any]], entries: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The recorded uses, and the settings that select a cache-based limiter (``AXES_HANDLER``)."""
    selecting = [e for e in entries if e.get("setting")]
    for path in sorted(facts):
        for record in facts[path]:
            if "cache_limiter" in record:
                yield path, record
            for entry in selecting:
                if record.get("setting") == entry["setting"] and record.get("value") in entry.get("values", ()):
                    yield path, {
                        "cache_limiter": record["site"],
                        "name": entry["name"],
                        "alias_setting": entry.get("alias_setting"),
                        "enable_setting": entry.get("enable_setting"),
                    }
