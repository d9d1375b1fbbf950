"""scripts/new_rule.py: a scaffolded rule works at once, in a copy of this checkout, as its generated test says."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _checkout_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "checkout"
    for part in ("src", "rules", "tests", "scripts"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__", ".statelint_cache"))
    shutil.copy2(ROOT / "README.md", copy / "README.md")
    return copy


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{cwd / 'src'}{os.pathsep}{cwd}"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_a_scaffolded_rule_is_documented_listed_and_passes_its_own_test(tmp_path: Path) -> None:
    copy = _checkout_copy(tmp_path)
    made = _run(["scripts/new_rule.py", "SL599", "unjoined-widget", "--module", "widgets", "--api", "widgets.Widget",
                 "--summary", "A widget is started and never joined."], copy)
    assert made.returncode == 0, made.stderr
    assert (copy / "src/statelint/rules/sl5/widgets.py").is_file()
    documented = _run(["-m", "statelint", "rule", "SL599"], copy)
    assert documented.returncode == 0, documented.stderr
    assert "unjoined-widget" in documented.stdout
    assert "| SL599 | unjoined-widget | warning | A widget is started and never joined. |" in (copy / "README.md").read_text()
    tested = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_sl5_unjoined_widget.py",
                   "tests/test_readme.py::test_the_rules_tables_are_the_catalogs", "tests/test_rule_packages.py"], copy)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    unfinished = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_catalog.py"], copy)
    assert unfinished.returncode == 1, "the catalog's tests must not pass while the documentation is TODO"
    assert "test_every_rule_is_fully_documented[SL599]" in unfinished.stdout


def test_the_scaffold_refuses_an_existing_code_and_writes_nothing(tmp_path: Path) -> None:
    copy = _checkout_copy(tmp_path)
    before = (copy / "rules/sl5.yaml").read_text()
    made = _run(["scripts/new_rule.py", "SL501", "another-thread-rule", "--module", "threads", "--api", "threading.Thread"], copy)
    assert made.returncode == 2
    assert "SL501 exists already" in made.stderr
    assert (copy / "rules/sl5.yaml").read_text() == before
    assert not (copy / "tests/test_sl5_another_thread_rule.py").exists()
