"""Triage for the loopback-bind rules (SL301-SL303), which share one detector.

The detector (:mod:`statelint.rules.sl3_binds`) reports only *sites*: a call whose
callee resolves to one of the catalog's ``entry_points``, an assignment to an
attribute that resolves to one of its ``bind_attributes``, or a module-level
``bind = ...`` in a gunicorn configuration file. Everything else it follows
(argparse, click and typer defaults, environment getters, parameters, settings
classes, ``**kwargs``) only classifies the host of a site, and it records no
facts, so a file without a possible site is skipped safely.

A qualified name (:mod:`statelint.engine.names`) grows from a *root*: an import
target, or a def or class of the module itself (``<module>.<name>``). So an
entry point is possible only when one of the file's roots is a prefix of it
(:func:`statelint.triage.aliases.reachable`), and then only through a call whose
callee may resolve to it (:func:`statelint.triage.aliases.called`). This
over-approximates the resolver (it ignores scopes and order), never the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statelint.triage import Source, calls_of
from statelint.triage.aliases import called, reachable, tail


def could_bind(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL301-SL303: the file may hold a server entry point, a bind attribute or a gunicorn ``bind``."""
    # The import-only questions come first: a file that can reach no entry point and no bind
    # attribute, and is no gunicorn configuration file, is decided without a walk.
    gunicorn = _basename(source.path) in knowledge.get("gunicorn_config_files", ())
    targets = [t for entry in knowledge.get("bind_attributes", ()) for t in entry["targets"]]
    attributes = {tail(q) for q in reachable(source, targets)}
    entry_points = reachable(source, calls_of(knowledge["entry_points"]))
    if not (gunicorn or attributes or entry_points):
        return False
    names = source.index.names
    if gunicorn and "bind" in names:
        return True
    if attributes & names:
        return True  # an attribute of that name is used somewhere: maybe assigned
    return called(source, entry_points)


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]
