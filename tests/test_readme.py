"""The README stays true: every rule is listed, and the documented commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from statelint.catalog import load_catalog
from statelint.cli import check

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_rule_is_listed_with_its_name() -> None:
    for code, doc in load_catalog().rules.items():
        assert re.search(rf"^\| {code} \| {re.escape(doc.name)} \|", README, re.M), code


def test_every_documented_check_option_exists() -> None:
    options = {opt for param in check.params for opt in getattr(param, "opts", [])}
    documented = set(re.findall(r"^\| `(--[a-z-]+)", README, re.M))
    assert documented, "the usage table lists no options"
    assert documented <= options


def test_the_test_command_in_the_quick_start_is_the_one_ci_runs() -> None:
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest -q" in README
    assert "python -m pytest -q" in ci
