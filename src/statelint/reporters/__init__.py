"""Output formats. Rules know nothing about these; each reporter renders a whole scan."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TextIO

from statelint.reporters.base import Report

Renderer = Callable[[Report, TextIO], None]

#: format name -> "module:function"; modules are imported only when used.
FORMATS: dict[str, str] = {
    "full": "statelint.reporters.full:render",
    "concise": "statelint.reporters.concise:render",
    "json": "statelint.reporters.json_format:render",
    "json-lines": "statelint.reporters.json_lines:render",
    "sarif": "statelint.reporters.sarif:render",
    "github": "statelint.reporters.github:render",
    "gitlab": "statelint.reporters.gitlab:render",
}

#: ``--statistics`` output: a JSON table for the machine formats, a text table otherwise.
STATISTICS: dict[str, str] = {
    "json": "statelint.reporters.statistics:render_json",
    "json-lines": "statelint.reporters.statistics:render_json",
}
STATISTICS_TEXT = "statelint.reporters.statistics:render"


def renderer(name: str, statistics: bool = False) -> Renderer:
    target = STATISTICS.get(name, STATISTICS_TEXT) if statistics else FORMATS[name]
    module_name, _, function = target.partition(":")
    return getattr(importlib.import_module(module_name), function)
