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
}


def renderer(name: str) -> Renderer:
    module_name, _, function = FORMATS[name].partition(":")
    return getattr(importlib.import_module(module_name), function)
