"""Triage for SL204's Python files: a gunicorn/hypercorn configuration file (by its name) that
mentions ``accesslog``/``errorlog`` (its text files are not triaged). SL201-SL203 declare
what they require of a file instead (:mod:`statelint.engine.requirements`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from statelint.triage import Source


def server_config(source: Source, knowledge: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """SL204 (Python files): a server configuration file by name that mentions a log setting."""
    basename = source.path.replace("\\", "/").rsplit("/", 1)[-1]
    patterns = (*knowledge["server_config_files"], *options.get("config-files", []))
    if not any(fnmatch.fnmatchcase(basename, pattern) for pattern in patterns):
        return False
    return bool(set(knowledge["server_log_settings"]) & source.index.names)


__all__ = ["server_config"]
