"""Triage for SL401 (rate limiters) and SL402 (circuit breakers) kept in process memory.

Both rules start from a constructor (or a plain decorator) of the catalog's
limiter/breaker classes, extra classes from the options included, which the file
can only name through its imports (aliases, subclasses and factories followed by
:mod:`statelint.triage.aliases`). SL401 also records a fact for every limiter
storage setting it sees (``RATELIMIT_STORAGE_URI = ...``, a keyword, a dict key, a
config subscript), which the project-wide join needs even when nothing is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statelint.triage import Source, calls_of
from statelint.triage.aliases import aliases, importable


def rate_limiter(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL401: a limiter named in the file, or one of the limiters' storage settings."""
    keys = {key for entry in knowledge.get("limiters", ()) for key in entry.get("config_keys", ())}
    return _names_one(source, knowledge.get("limiters", ()), options.get("extra-limiter-classes", ())) or _mentions(source, keys)


def circuit_breaker(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL402: a breaker named in the file."""
    return _names_one(source, knowledge.get("breakers", ()), options.get("extra-breaker-classes", ()))


def _names_one(source: Source, entries: Any, extra: Any) -> bool:
    """A name or attribute that may stand for one of the entries' constructors (a call or a
    bare decorator), or of a factory that may return one."""
    calls = calls_of(entries) | set(extra)
    if not importable(source, calls):
        return False
    return bool(source.index.names & aliases(source, calls).names)  # factories are among the names


def _mentions(source: Source, keys: set[str]) -> bool:
    """``keys`` as a name, an attribute, a keyword or a string (an escaped one included)."""
    index = source.index
    if keys & index.names or keys & index.keywords:
        return True
    if any(key in source.text for key in keys):
        return True
    return "\\" in source.text and not keys.isdisjoint(source.strings)
