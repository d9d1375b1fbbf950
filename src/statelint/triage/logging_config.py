"""Triage for the Python side of SL201-SL204: log files configured in code.

* SL201: a call that may construct a file handler class;
* SL202: a call that may be ``logging.basicConfig``, with a ``filename=`` keyword;
* SL203: a ``"handlers"`` key (a string or a ``dict(handlers=...)`` keyword) and a file
  handler class, named by a string equal to its qualified name or referred to in code;
* SL204: a gunicorn/hypercorn configuration file (by its name) that mentions
  ``accesslog``/``errorlog`` (its text files are not triaged).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from statelint.triage import Source
from statelint.triage.aliases import may_call, mentioned

_HANDLERS_KEY = "handlers"


def _classes(knowledge: Mapping[str, Any]) -> set[str]:
    return {entry["class"] for entry in knowledge["file_handlers"]}


def file_handler(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL201: a call that may construct a file handler."""
    return may_call(source, _classes(knowledge))


def basic_config_filename(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL202: ``filename=`` passed to some call, and a call that may be ``basicConfig``."""
    return "filename" in source.index.keywords and may_call(source, knowledge["basic_config"])


def dict_config_handler(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL203: a ``handlers`` key and a file handler class, as a string or referred to in code."""
    classes = _classes(knowledge)
    strings = source.strings
    if _HANDLERS_KEY not in strings and _HANDLERS_KEY not in source.index.keywords:
        return False
    return bool(classes & strings) or mentioned(source, classes)


def server_config(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL204 (Python files): a server configuration file by name that mentions a log setting."""
    basename = source.path.replace("\\", "/").rsplit("/", 1)[-1]
    patterns = (*knowledge["server_config_files"], *options.get("config-files", []))
    if not any(fnmatch.fnmatchcase(basename, pattern) for pattern in patterns):
        return False
    return bool(set(knowledge["server_log_settings"]) & source.index.names)


__all__ = ["basic_config_filename", "dict_config_handler", "file_handler", "server_config"]
