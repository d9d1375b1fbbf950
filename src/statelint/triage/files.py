"""Triage for the local-file rules: SL205 (third-party log sinks), SL801 (file databases),
SL802 (local sessions, caches, uploads) and SL803 (request-time writes).

The rules skip test files entirely, and need a specific call that the file can
only make through names it imports or binds (see :mod:`statelint.triage.aliases`):
a sink constructor or ``print(file=...)`` for SL205, a database or store constructor
for SL801/SL802, a write (``open`` with a write mode, ``write_text`` ...) inside a
request handler for SL803; or a string constant they may report (a SQLite URL, a
file-backed setting value). Paths are not resolved here: a write to an absolute
path or a stream still counts.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

from statelint.engine.requirements import is_test_path
from statelint.triage import DEFS, Source, calls_of, walk
from statelint.triage.aliases import aliases, called, importable

_BOUND = ("self", "cls")


# -- SL803 ----------------------------------------------------------------------------------
def request_write(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL803: a call that may write a file, inside a function that may handle requests.

    A handler has ``request`` as first parameter (after self/cls), or any decorator
    in a file that can name a routing framework. A write is ``.write_text()`` and the
    other write methods, or an ``open`` (builtin, ``io``, ``aiofiles``, ``codecs``, a
    path's ``.open()``, any alias of them) whose mode may contain a write letter.
    """
    if is_test_path(source.path, knowledge):
        return False
    framework = importable(source, (*knowledge["route_objects"], *knowledge["route_functions"]))
    parameters = set(knowledge["request_parameters"])
    handlers = [f for f in source.index.functions if isinstance(f, DEFS) and _is_handler(f, parameters, framework)]
    if not handlers:
        return False
    writes = set(knowledge["path_write_methods"])
    methods = set(knowledge["path_open_methods"])
    opens = aliases(source, calls_of(knowledge["open_calls"]))
    letters = tuple(knowledge["write_mode_letters"])
    seen: set[int] = set()
    for handler in handlers:
        for node in walk(handler):
            if type(node) is not ast.Call or id(node) in seen:
                continue
            seen.add(id(node))
            func = node.func  # type: ignore[attr-defined]
            if isinstance(func, ast.Attribute) and func.attr in writes:
                return True
            if isinstance(func, ast.Attribute) and func.attr in methods and _may_write(node, "mode", 0, letters):  # type: ignore[arg-type]
                return True
            if opens.may_be(func) and _may_write(node, "mode", 1, letters):  # type: ignore[arg-type]
                return True
    return False


def _is_handler(function: ast.FunctionDef | ast.AsyncFunctionDef, parameters: set[str], framework: bool) -> bool:
    params = [*function.args.posonlyargs, *function.args.args]
    if params and params[0].arg in _BOUND:
        params = params[1:]
    if params and params[0].arg in parameters:
        return True
    return framework and bool(function.decorator_list)


def _may_write(call: ast.Call, keyword: str, position: int, letters: tuple[str, ...]) -> bool:
    """Whether the mode argument may hold a write letter: a literal with one, or a name or call
    the rule may follow to one (an f-string, bytes or an expression never counts there)."""
    mode = _argument(call, keyword, position)
    if isinstance(mode, ast.Constant):
        return isinstance(mode.value, str) and any(letter in mode.value for letter in letters)
    return isinstance(mode, (ast.Name, ast.Call))


def _argument(call: ast.Call, keyword: str, position: int | None) -> ast.expr | None:
    """What :func:`statelint.rules._syntax.argument` finds; None for absent or behind ``*``/``**``."""
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    if position is not None and len(positional) > position:
        return positional[position]
    return None


# -- SL801 / SL802 ----------------------------------------------------------------------------
def _calls_one_of(source: Source, qualnames: set[str]) -> bool:
    """A call that may resolve to one of ``qualnames``, in a file that can name their packages."""
    return importable(source, qualnames) and called(source, qualnames)


def database_file(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL801: a call of a file database, a string holding a SQLite URL (a concatenated
    piece of one included), or a string naming a SQLite Django engine."""
    if is_test_path(source.path, knowledge):
        return False
    if _calls_one_of(source, calls_of(knowledge["databases"])):
        return True
    url = re.compile(str(knowledge["sqlite_url_pattern"]).lstrip("^").split("(?P<file>")[0])
    engines = set(knowledge["django_sqlite_engines"])
    return any(text in engines or ("sqlite" in text and url.search(text)) for text in source.strings)


def local_sessions(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL802: a string that is one of the file-backed setting values, a call of a file
    store, or a ``.save()`` call in a file that can name the upload collections."""
    if is_test_path(source.path, knowledge):
        return False
    if _calls_one_of(source, calls_of(knowledge["stores"])):
        return True
    if knowledge["upload_save"]["method"] in source.index.called and importable(source, knowledge["upload_collections"]):
        return True
    values = {value for setting in knowledge["settings"] for value in setting["values"]}
    return not values.isdisjoint(source.strings)
