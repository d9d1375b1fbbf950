"""Needles and triage only decide what is parsed: they never change a result.

Every fixture tree is scanned twice through the CLI, once as usual and once with
``STATELINT_PREFILTER=off`` (every rule parses every file), and the reports must
be identical. Projects with their own configuration are scanned from their own
folder, so their options (extra container classes, startup functions ...) apply.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FIXTURES, run_cli

CONFIGS = ("pyproject.toml", ".statelint.yaml", ".statelint.yml")


def _roots() -> list[Path]:
    """Each fixture family, and each folder inside one that carries its own configuration."""
    roots = sorted(p for p in FIXTURES.iterdir() if p.is_dir())
    for family in list(roots):
        roots += sorted({p.parent for name in CONFIGS for p in family.rglob(name)} - {family})
    return roots


def _report(cwd: Path, select: str, prefilter: str) -> list[dict[str, Any]]:
    env = {"STATELINT_PREFILTER": prefilter}
    run = run_cli("check", "--no-cache", "--output-format", "json", "--select", select, ".", cwd=cwd, env=env)
    assert run.exit_code in (0, 1), run.stderr
    return sorted(run.findings, key=lambda f: (f["path"], f["line"], f["column"], f["code"], f["message"]))


@pytest.mark.parametrize("root", _roots(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_prefilter_never_changes_findings(root: Path, tmp_path: Path) -> None:
    copy = tmp_path / root.name
    shutil.copytree(root, copy)
    for select in ("SL0,SL1,SL3,SL4,SL5,SL6,SL7,SL8", "SL2"):
        filtered = _report(copy, select, "on")
        everything = _report(copy, select, "off")
        assert filtered == everything


def test_prefilter_off_parses_what_triage_skips(tmp_path: Path) -> None:
    """The switch the test above relies on really turns the prefilter off: SL002 sees it."""
    (tmp_path / "app.py").write_text("VALUE = 1  # statelint: ignore[SL101]\n", encoding="utf-8")
    on = run_cli("check", "--no-cache", "--output-format", "json", "--select", "SL002,SL101", ".", cwd=tmp_path)
    off = run_cli(
        "check", "--no-cache", "--output-format", "json", "--select", "SL002,SL101", ".",
        cwd=tmp_path, env={"STATELINT_PREFILTER": "off"},
    )
    # No needle of SL101 occurs, so it never runs there and its comment is not judged ...
    assert on.triples == []
    # ... unless the prefilter is off: then SL101 runs, and SL002 reports the unused comment.
    assert [(f["code"], f["line"]) for f in off.findings] == [("SL002", 1)]


def test_every_python_rule_has_a_triage_predicate_outside_the_rule_modules() -> None:
    """One rule without a predicate would send every file its needles pass to libcst."""
    from statelint.rules import all_rules
    from statelint.rules.base import Rule

    missing = []
    for code, rule in all_rules().items():
        if not issubclass(rule, Rule):
            continue
        predicate = rule.triage
        if predicate is None or not predicate.__module__.startswith("statelint.triage"):
            missing.append(code)
    assert missing == []
