"""The README stays true: every rule is listed, and the documented commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from statelint.catalog import load_catalog
from statelint.cli import check
from tests.helpers import run_cli

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_rules_tables_are_the_catalogs() -> None:
    """Each family's table in the README is `statelint rules --output-format markdown`'s, word for word."""
    run = run_cli("rules", "--output-format", "markdown")
    assert run.exit_code == 0, run.stderr
    sections = run.stdout.strip().split("\n\n### ")
    assert len(sections) == len({doc.family for doc in load_catalog().rules.values()})
    for number, section in enumerate(sections):
        expected = section if number == 0 else "### " + section
        assert expected in README, f"the README's table differs from the catalog; it should read:\n\n{expected}"


def test_every_documented_check_option_exists() -> None:
    options = {opt for param in check.params for opt in getattr(param, "opts", [])}
    documented = set(re.findall(r"^\| `(--[a-z-]+)", README, re.M))
    assert documented, "the usage table lists no options"
    assert documented <= options


def test_the_test_command_in_the_quick_start_is_the_one_ci_runs() -> None:
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest -q" in README
    assert "python -m pytest -q" in ci
