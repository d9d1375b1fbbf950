"""Triage for SL104 (per-process memoization).

SL104 reports three things, each needing something here: a def decorated by an
in-process memoizer of the catalog (or a flask-caching ``memoize``/``cached``), a
dict entry ``"BACKEND": "...LocMemCache"``, and a module-level cache object
(cachetools classes) that a function fills. Whether the memoized function reads
changing data is the rule's question; a memoizer alone is enough to parse.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from statelint.triage import DEFS, Source, calls_of
from statelint.triage.aliases import aliases, called, importable


def memoized(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL104: a memoizing decorator, a LocMemCache backend, or a call of a cache class,
    each under any name the file can bind to it."""
    return _decorated(source, knowledge, options) or _locmem(source, knowledge) or _cache_object(source, knowledge, options)


def _decorated(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    flask = knowledge.get("flask_caching", {})
    wanted = calls_of(knowledge.get("memoizers", ()))
    wanted |= set(options.get("extra-cache-decorators", ()))
    wanted |= {f"{c}().{d}" for c in flask.get("classes", ()) for d in flask.get("decorators", ())}
    if not importable(source, wanted):
        return False
    found = aliases(source, wanted)
    for function in source.index.functions:
        if isinstance(function, DEFS):
            for decorator in function.decorator_list:
                if found.may_be(decorator.func if isinstance(decorator, ast.Call) else decorator):
                    return True
    return False


def _cache_object(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    classes = {*knowledge.get("cache_classes", ()), *options.get("extra-cache-classes", ())}
    return importable(source, classes) and called(source, classes)


def _locmem(source: Source, knowledge: Mapping[str, Any]) -> bool:
    """A string literal naming a local-memory Django backend (the rule also wants it under
    a ``"BACKEND"`` key; only an escape sequence could hide the name from the text)."""
    backends = set(knowledge.get("django_local_backends", ()))
    if any(backend.rsplit(".", 1)[-1] in source.text for backend in backends):
        return True
    if "\\" not in source.text:
        return False
    return not backends.isdisjoint(source.strings)
