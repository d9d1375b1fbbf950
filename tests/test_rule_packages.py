"""The rules' layout a newcomer relies on: one package per family, helpers named ``_*``."""

from __future__ import annotations

import importlib
import pkgutil

import statelint.rules
from statelint.rules import rule_modules
from statelint.rules.base import BaseRule


def _codes_defined(module: object) -> set[str]:
    return {
        value.code
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, BaseRule) and value.__module__ == module.__name__ and "code" in vars(value)
    }


def test_every_rule_module_defines_rules_of_its_own_family() -> None:
    for module in rule_modules():
        family = module.__name__.split(".")[2]  # statelint.rules.slN.module
        codes = _codes_defined(module)
        assert codes, f"{module.__name__} defines no rule: name it `_...` if it is a helper"
        assert all(code.lower().startswith(family) for code in codes), (module.__name__, sorted(codes))


def test_helper_modules_define_no_rule() -> None:
    for family in pkgutil.iter_modules(statelint.rules.__path__):
        if not family.ispkg:
            continue
        package = importlib.import_module(f"statelint.rules.{family.name}")
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                module = importlib.import_module(f"{package.__name__}.{info.name}")
                assert not _codes_defined(module), f"{module.__name__} defines rules but is named like a helper"

