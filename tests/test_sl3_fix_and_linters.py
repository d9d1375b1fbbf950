"""The fixes SL3 suggests do not trip the linters its users already run: bandit's B104 and ruff's
S104 flag every "0.0.0.0" string. Each "Use instead" either takes the host from configuration
without a literal, or names one suppressed default with its reason; and statelint accepts it.
The linters themselves run when installed (the dev extra has both)."""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import check_json, run_cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
FLAGGED = 'import uvicorn\nuvicorn.run(app, host="0.0.0.0")\n'  # what both linters report: the test's control


def fixes() -> dict[str, str]:
    """Each SL3 rule's "Use instead" code, as `statelint rules --output-format json` gives it."""
    records = json.loads(run_cli("rules", "--output-format", "json").stdout)
    return {r["code"]: r["use_instead"] for r in records if r["family"] == "SL3" and r["example_language"] == "python"}


def all_interfaces_lines(code: str) -> list[int]:
    """Lines of the "0.0.0.0" strings B104 and S104 report."""
    return [node.lineno for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Constant) and node.value == "0.0.0.0"]


def write_fixes(folder: Path) -> list[str]:
    for code, text in fixes().items():
        (folder / f"{code.lower()}_fix.py").write_text(text)
    return sorted(p.name for p in folder.glob("*_fix.py"))


def test_every_all_interfaces_literal_in_a_fix_is_suppressed_for_both_linters_with_a_reason() -> None:
    found = fixes()
    assert set(found) == {"SL301", "SL302", "SL303"}
    for code, text in found.items():
        lines = text.splitlines()
        for number in all_interfaces_lines(text):
            assert "# noqa: S104" in lines[number - 1] and "# nosec B104 - the container is the network boundary" in lines[number - 1], code
    assert 'host=os.environ["HOST"]' in found["SL301"] and not all_interfaces_lines(found["SL301"])
    assert all_interfaces_lines(found["SL303"]) == [7]


def test_the_fixes_pass_statelint(tmp_path: Path) -> None:
    write_fixes(tmp_path)
    run = check_json(".", cwd=tmp_path, select="SL3")
    assert (run.exit_code, run.findings) == (0, [])


def test_the_readme_and_the_rule_docs_say_how_sl3_fits_b104_and_s104() -> None:
    assert "**SL3 with bandit and ruff.**" in README
    assert 'ALL_INTERFACES = "0.0.0.0"  # noqa: S104  # nosec B104 - the container is the network boundary' in README
    assert "bandit (B104) and ruff (S104)" in run_cli("rule", "SL301").stdout


def _ruff() -> list[str] | None:
    beside = Path(sys.executable).with_name("ruff")
    found = str(beside) if beside.exists() else shutil.which("ruff")
    return [found] if found else None


@pytest.mark.skipif(_ruff() is None, reason="ruff is not installed")
def test_ruff_s104_accepts_the_fixes(tmp_path: Path) -> None:
    names = write_fixes(tmp_path)
    (tmp_path / "control.py").write_text(FLAGGED)
    command = [*_ruff(), "check", "--isolated", "--no-cache", "--select", "S104", "--output-format", "concise", "."]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.stdout.splitlines()[0].startswith("control.py:2:23: S104 "), run.stdout + run.stderr
    assert not any(name in run.stdout for name in names)


@pytest.mark.skipif(importlib.util.find_spec("bandit") is None, reason="bandit is not installed")
def test_bandit_b104_accepts_the_fixes(tmp_path: Path) -> None:
    names = write_fixes(tmp_path)
    (tmp_path / "control.py").write_text(FLAGGED)
    command = [sys.executable, "-m", "bandit", "-q", "-f", "json", "-t", "B104", "-r", "."]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    flagged = sorted(Path(result["filename"]).name for result in json.loads(run.stdout)["results"])
    assert flagged == ["control.py"], names
