"""Fuzzing: statelint never raises and never reports an internal error, whatever the module.

Modules come from hypothesmith's grammar-based strategy (syntactically valid Python,
often absurd), with ``import uvicorn, threading, logging`` prepended so that most
rules' needles match and the module goes through libcst, the name resolver and every
rule. The scan runs in-process on the engine API (``runner.scan`` with settings from
``load_settings``, every rule selected), a few milliseconds per example.

Profiles, chosen by the ``STATELINT_FUZZ`` environment variable:

* unset (the default, CI): 100 examples, a few seconds;
* ``thorough``: 10,000 examples (about ten minutes on two cores), for a local run::

      STATELINT_FUZZ=thorough /work/venv/bin/python -m pytest -q -p no:randomly \\
          tests/robustness/test_fuzz.py --hypothesis-show-statistics

The event "libcst rejects code CPython compiles" counts false SL001 findings (libcst's
grammar lagging CPython's); they are recorded, not failures: this test is about the
engine and the rules never breaking.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, event, example, given, settings

from statelint.catalog import load_catalog
from statelint.config import Settings, load_settings
from statelint.engine.analyze import Plan, analyze
from statelint.engine.discovery import Target
from statelint.engine.runner import scan
from statelint.model import FileResult

HEADER = "import uvicorn, threading, logging\n"
PROFILES = {
    "default": {"max_examples": 100},
    "thorough": {"max_examples": 10_000},
}
PROFILE = PROFILES[os.environ.get("STATELINT_FUZZ", "default")]


def in_process(targets: list[Target], plan: Plan, jobs: int) -> list[FileResult]:
    """Analyse in this process: an exception surfaces here with its traceback, not in a worker."""
    results = [analyze(target, plan) for target in targets]
    return [result for result in results if result is not None]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Settings]]:
    root = tmp_path_factory.mktemp("fuzz")
    yield root, load_settings(load_catalog(), cwd=root, select=["SL"])


def _compiles(source: str) -> bool:
    try:
        compile(source, "<fuzz>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


@pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")  # compile() on odd literals
@settings(
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
    **PROFILE,
)
@given(source=hypothesmith.from_grammar())
@example(source="match x:\n case {**rest}: pass\n case [*_, C(a=1)] | None if (y := x): global z\n")
@example(source="async def f():\n    async with a as (b, *c): yield [d async for d in e]\n")
@example(source="@a.b[c](d)\nclass C(metaclass=M, *bases, **kw):\n    class D: x: int = (y := lambda *a, k=1: k)\n")
@example(source="def f():\n    x = 1\n    def g():\n        nonlocal x\n        x += f'{x!r:>{w}}'\n")
def test_any_module_scans_without_internal_errors(workspace: tuple[Path, Settings], source: str) -> None:
    root, config = workspace
    text = HEADER + source
    (root / "fuzz.py").write_bytes(text.encode("utf-8", "surrogatepass"))
    result = scan(["fuzz.py"], config, cwd=root, jobs=1, analyze_files=in_process)
    assert result.errors == [], result.errors
    assert result.files_scanned == 1
    rejected = [f for f in result.findings if f.code == "SL001"]
    if rejected and _compiles(text):
        event("libcst rejects code CPython compiles")
        event(f"SL001: {rejected[0].message[:60]}")
    for finding in result.findings:
        assert finding.span.line >= 1 and finding.span.column >= 1, finding
