"""Rule modules: one file per rule family, found automatically.

Any class in a module of this package that subclasses :class:`Rule` or
:class:`TextRule` and sets ``code`` is a rule; nothing else needs registering.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from statelint.rules.base import BaseRule, Rule, TextRule

__all__ = ["BaseRule", "Rule", "TextRule", "all_rules"]


@lru_cache(maxsize=1)
def all_rules() -> dict[str, type[BaseRule]]:
    """Every rule class by code, sorted by code."""
    found: dict[str, type[BaseRule]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseRule)
                and value.__module__ == module.__name__
                and "code" in vars(value)
            ):
                if value.code in found:
                    raise RuntimeError(f"rule code {value.code} defined twice")
                found[value.code] = value
    return dict(sorted(found.items()))
