"""Rules: one package per family (``sl1`` ... ``sl8``), found automatically.

Any class in a family's module that subclasses :class:`Rule` or :class:`TextRule` and
sets ``code`` is a rule; nothing else needs registering. A family's modules named
``_*`` hold its helpers and define no rule; analyses several families share live in
:mod:`statelint.analyses`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from functools import lru_cache
from types import ModuleType

from statelint.rules.base import BaseRule, Rule, TextRule

__all__ = ["BaseRule", "Rule", "TextRule", "all_rules", "rule_modules"]


@lru_cache(maxsize=1)
def all_rules() -> dict[str, type[BaseRule]]:
    """Every rule class by code, sorted by code."""
    found: dict[str, type[BaseRule]] = {}
    for module in rule_modules():
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


def rule_modules() -> Iterator[ModuleType]:
    """Every family's rule modules (``statelint.rules.slN.*`` without the ``_*`` helpers), imported."""
    for family in sorted(info.name for info in pkgutil.iter_modules(__path__) if info.ispkg):
        package = importlib.import_module(f"{__name__}.{family}")
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if not info.name.startswith("_"):
                yield importlib.import_module(f"{package.__name__}.{info.name}")
